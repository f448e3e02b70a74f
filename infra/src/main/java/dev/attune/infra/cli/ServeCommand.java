package dev.attune.infra.cli;

import dev.attune.schemas.Topics;
import dev.attune.serving.IndexManager;
import dev.attune.serving.ServingNode;
import dev.attune.serving.api.RetrievalApi;
import dev.attune.models.task.Tasks;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/** {@code attune serve}: the retrieval API against an external Kafka. */
@Command(name = "serve", description = "Run the retrieval API against an external Kafka (corpus from the corpus topic, models from the model-versions topic).")
final class ServeCommand implements Callable<Integer> {
  @CommandLine.Mixin KafkaOptions kafka;
  @CommandLine.Mixin StoreOptions storeOptions;
  @Option(names = "--port", defaultValue = "8080") int port;
  @Option(names = "--host", defaultValue = "0.0.0.0") String host;
  @Option(names = "--work-dir", defaultValue = ".attune/serve") Path workDir;
  @CommandLine.Mixin ModelsDirOption modelsDir;
  @Option(names = "--token-env", defaultValue = "ATTUNE_API_TOKEN", description = "Environment variable holding the bearer token /v1/ calls must present; unset = no authentication (default: ${DEFAULT-VALUE}).") String tokenEnv;
  @CommandLine.Mixin BaseModelOption baseModel;
  @Option(names = "--bridge-by-default", description = "Pass /v1/retrieve requests that do not say \"bridge\" through the serving bridge.") boolean bridgeByDefault;
  @Option(names = "--publish-timeout", defaultValue = "PT5S", description = "How long a request waits for the broker to acknowledge its events before answering 503 (ISO-8601) (default: ${DEFAULT-VALUE}).") Duration publishTimeout;
  @CommandLine.Mixin LimitsOptions limits;
  @Option(names = "--role", defaultValue = "INDEXER", description = "INDEXER: builds, catches up and switches the indexes, and serves (one per deployment);"
      + " REPLICA: serves what the indexer built in the shared store (--store qdrant), writing nothing; any number behind a load balancer (default: ${DEFAULT-VALUE}).")
  ServingNode.Role role;
  @CommandLine.Mixin ReembedOptions reembed;

  @Override
  public Integer call() throws Exception {
    StoreChoice store = storeOptions.open(workDir.resolve("qdrant"));
    String token = System.getenv(tokenEnv);
    ServingNode node = ServingNode.start(new ServingNode.Config(kafka.settings(), Topics.defaults(), workDir, modelsDir.registry(baseModel.spec()),
        store.qdrant(), host, port, new RetrievalApi.Config(token == null || token.isBlank() ? null : token, bridgeByDefault, limits.limits(), publishTimeout),
        Tasks.defaults().instructions(), ServingNode.MAX_QUERY_TOKENS, ServingNode.MAX_PASSAGE_TOKENS, role, reembed.config(modelsDir)),
        new IndexManager.Listener() {});
    System.out.printf("serving %s on %s:%d as %s%n", node.indexes().current().modelVersion(), host, port, role);
    Lifecycle.blockUntilInterrupted(() -> {
      node.close();
      store.close();
    });
    return 0;
  }
}
