package dev.attune.trainers.bridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.attune.models.bridge.BridgeInputs;
import dev.attune.models.bridge.DecoderSteps;
import dev.attune.models.bridge.GreedyDecoder;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Serving's plain-Java decoder, read from what the trainer saved, decodes exactly as the DJL model it
 * was trained as: the same greedy sequences and the same log-probabilities at every step, at the
 * default shape (384-wide embeddings, 10 candidates, 8 steps, 128 hidden).
 */
class GreedyDecoderTest {
  private static final int DIM = 384;

  private static BridgeConfig config(long seed) {
    BridgeConfig d = BridgeConfig.defaults();
    return new BridgeConfig(d.candidates(), d.maxLength(), d.maxRepeats(), d.hidden(), d.batchQueries(), d.supervisedEpochs(),
        d.supervisedLearningRate(), d.reinforceEpochs(), d.samplesPerQuery(), d.reinforceLearningRate(), d.baselineMomentum(),
        d.encoderLearningRate(), d.maxQueryTokens(), d.maxPassageTokens(), d.checkpointEvery(), seed);
  }

  @Test
  void decodes_the_same_sequences_as_the_djl_model(@TempDir Path dir) throws Exception {
    for (long seed = 1; seed <= 3; seed++) {
      BridgeConfig config = config(seed);
      BridgeInputs in = inputs(config.candidates(), 64, seed);
      try (PointerDecoder djl = PointerDecoder.create(DIM, config, "retriever-v0", Device.cpu())) {
        Path saved = dir.resolve("bridge-" + seed);
        djl.save(saved);
        List<List<Integer>> expected = djl.decode(in, null);

        assertThat(GreedyDecoder.load(saved).decode(in)).as("seed %d", seed).isEqualTo(expected);
        assertThat(expected.stream().mapToInt(List::size).distinct().count()).as("sequences of more than one length").isGreaterThan(1);
      }
    }
  }

  @Test
  void scores_every_step_of_a_sequence_as_the_djl_model() {
    BridgeConfig config = config(5);
    int n = config.candidates(), t = config.maxLength() + 1, o = n + 1;
    BridgeInputs in = inputs(n, 16, 9);
    try (PointerDecoder djl = PointerDecoder.create(DIM, config, "retriever-v0", Device.cpu());
        NDManager scope = djl.manager().newSubManager()) {
      // Sampled sequences visit repeats, short and long prefixes that greedy decoding may not.
      List<List<Integer>> sequences = djl.decode(in, new Random(4));
      DecoderSteps steps = DecoderSteps.of(sequences, in.counts(), n, config.maxLength(), config.maxRepeats());
      float[] expected = djl.logProbabilities(scope, in, steps).toFloatArray();
      GreedyDecoder java = new GreedyDecoder(djl.layout(), djl.weights());

      int compared = 0;
      for (int row = 0; row < sequences.size(); row++) {
        List<Integer> s = sequences.get(row);
        for (int step = 0; step <= s.size(); step++) {
          double[] actual = java.logProbabilities(in, row, s.subList(0, step));
          for (int j = 0; j < o; j++) {
            float want = expected[(row * t + step) * o + j];
            if (steps.penalty()[(row * t + step) * o + j] != 0) assertThat(actual[j]).isLessThan(-1e8);
            else assertThat(actual[j]).as("row %d step %d option %d", row, step, j).isCloseTo(want, within(1e-4));
            compared++;
          }
        }
      }
      assertThat(compared).isGreaterThan(16 * o);
    }
  }

  /** Unit-length random embeddings, as the retriever's are, with 1..N real candidates per row. */
  private static BridgeInputs inputs(int slots, int batch, long seed) {
    Random random = new Random(seed);
    float[] q = new float[batch * DIM];
    float[] p = new float[batch * slots * DIM];
    int[] counts = new int[batch];
    for (int b = 0; b < batch; b++) {
      counts[b] = 1 + random.nextInt(slots);
      unit(q, b * DIM, random);
      for (int j = 0; j < counts[b]; j++) unit(p, (b * slots + j) * DIM, random);
    }
    return new BridgeInputs(batch, slots, DIM, q, p, counts);
  }

  private static void unit(float[] into, int offset, Random random) {
    double norm = 0;
    for (int k = 0; k < DIM; k++) {
      into[offset + k] = (float) random.nextGaussian();
      norm += into[offset + k] * into[offset + k];
    }
    for (int k = 0; k < DIM; k++) into[offset + k] /= (float) Math.sqrt(norm);
  }
}
