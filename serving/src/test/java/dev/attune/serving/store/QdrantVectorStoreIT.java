package dev.attune.serving.store;

import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/** The contract against a real Qdrant 1.16.3 server; if the binary cannot be obtained this fails, it never skips. */
class QdrantVectorStoreIT extends VectorStoreContract {
  @TempDir static Path dir;
  private static QdrantServer server;
  private String alias;

  @BeforeAll
  static void startServer() {
    server = QdrantServer.start(QdrantServer.binary(QdrantServer.defaultCache()), dir, Duration.ofSeconds(60));
  }

  @AfterAll
  static void stopServer() {
    if (server != null) server.close();
  }

  @Override
  protected VectorStore open() {
    alias = "t" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    return reopen();
  }

  @Override
  protected VectorStore reopen() {
    return new QdrantVectorStore(QdrantVectorStore.Config.local(server.grpcPort(), alias));
  }
}
