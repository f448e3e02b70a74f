package dev.attune.models.encoder;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** How {@link Encoder#embed} cuts any number of texts into batches and puts the vectors back in order. */
class EncoderBatchingTest {
  /** Records each batch it is given; a text's vector is its length, so order is checkable. */
  private static final class RecordingEncoder implements Encoder {
    final List<List<String>> batches = new ArrayList<>();

    @Override
    public String version() {
      return "recording";
    }

    @Override
    public int dimension() {
      return 1;
    }

    @Override
    public float[][] embedBatch(List<String> texts, int maxLength) {
      batches.add(List.copyOf(texts));
      return texts.stream().map(t -> new float[] {t.length()}).toArray(float[][]::new);
    }

    @Override
    public void close() {}
  }

  @Test
  void long_texts_go_in_small_batches_short_ones_up_to_the_batch_size_and_vectors_come_back_in_input_order() {
    // Out of length order: 40 questions of 20–59 characters (lengths cycling), 12 passages of 700–1,800 among them.
    List<String> texts = new ArrayList<>();
    IntStream.range(0, 40).forEach(i -> texts.add("q".repeat(20 + (i * 7) % 40)));
    IntStream.range(0, 12).forEach(i -> texts.add(texts.size() / 2, "p".repeat(700 + 100 * i)));
    RecordingEncoder encoder = new RecordingEncoder();

    float[][] vectors = encoder.embed(texts, 512, 32, Progress.silent());

    assertThat(vectors.length).isEqualTo(texts.size());
    for (int i = 0; i < texts.size(); i++) assertThat(vectors[i][0]).as("text %d", i).isEqualTo(texts.get(i).length());
    assertThat(encoder.batches.stream().mapToInt(List::size).sum()).isEqualTo(texts.size());
    for (List<String> batch : encoder.batches) {
      int longest = batch.stream().mapToInt(String::length).max().orElseThrow();
      assertThat(batch.size()).isLessThanOrEqualTo(32);
      if (batch.size() > 1) assertThat(batch.size() * longest).isLessThanOrEqualTo(Encoder.MAX_BATCH_CHARS);
    }
    assertThat(encoder.batches.get(0)).as("the shortest first, as many as the batch size allows").hasSize(32);
    assertThat(encoder.batches.get(encoder.batches.size() - 1)).as("a text over half the budget alone").hasSize(1);
  }
}
