package dev.attune.serving;

import dev.attune.schemas.KafkaSettings;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterOptions;

/**
 * Asks the broker for its cluster every {@code interval} on a daemon thread, so health and readiness
 * answer at once from the last answer instead of hanging on an unreachable broker.
 */
public final class BrokerProbe implements AutoCloseable {
  /** The last answer: reachable or not, why not, and when it was asked. */
  public record State(boolean reachable, String detail, long checkedAtMs) {}

  private final Admin admin;
  private final ScheduledExecutorService timer;
  private volatile State state = new State(false, "not checked yet", 0);

  public BrokerProbe(KafkaSettings kafka, Duration interval) {
    Map<String, Object> props = kafka.admin("serving-probe");
    props.put("request.timeout.ms", (int) interval.toMillis());
    props.put("default.api.timeout.ms", (int) interval.toMillis());
    this.admin = Admin.create(props);
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "broker-probe");
      t.setDaemon(true);
      return t;
    });
    timer.scheduleWithFixedDelay(() -> check(interval), 0, interval.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void check(Duration timeout) {
    long now = System.currentTimeMillis();
    try {
      int nodes = admin.describeCluster(new DescribeClusterOptions().timeoutMs((int) timeout.toMillis()))
          .nodes().get(timeout.toMillis(), TimeUnit.MILLISECONDS).size();
      state = new State(nodes > 0, nodes + " broker(s)", now);
    } catch (Exception e) {
      state = new State(false, "unreachable: " + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage()), now);
    }
  }

  public State state() {
    return state;
  }

  @Override
  public void close() {
    timer.shutdownNow();
    admin.close(Duration.ofSeconds(5));
  }
}
