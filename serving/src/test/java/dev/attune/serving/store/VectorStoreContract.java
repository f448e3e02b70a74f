package dev.attune.serving.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The behaviour every {@link VectorStore} shares; each implementation's test extends this. */
abstract class VectorStoreContract {
  protected VectorStore store;

  /** A fresh, empty store. */
  protected abstract VectorStore open();

  /** The same store's data seen by a new instance, as after a restart. */
  protected abstract VectorStore reopen();

  @BeforeEach
  void openStore() {
    store = open();
  }

  @AfterEach
  void closeStore() {
    store.close();
  }

  static float[] unit(float x, float y) {
    float n = (float) Math.sqrt(x * x + y * y);
    return new float[] {x / n, y / n};
  }

  @Test
  void return_nearest_first_with_cosine_scores() {
    store.create("v1", 2);
    store.upsert("v1", List.of(
        new StoredPassage("a", "A", "alpha", unit(1, 0)),
        new StoredPassage("b", "B", "beta", unit(0, 1)),
        new StoredPassage("c", null, "gamma", unit(1, 1))));

    List<SearchHit> hits = store.search("v1", unit(1, 0.1f), 2);

    assertThat(hits).extracting(SearchHit::id).containsExactly("a", "c");
    assertThat(hits.get(0).score()).isCloseTo(0.995f, Offset.offset(0.01f));
    assertThat(hits.get(1).title()).isNull();
    assertThat(hits.get(1).text()).isEqualTo("gamma");
  }

  @Test
  void replace_on_upsert_and_forget_on_delete() {
    store.create("v1", 2);
    store.upsert("v1", List.of(new StoredPassage("a", "A", "old", unit(1, 0))));
    store.upsert("v1", List.of(new StoredPassage("a", "A", "new", unit(1, 0)), new StoredPassage("b", "B", "b", unit(0, 1))));
    store.delete("v1", List.of("b"));
    store.upsert("v1", List.of());

    assertThat(store.count("v1")).isEqualTo(1);
    assertThat(store.search("v1", unit(1, 0), 5)).extracting(SearchHit::text).containsExactly("new");
  }

