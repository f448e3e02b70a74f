package dev.attune.infra;

import dev.attune.models.registry.ModelRegistry;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.attune.client.AttuneClient;
import dev.attune.infra.cli.AttuneCli;
import dev.attune.infra.data.BeirDataset;
import dev.attune.models.encoder.ModelSpec;
import dev.attune.models.task.Tasks;
import dev.attune.schemas.KafkaAccess;
import dev.attune.schemas.KafkaSettings;
import dev.attune.schemas.Topics;
import dev.attune.serving.IndexManager;
import dev.attune.serving.ServingNode;
import dev.attune.serving.api.RetrievalApi;
import dev.attune.streams.Restarts;
import dev.attune.streams.assembler.AssemblerConfig;
import dev.attune.streams.assembler.EpisodeAssembler;
import dev.attune.streams.mining.MiningJobConfig;
import dev.attune.streams.mining.PreferenceMiningJob;
import dev.attune.testkit.EmbeddedKafka;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * A cluster that requires SASL: with the credentials in one {@code --kafka-config} file (the
 * {@link KafkaSettings} every client is built from), `attune topics create` and `attune corpus load`
 * work, and serving, the Streams assembler and the Flink miner carry a request from HTTP to a
 * training example; without them a client cannot even list the cluster.
 */
class SecuredKafkaIT {
  @TempDir Path work;

  @Test
  void every_client_reaches_a_sasl_cluster_through_one_config_file() throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.startSecured(work.resolve("kafka"), "attune", "s3cret")) {
      KafkaSettings settings = kafka.settings();
      Path config = work.resolve("kafka.properties");
      Properties file = new Properties();
      file.putAll(settings.client());
      file.put("client.id", "it");
      try (Writer w = Files.newBufferedWriter(config)) {
        file.store(w, null);
      }
      String bootstrap = kafka.bootstrapServers();

      // Without the credentials, nothing gets through.
      try (Admin anonymous = Admin.create(Map.of("bootstrap.servers", bootstrap, "default.api.timeout.ms", 3000, "request.timeout.ms", 3000))) {
        assertThatThrownBy(() -> anonymous.listTopics().names().get()).as("a client without SASL").isNotNull();
      }

      assertThat(cli("topics", "create", "--bootstrap-servers", bootstrap, "--kafka-config", config.toString())).isZero();
      assertThat(cli("topics", "create", "--bootstrap-servers", bootstrap, "--kafka-config", config.toString())).as("again: nothing to do").isZero();
      Topics topics = Topics.defaults();
      try (Admin admin = Admin.create(KafkaSettings.load(bootstrap, config).admin("test"))) {
        assertThat(admin.listTopics().names().get()).containsAll(topics.all().stream().map(t -> t.name()).toList());
      }
      assertThat(cli("corpus", "load", "--articles", "1", "--bootstrap-servers", bootstrap, "--kafka-config", config.toString())).isZero();
      int passages = BeirDataset.bundled().firstArticles(1).corpus().passages().size();
      assertThat(KafkaAccess.readAll(settings, topics.corpus().name(), v -> {})).isEqualTo(passages);

      KafkaSettings fromFile = KafkaSettings.load(bootstrap, config);
      try (ServingNode node = ServingNode.start(new ServingNode.Config(fromFile, topics, work.resolve("serving"), new ModelRegistry(work.resolve("models"), ModelSpec.BGE_SMALL_EN_V15), null, "127.0.0.1", 0, RetrievalApi.Config.open(), Tasks.defaults().instructions(), 64, 256),
              new IndexManager.Listener() {});
          KafkaStreams assembler = EpisodeAssembler.start(AssemblerConfig.defaults(fromFile, work.resolve("streams"))
              .withWindow(Duration.ofSeconds(2), Duration.ofSeconds(1)), Duration.ofMinutes(1), failure -> {})) {
        var miner = new PreferenceMiningJob(MiningJobConfig.defaults(fromFile)).startLocal(work.resolve("mining"), Restarts.defaults());
        try {
          AttuneClient client = new AttuneClient(node.uri(), null, Duration.ofSeconds(30));
          for (String q : List.of("Which team won Super Bowl 50?", "Where was Super Bowl 50 played?")) {
            AttuneClient.Retrieval r = client.retrieve(AttuneClient.RetrieveRequest.of(q, 3));
            String top = r.passages().get(0).id();
            client.feedback(r.requestId(), new AttuneClient.LlmFeedback("llm-a", "ANSWER_LOG_LIKELIHOOD", Map.of(top, -0.2,
                r.passages().get(1).id(), -3.0, r.passages().get(2).id(), -4.0), "Denver Broncos", null),
                new AttuneClient.HumanFeedback(List.of(top), List.of("Denver Broncos")));
          }

          await().atMost(Duration.ofMinutes(2)).untilAsserted(() ->
              assertThat(KafkaAccess.readAll(settings, topics.trainingExamples().name(), v -> {})).isEqualTo(2));
          assertThat(KafkaAccess.readAll(settings, topics.deadLetters().name(), v -> {})).isZero();
        } finally {
          miner.cancel().get();
        }
      }
    }
  }

  private static int cli(String... args) {
    return new CommandLine(new AttuneCli()).execute(args);
  }
}
