package dev.attune.serving.reembed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.attune.schemas.Limits;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReembedRequestTest {
  private static final ReembedRequest REQUEST = new ReembedRequest("kafka:9092", "", "attune.corpus", "0:120,1:98", new Limits(1000, 2000, 30, 40, 50),
      "retriever-v3", "s3://models/attune/retriever-v3", "bge-small-en-v1.5", "s3://models/attune", "http://s3:9000", "eu-west-1",
      "qdrant", 6334, "attune_passages", true, 512, 16, 2, 8);

  @Test
  void the_job_reads_back_what_the_indexer_wrote() {
    assertThat(ReembedRequest.parse(REQUEST.toArgs().toArray(String[]::new))).isEqualTo(REQUEST);
  }

  @Test
  void a_missing_argument_is_named() {
    List<String> args = new ArrayList<>(REQUEST.toArgs());
    int at = args.indexOf("--artifact-uri");
    args.remove(at + 1);
    args.remove(at);
    assertThatThrownBy(() -> ReembedRequest.parse(args.toArray(String[]::new))).hasMessageContaining("missing --artifact-uri");
  }

  @Test
  void no_secret_travels_in_the_arguments() {
    assertThat(String.join(" ", REQUEST.toArgs())).doesNotContainIgnoringCase("api-key").doesNotContainIgnoringCase("password");
  }
}
