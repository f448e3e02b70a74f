package dev.attune.serving.store;

import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The contract against a real Qdrant 1.16.3 server that requires an API key (so every call of the
 * contract proves the key is sent); if the binary cannot be obtained this fails, it never skips.
 */
class QdrantVectorStoreIT extends VectorStoreContract {
  @TempDir static Path dir;
  private static final String API_KEY = "contract-key";
  private static QdrantServer server;
  private String alias;

  @BeforeAll
  static void startServer() {
    server = QdrantServer.start(QdrantServer.binary(QdrantServer.defaultCache()), dir, Duration.ofSeconds(60), API_KEY);
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
    return new QdrantVectorStore(QdrantVectorStore.Config.local(server.grpcPort(), alias).withApiKey(API_KEY));
  }

  @Test
  void a_client_without_the_api_key_is_refused() {
    try (QdrantVectorStore anonymous = new QdrantVectorStore(QdrantVectorStore.Config.local(server.grpcPort(), "anon"))) {
      assertThatThrownBy(anonymous::versions).hasStackTraceContaining("UNAUTHENTICATED");
    }
  }
}
