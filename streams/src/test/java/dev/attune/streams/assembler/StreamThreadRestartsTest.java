package dev.attune.streams.assembler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.attune.streams.Restarts;
import java.time.Duration;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.junit.jupiter.api.Test;

class StreamThreadRestartsTest {
  @Test
  void replace_the_thread_a_bounded_number_of_times_then_shut_the_client_down() {
    StreamThreadRestarts handler = new StreamThreadRestarts(new Restarts(2, Duration.ZERO, Duration.ofMinutes(1)));
    RuntimeException failure = new RuntimeException("changelog write failed");

    assertThat(handler.handle(failure)).isEqualTo(StreamThreadExceptionResponse.REPLACE_THREAD);
    assertThat(handler.handle(failure)).isEqualTo(StreamThreadExceptionResponse.REPLACE_THREAD);
    assertThat(handler.handle(failure)).isEqualTo(StreamThreadExceptionResponse.SHUTDOWN_CLIENT);
    assertThat(handler.lastFailure()).isSameAs(failure);
  }

  @Test
  void double_the_back_off_up_to_its_cap() {
    Restarts restarts = new Restarts(8, Duration.ofSeconds(1), Duration.ofSeconds(5));

    assertThat(restarts.backoff(1)).isEqualTo(Duration.ofSeconds(1));
    assertThat(restarts.backoff(3)).isEqualTo(Duration.ofSeconds(4));
    assertThat(restarts.backoff(4)).isEqualTo(Duration.ofSeconds(5));
  }
}
