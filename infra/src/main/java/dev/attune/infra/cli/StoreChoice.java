package dev.attune.infra.cli;

import dev.attune.serving.store.QdrantServer;
import dev.attune.serving.store.QdrantVectorStore;

/** The chosen store: Qdrant settings (null for Lucene) and the local server started for them, if any. */
record StoreChoice(QdrantVectorStore.Config qdrant, QdrantServer server) implements AutoCloseable {
  @Override
  public void close() {
    if (server != null) server.close();
  }
}
