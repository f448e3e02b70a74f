package dev.attune.serving.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LuceneVectorStoreTest {
  @TempDir Path root;
  private LuceneVectorStore store;

  @BeforeEach
  void open() {
    store = new LuceneVectorStore(root);
  }

  @AfterEach
  void close() {
    store.close();
  }

  private static float[] unit(float x, float y) {
    float n = (float) Math.sqrt(x * x + y * y);
    return new float[] {x / n, y / n};
  }

  @Test
  void should_return_nearest_first_with_cosine_scores() {
    store.create("v1", 2);
    store.upsert("v1", List.of(
        new StoredPassage("a", "A", "alpha", unit(1, 0)),
        new StoredPassage("b", "B", "beta", unit(0, 1)),
        new StoredPassage("c", null, "gamma", unit(1, 1))));

    List<SearchHit> hits = store.search("v1", unit(1, 0.1f), 2);

    assertThat(hits).extracting(SearchHit::id).containsExactly("a", "c");
    assertThat(hits.get(0).score()).isCloseTo(0.995f, org.assertj.core.data.Offset.offset(0.01f));
    assertThat(hits.get(1).title()).isNull();
  }

  @Test
  void should_replace_on_upsert_and_forget_on_delete() {
    store.create("v1", 2);
    store.upsert("v1", List.of(new StoredPassage("a", "A", "old", unit(1, 0))));
    store.upsert("v1", List.of(new StoredPassage("a", "A", "new", unit(1, 0)), new StoredPassage("b", "B", "b", unit(0, 1))));
    store.delete("v1", List.of("b"));

    assertThat(store.count("v1")).isEqualTo(1);
    assertThat(store.search("v1", unit(1, 0), 5)).extracting(SearchHit::text).containsExactly("new");
  }

  @Test
  void should_keep_versions_apart_and_refuse_to_drop_the_active_one() {
    store.create("v1", 2);
    store.create("v2", 2);
    store.upsert("v2", List.of(new StoredPassage("x", "X", "x", unit(1, 0))));
    store.activate("v2");

    assertThat(store.count("v1")).isZero();
    assertThat(store.active()).contains("v2");
    assertThatThrownBy(() -> store.drop("v2")).isInstanceOf(IllegalStateException.class).hasMessageContaining("active");
    store.drop("v1");
    assertThat(store.versions()).containsExactly("v2");
    assertThatThrownBy(() -> store.search("v1", unit(1, 0), 1)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("v1");
  }
}
