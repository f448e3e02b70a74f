package dev.attune.infra;

import dev.attune.schemas.KafkaAccess;
import dev.attune.schemas.KafkaSettings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.attune.testkit.StandaloneFlinkCluster;
import dev.attune.testkit.EmbeddedKafka;
import dev.attune.schemas.AvroCodec;
import dev.attune.schemas.EpisodeCandidate;
import dev.attune.schemas.FeedbackEpisode;
import dev.attune.schemas.LlmFeedbackEvent;
import dev.attune.schemas.PassageEvent;
import dev.attune.schemas.PassageOp;
import dev.attune.schemas.PassageScore;
import dev.attune.schemas.QueryEvent;
import dev.attune.schemas.SignalKind;
import dev.attune.schemas.Topics;
import dev.attune.schemas.TrainingExample;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.JobID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The streams module's shaded job jar, submitted to a standalone Flink 2.2.1 cluster (a JobManager
 * and a TaskManager process started from Flink's Maven Central jars), mines episodes from the real
 * embedded broker into training examples.
 */
class FlinkStandaloneIT {
  private static final Topics TOPICS = Topics.withPrefix("sa.");
  private static final int EPISODES = 5;
  @TempDir Path work;

  @Test
  void run_the_job_jar_on_a_standalone_cluster() throws Exception {
    Path jobJar = Path.of(System.getProperty("attune.streams.jobJar", "../streams/target/attune-streams-0.1.0-SNAPSHOT-job.jar"));
    assertThat(jobJar).as("build the streams module first (mvn package)").exists();
    try (EmbeddedKafka kafka = EmbeddedKafka.start(work.resolve("kafka"))) {
      String bootstrap = kafka.bootstrapServers();
      EmbeddedKafka.createTopics(bootstrap, TOPICS.all(), 1, (short) 1);
      publish(bootstrap);
      try (StandaloneFlinkCluster cluster =
          StandaloneFlinkCluster.start(StandaloneFlinkCluster.classPathWithoutJobCode(), work.resolve("flink"))) {
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(500)).until(cluster::ready);
        JobID job = cluster.submit(jobJar, "--bootstrap-servers", bootstrap, "--topic-prefix", "sa.", "--group-id", "sa-miner");
        try {
          await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1))
              .untilAsserted(() -> {
                assertThat(cluster.status(job)).as("job status; TaskManager log:%n%s", tail(cluster.log("taskmanager"))).isEqualTo("RUNNING");
                assertThat(examples(bootstrap)).hasSize(EPISODES);
              });
          assertThat(examples(bootstrap)).allSatisfy(e -> assertThat(e.getPositives()).containsExactly("p1", "p2"));
        } finally {
          cluster.cancel(job);
        }
      }
    }
  }

  private static String tail(String log) {
    return log.length() <= 4000 ? log : log.substring(log.length() - 4000);
  }

  private static List<TrainingExample> examples(String bootstrap) {
    AvroCodec<TrainingExample> codec = AvroCodec.of(TrainingExample.class);
    List<TrainingExample> out = new ArrayList<>();
    KafkaAccess.readAll(KafkaSettings.of(bootstrap), TOPICS.trainingExamples().name(), v -> out.add(codec.decode(v)));
    return out;
  }

  private static void publish(String bootstrap) {
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(Map.of("bootstrap.servers", bootstrap), new ByteArraySerializer(), new ByteArraySerializer())) {
      AvroCodec<PassageEvent> passages = AvroCodec.of(PassageEvent.class);
      for (int i = 1; i <= 4; i++) {
        PassageEvent p = PassageEvent.newBuilder().setPassageId("p" + i).setOp(PassageOp.UPSERT).setTitle("T")
            .setText("Passage number " + i + ".").setTimestampMs(0).build();
        producer.send(new ProducerRecord<>(TOPICS.corpus().name(), bytes("p" + i), passages.encode(p)));
      }
      AvroCodec<FeedbackEpisode> episodes = AvroCodec.of(FeedbackEpisode.class);
      for (int i = 0; i < EPISODES; i++) {
        String id = "sa-" + i;
        List<EpisodeCandidate> candidates = new ArrayList<>();
        List<PassageScore> scores = new ArrayList<>();
        for (int p = 1; p <= 4; p++) {
          candidates.add(new EpisodeCandidate("p" + p, p, 1f - p * 0.1f));
          scores.add(new PassageScore("p" + p, (double) -p));
        }
        FeedbackEpisode e = FeedbackEpisode.newBuilder().setRequestId(id).setClosedAtMs(0).setEventIds(List.of("q-" + id))
            .setQuery(QueryEvent.newBuilder().setEventId("q-" + id).setRequestId(id).setTimestampMs(0).setTask("qa")
                .setQuery("question " + i).setRetrieverVersion("retriever-v0").setIndexVersion("retriever-v0").build())
            .setCandidates(candidates)
            .setLlmFeedback(List.of(LlmFeedbackEvent.newBuilder().setEventId("l-" + id).setRequestId(id).setTimestampMs(0)
                .setLlmId("llm").setSignalKind(SignalKind.ANSWER_LOG_LIKELIHOOD).setPassageScores(scores).build()))
            .build();
        producer.send(new ProducerRecord<>(TOPICS.episodes().name(), bytes(id), episodes.encode(e)));
      }
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
