package dev.attune.infra.cli;

import dev.attune.serving.store.QdrantServer;
import dev.attune.serving.store.QdrantVectorStore;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/** Where serving keeps its indexes. */
class StoreOptions {
  @Option(names = "--store", defaultValue = "lucene", description = "lucene (embedded), qdrant (a running server) or qdrant-local (downloads and starts Qdrant 1.16.3) (default: ${DEFAULT-VALUE}).") String store;
  @Option(names = "--qdrant-host", defaultValue = "127.0.0.1") String qdrantHost;
  @Option(names = "--qdrant-grpc-port", defaultValue = "6334") int qdrantGrpcPort;
  @Option(names = "--qdrant-alias", defaultValue = "attune_passages", description = "Alias the indexer points at the live index (what a restarted indexer restores); collections are <alias>_<version>, and requests read those.") String alias;
  @Option(names = "--qdrant-api-key", description = "Qdrant API key (or env QDRANT_API_KEY).") String apiKey;
  @Option(names = "--qdrant-tls", negatable = true, description = "gRPC over TLS to Qdrant, verified against the JVM trust store"
      + " (default: on when an API key is given, so the key never crosses the network in clear; --no-qdrant-tls to send it plaintext anyway).")
  Boolean tls;

  /** Resolves the choice, starting a local Qdrant server under {@code dir} for qdrant-local. */
  StoreChoice open(Path dir) {
    switch (store) {
      case "lucene":
        return new StoreChoice(null, null);
      case "qdrant":
        String key = apiKey != null ? apiKey : System.getenv("QDRANT_API_KEY");
        boolean secure = tls != null ? tls : key != null;
        if (key != null && !secure) System.err.println("warning: --no-qdrant-tls sends the Qdrant API key in clear");
        return new StoreChoice(new QdrantVectorStore.Config(qdrantHost, qdrantGrpcPort, alias, key, secure, 256, Duration.ofSeconds(30)), null);
      case "qdrant-local":
        QdrantServer server = QdrantServer.start(QdrantServer.binary(QdrantServer.defaultCache()), dir, Duration.ofSeconds(60));
        System.out.printf("started Qdrant %s on 127.0.0.1 (grpc %d, http %d), storage under %s%n",
            QdrantServer.VERSION, server.grpcPort(), server.httpPort(), dir);
        return new StoreChoice(QdrantVectorStore.Config.local(server.grpcPort(), alias), server);
      default:
        throw new CommandLine.ParameterException(new CommandLine(this), "--store must be lucene, qdrant or qdrant-local, not " + store);
    }
  }
}
