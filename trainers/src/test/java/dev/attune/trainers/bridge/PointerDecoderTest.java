package dev.attune.trainers.bridge;

import dev.attune.models.bridge.BridgeInputs;
import dev.attune.models.bridge.DecoderSteps;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pointer decoder honours its masks when scoring, decoding and sampling, and survives a save. */
class PointerDecoderTest {
  static final BridgeConfig CONFIG = new BridgeConfig(5, 3, 2, 16, 4, 1, 1e-3f, 1, 2, 1e-4f, 0.9, 0f, 16, 16, 0, 7);
  static final int DIM = 8;

  @Test
  void masked_options_get_no_probability_and_each_step_sums_to_one() {
    BridgeInputs in = inputs(new int[] {5, 2, 3}, 1);
    DecoderSteps steps = DecoderSteps.of(List.of(List.of(4, 4), List.of(1), List.of(0, 1, 2)), in.counts(), 5, 3, 2);
    try (PointerDecoder decoder = PointerDecoder.create(DIM, CONFIG, "retriever-v0", Device.cpu());
        NDManager scope = decoder.manager().newSubManager()) {
      float[] logp = decoder.logProbabilities(scope, in, steps).toFloatArray();

      for (int i = 0; i < logp.length; i += 6) {
        double sum = 0;
        for (int j = 0; j < 6; j++) {
          double p = Math.exp(logp[i + j]);
          if (steps.penalty()[i + j] != 0) assertThat(p).as("masked option %d of row-step %d", j, i / 6).isLessThan(1e-30);
          sum += p;
        }
        assertThat(sum).isCloseTo(1.0, within(1e-5));
      }
    }
  }

  @Test
  void greedy_and_sampled_sequences_obey_the_rules() {
    int[] counts = {5, 2, 1, 3};
    BridgeInputs in = inputs(counts, 2);
    try (PointerDecoder decoder = PointerDecoder.create(DIM, CONFIG, "retriever-v0", Device.cpu())) {
      List<List<Integer>> all = new ArrayList<>(decoder.decode(in, null));
      Random random = new Random(3);
      for (int i = 0; i < 50; i++) all.addAll(decoder.decode(in, random));

      for (int i = 0; i < all.size(); i++) {
        List<Integer> s = all.get(i);
        int real = counts[i % counts.length];
        assertThat(s).as("sequence %d", i).isNotEmpty().hasSizeLessThanOrEqualTo(3).allMatch(c -> c >= 0 && c < real);
        for (int c = 0; c < real; c++) {
          int candidate = c;
          assertThat(s.stream().filter(x -> x == candidate).count()).isLessThanOrEqualTo(2);
        }
      }
    }
  }

  @Test
  void saved_decoder_scores_like_the_original(@TempDir Path dir) throws Exception {
    BridgeInputs in = inputs(new int[] {4, 5}, 3);
    DecoderSteps steps = DecoderSteps.of(List.of(List.of(0, 3), List.of(2)), in.counts(), 5, 3, 2);
    try (PointerDecoder original = PointerDecoder.create(DIM, CONFIG, "retriever-v2", Device.cpu());
        NDManager scope = original.manager().newSubManager()) {
      original.save(dir);
      try (PointerDecoder loaded = PointerDecoder.load(dir, Device.cpu()); NDManager scope2 = loaded.manager().newSubManager()) {
        assertThat(loaded.layout()).isEqualTo(original.layout());
        assertThat(loaded.logProbabilities(scope2, in, steps).toFloatArray())
            .containsExactly(original.logProbabilities(scope, in, steps).toFloatArray(), within(1e-6f));
      }
    }
  }

  /** Random unit vectors: the rules must hold whatever the embeddings say. */
  static BridgeInputs inputs(int[] counts, long seed) {
    Random random = new Random(seed);
    int b = counts.length;
    float[] q = new float[b * DIM];
    float[] p = new float[b * 5 * DIM];
    for (int i = 0; i < q.length; i++) q[i] = (float) random.nextGaussian();
    for (int i = 0; i < p.length; i++) p[i] = (float) random.nextGaussian();
    return new BridgeInputs(b, 5, DIM, q, p, counts.clone());
  }
}
