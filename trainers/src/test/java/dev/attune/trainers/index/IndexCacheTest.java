package dev.attune.trainers.index;

import dev.attune.models.index.IndexSnapshot;
import dev.attune.models.index.StoredIndex;

import static org.assertj.core.api.Assertions.assertThat;

import dev.attune.models.encoder.Encoder;
import dev.attune.models.encoder.ModelSpec;
import dev.attune.models.encoder.OnnxEncoder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The trainer's copy of an index: from serving's store where it can, embedded (real bge-small) only where it must, kept across restarts. */
class IndexCacheTest {
  @TempDir static Path models;
  static Path base;
  @TempDir Path dir;
  final List<String> opened = new ArrayList<>();

  @BeforeAll
  static void unpack() {
    base = ModelSpec.BGE_SMALL_EN_V15.materializeBase(models.resolve("retriever-v0"));
  }

  private Encoder open(String model) {
    opened.add(model);
    try {
      return new OnnxEncoder(model, base, ModelSpec.BGE_SMALL_EN_V15, 128);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** What serving's store holds for retriever-v0: passage a as the corpus has it, b with text the corpus has since changed. */
  static final float[] STORED_A = unit(1, 2, 3);
  static final StoredIndex STORE = model -> model.equals("retriever-v0")
      ? Optional.of(List.of(new StoredIndex.Entry("a", "Alpha text.", STORED_A), new StoredIndex.Entry("b", "Old beta text.", unit(3, 2, 1))))
      : Optional.empty();

  static float[] unit(float... head) {
    float[] v = new float[384];
    System.arraycopy(head, 0, v, 0, head.length);
    Encoder.normalize(v);
    return v;
  }

  static Map<String, String> corpus(String c) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("a", "Alpha text.");
    m.put("b", "Beta text.");
    m.put("c", c);
    return m;
  }

  @Test
  void reads_what_the_store_holds_embeds_only_the_rest_and_keeps_it_across_restarts() {
    IndexCache cache = new IndexCache(dir, STORE, this::open, 128);

    IndexSnapshot first = cache.snapshot("retriever-v0", corpus("Gamma text."));

    assertThat(cache.lastFilled()).isEqualTo(new IndexCache.Filled(0, 1, 2, 0));
    assertThat(first.ids()).containsExactly("a", "b", "c");
    assertThat(first.vectors()[0]).as("a comes from the store as is").containsExactly(STORED_A);
    assertThat(Encoder.cosine(first.vectors()[1], unit(3, 2, 1))).as("b's stored vector is of its old text").isLessThan(0.9);
    assertThat(opened).containsExactly("retriever-v0");

    cache.snapshot("retriever-v0", corpus("Gamma text."));
    assertThat(cache.lastFilled()).isEqualTo(new IndexCache.Filled(3, 0, 0, 0));

    IndexCache restarted = new IndexCache(dir, null, this::open, 128);
    IndexSnapshot again = restarted.snapshot("retriever-v0", corpus("Gamma, revised."));
    assertThat(restarted.lastFilled()).isEqualTo(new IndexCache.Filled(2, 0, 1, 0));
    assertThat(again.vectors()[1]).containsExactly(first.vectors()[1]);
    assertThat(opened).containsExactly("retriever-v0", "retriever-v0");
  }

  @Test
  void a_full_round_hands_in_its_index_deleted_passages_drop_and_retain_forgets_the_rest() throws Exception {
    IndexCache cache = new IndexCache(dir, null, this::open, 128);
    cache.put("retriever-v1", List.of("a", "b"), List.of("Alpha text.", "Beta text."), new float[][] {unit(1), unit(0, 1)});

    IndexSnapshot v1 = cache.snapshot("retriever-v1", Map.of("a", "Alpha text."));

    assertThat(cache.lastFilled()).isEqualTo(new IndexCache.Filled(1, 0, 0, 1));
    assertThat(v1.vectors()[0]).containsExactly(unit(1));
    assertThat(opened).isEmpty();
    cache.snapshot("retriever-v0", Map.of("a", "Alpha text."));
    assertThat(Files.exists(dir.resolve("retriever-v0.vectors"))).isTrue();

    cache.retain(List.of("retriever-v1"));

    assertThat(Files.exists(dir.resolve("retriever-v0.vectors"))).isFalse();
    assertThat(Files.exists(dir.resolve("retriever-v1.vectors"))).isTrue();
  }
}
