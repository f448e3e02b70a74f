package dev.attune.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.attune.serving.store.LuceneVectorStore;
import dev.attune.serving.store.StoredPassage;
import dev.attune.models.encoder.Encoder;
import dev.attune.models.encoder.ModelSpec;
import dev.attune.models.encoder.OnnxEncoder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The verifier on the real bge-small encoder, and on a model that embeds nonsense. */
class IndexVerifierTest {
  @TempDir static Path models;
  @TempDir Path indexes;
  private static Encoder bge;

  private static final Corpus CORPUS = new Corpus(List.of(
      new Corpus.Passage("p1", "Rivers", "The Nile is the longest river in Africa. It flows north into the Mediterranean Sea."),
      new Corpus.Passage("p2", "Volcanoes", "Mount Etna is an active volcano on the east coast of Sicily. It erupts often."),
      new Corpus.Passage("p3", "Chess", "Chess is a board game for two players on a checkered board of 64 squares. It is old."),
      new Corpus.Passage("p4", "Bees", "Honey bees live in colonies with a single queen and thousands of workers. They dance."),
      new Corpus.Passage("p5", "Tea", "Green tea is made from leaves that have not been withered and oxidised. It is popular.")));

  @BeforeAll
  static void loadEncoder() throws Exception {
    bge = new OnnxEncoder("bge", ModelSpec.BGE_SMALL_EN_V15.materializeBase(models.resolve("bge")), ModelSpec.BGE_SMALL_EN_V15, 128);
  }

  @AfterAll
  static void closeEncoder() {
    bge.close();
  }

  /** Fault injection: a model that returns a random unit vector per text, as corrupt weights would. */
  private static final class ScramblingEncoder implements Encoder {
    @Override
    public String version() {
      return "scrambled";
    }

    @Override
    public int dimension() {
      return bge.dimension();
    }

    @Override
    public float[][] embedBatch(List<String> texts, int maxLength) {
      float[][] out = new float[texts.size()][dimension()];
      for (int i = 0; i < texts.size(); i++) {
        Random random = new Random(texts.get(i).hashCode());
        for (int d = 0; d < dimension(); d++) out[i][d] = (float) random.nextGaussian();
        Encoder.normalize(out[i]);
      }
      return out;
    }

    @Override
    public void close() {}
  }

  private static void index(LuceneVectorStore store, String version, Encoder encoder, List<Corpus.Passage> passages) {
    store.create(version, encoder.dimension());
    float[][] v = encoder.embedBatch(passages.stream().map(Corpus.Passage::embeddingText).toList(), 128);
    List<StoredPassage> stored = new ArrayList<>();
    for (int i = 0; i < passages.size(); i++) stored.add(new StoredPassage(passages.get(i).id(), passages.get(i).title(), passages.get(i).text(), v[i]));
    store.upsert(version, stored);
  }

  @Test
  void pass_a_sound_index_and_refuse_nonsense_or_a_short_count() {
    IndexVerifier verifier = new IndexVerifier(new IndexVerifier.Config(5, 1, 0.8, 64));
    try (LuceneVectorStore store = new LuceneVectorStore(indexes)) {
      index(store, "good", bge, CORPUS.passages());
      index(store, "nonsense", new ScramblingEncoder(), CORPUS.passages());
      index(store, "short", bge, CORPUS.passages().subList(0, 4));

      IndexVerifier.Verification ok = verifier.verify(store, "good", bge, CORPUS);
      assertThat(ok.points()).isEqualTo(5);
      assertThat(ok.smokeRecall()).isEqualTo(1.0);
      assertThatThrownBy(() -> verifier.verify(store, "nonsense", new ScramblingEncoder(), CORPUS))
          .isInstanceOf(IndexVerifier.VerificationFailed.class).hasMessageContaining("below the floor 0.80");
      assertThatThrownBy(() -> verifier.verify(store, "short", bge, CORPUS))
          .isInstanceOf(IndexVerifier.VerificationFailed.class).hasMessageContaining("holds 4 passages, the corpus has 5");
    }
  }

  @Test
  void query_with_the_opening_sentence() {
    assertThat(IndexVerifier.openingSentence("The Nile is the longest river in Africa. It flows north."))
        .isEqualTo("The Nile is the longest river in Africa.");
    assertThat(IndexVerifier.openingSentence("Short. Then more")).isEqualTo("Short. Then more");
  }
}
