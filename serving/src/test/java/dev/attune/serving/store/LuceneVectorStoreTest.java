package dev.attune.serving.store;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

class LuceneVectorStoreTest extends VectorStoreContract {
  @TempDir Path root;

  @Override
  protected VectorStore open() {
    return new LuceneVectorStore(root);
  }

  @Override
  protected VectorStore reopen() {
    return new LuceneVectorStore(root);
  }
}