  @Test
  void hand_back_every_live_passage_with_its_vector_in_chunks() {
    store.create("v1", 2);
    List<StoredPassage> written = new ArrayList<>();
    for (int i = 0; i < 7; i++) written.add(new StoredPassage("p" + i, i % 2 == 0 ? "T" : null, "text " + i, unit(1, i)));
    store.upsert("v1", written);
    store.delete("v1", List.of("p3"));

    List<List<StoredPassage>> chunks = new ArrayList<>();
    store.scan("v1", 3, chunks::add);

    assertThat(chunks).allSatisfy(c -> assertThat(c).hasSizeBetween(1, 3));
    List<StoredPassage> read = chunks.stream().flatMap(List::stream).toList();
    assertThat(read).extracting(StoredPassage::id).containsExactlyInAnyOrder("p0", "p1", "p2", "p4", "p5", "p6");
    StoredPassage p4 = read.stream().filter(p -> p.id().equals("p4")).findFirst().orElseThrow();
    assertThat(p4.title()).isEqualTo("T");
    assertThat(p4.text()).isEqualTo("text 4");
    assertThat(p4.vector()).containsExactly(unit(1, 4), Offset.offset(1e-6f));
    assertThatThrownBy(() -> store.scan("v9", 3, chunks::add)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void restrict_search_to_the_filter() {
    store.create("v1", 2);
    store.upsert("v1", List.of(
        new StoredPassage("a", "Paris", "a", unit(1, 0)),
        new StoredPassage("b", "Rome", "b", unit(1, 0.1f)),
        new StoredPassage("c", "Rome", "c", unit(1, 0.2f)),
        new StoredPassage("d", "Oslo", "d", unit(0, 1))));

    assertThat(store.search("v1", unit(1, 0), 10, new SearchFilter(Set.of("Rome"), Set.of())))
        .extracting(SearchHit::id).containsExactly("b", "c");
    assertThat(store.search("v1", unit(1, 0), 10, new SearchFilter(Set.of(), Set.of("d", "a"))))
        .extracting(SearchHit::id).containsExactly("a", "d");
    assertThat(store.search("v1", unit(1, 0), 10, new SearchFilter(Set.of("Rome"), Set.of("c", "d"))))
        .extracting(SearchHit::id).containsExactly("c");
  }

  @Test
  void keep_versions_apart_and_refuse_to_drop_the_active_one() {
    store.create("v1", 2);
    store.create("v2", 2);
    store.upsert("v2", List.of(new StoredPassage("x", "X", "x", unit(1, 0))));
    store.activate("v2");

    assertThat(store.count("v1")).isZero();
    assertThat(store.active()).contains("v2");
    assertThatThrownBy(() -> store.create("v2", 2)).isInstanceOf(IllegalStateException.class).hasMessageContaining("exists");
    assertThatThrownBy(() -> store.drop("v2")).isInstanceOf(IllegalStateException.class).hasMessageContaining("active");
    store.drop("v1");
    assertThat(store.versions()).containsExactly("v2");
    assertThatThrownBy(() -> store.search("v1", unit(1, 0), 1)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("v1");
    assertThatThrownBy(() -> store.search("v2", unit(1, 0), 0)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void answer_through_the_active_version_and_say_which() {
    store.create("v1", 2);
    store.create("v2", 2);
    store.upsert("v1", List.of(new StoredPassage("one", "T", "one", unit(1, 0))));
    store.upsert("v2", List.of(new StoredPassage("two", "T", "two", unit(1, 0))));

    store.activate("v1");
    VersionedHits first = store.searchActive(unit(1, 0), 1, SearchFilter.NONE);
    store.activate("v2");
    VersionedHits second = store.searchActive(unit(1, 0), 1, SearchFilter.NONE);

    assertThat(first.version()).isEqualTo("v1");
    assertThat(first.hits()).extracting(SearchHit::id).containsExactly("one");
    assertThat(second.version()).isEqualTo("v2");
    assertThat(second.hits()).extracting(SearchHit::id).containsExactly("two");
  }

  @Test
  void keep_active_version_points_and_metadata_across_a_restart() {
    store.create("v1", 2);
    store.upsert("v1", List.of(new StoredPassage("a", "A", "a", unit(1, 0))));
    store.setMetadata("v1", Map.of("state", "building", "offsets", "0:3"));
    store.setMetadata("v1", Map.of("state", "complete"));
    store.activate("v1");
    store.close();

    store = reopen();

    assertThat(store.active()).contains("v1");
    assertThat(store.versions()).containsExactly("v1");
    assertThat(store.count("v1")).isEqualTo(1);
    assertThat(store.metadata("v1")).containsEntry("state", "complete").containsEntry("offsets", "0:3");
  }

  /** Readers racing many activations never fail and never see a half-moved pointer. */
  @Test
  void switch_atomically_under_concurrent_reads() throws Exception {
    for (String v : List.of("v1", "v2")) {
      store.create(v, 2);
      store.upsert(v, List.of(new StoredPassage("p-" + v, "T", v, unit(1, 0))));
    }
    store.activate("v1");
    AtomicBoolean done = new AtomicBoolean();
    AtomicInteger reads = new AtomicInteger();
    ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
    List<Thread> readers = new ArrayList<>();
    for (int t = 0; t < 3; t++) {
      Thread reader = new Thread(() -> {
        while (!done.get()) {
          try {
            VersionedHits h = store.searchActive(unit(1, 0), 1, SearchFilter.NONE);
            if (h.hits().size() != 1 || !h.hits().get(0).id().equals("p-" + h.version())) problems.add("inconsistent: " + h);
            reads.incrementAndGet();
          } catch (RuntimeException e) {
            problems.add(e.toString());
          }
        }
      });
      reader.start();
      readers.add(reader);
    }
    for (int i = 0; i < 40; i++) store.activate(i % 2 == 0 ? "v2" : "v1");
    done.set(true);
    for (Thread reader : readers) reader.join();

    assertThat(problems).isEmpty();
    assertThat(reads.get()).isPositive();
    assertThat(store.active()).contains("v1");
  }
}
