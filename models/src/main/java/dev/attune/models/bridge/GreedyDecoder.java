package dev.attune.models.bridge;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The bridge's pointer decoder for serving: the trainer's model (see the formulas on the trainer's
 * {@code PointerDecoder}) evaluated in plain Java, greedily. About 0.2 M parameters over at most a few
 * dozen candidates, so no tensor engine is needed; the trainers' tests check it decodes exactly as the
 * DJL model does. Immutable, so safe to share between request threads.
 */
public final class GreedyDecoder {
  private final DecoderLayout layout;
  private final float[] candidateWeight, candidateSimilarity, candidateRank, candidateBias, stop;
  private final float[] stateQuery, statePrefix, stateStep, stateBias;
  private final float[] scoreOption, scoreState, scoreCopies, scoreLast, scoreV;

  public GreedyDecoder(DecoderLayout layout, Map<String, float[]> weights) {
    this.layout = layout;
    layout.shapes().forEach((name, shape) -> {
      float[] values = weights.get(name);
      if (values == null || values.length != DecoderLayout.size(shape)) {
        throw new IllegalArgumentException("bridge weights have no tensor of size " + DecoderLayout.size(shape) + " for " + name);
      }
    });
    candidateWeight = weights.get("candidate.weight");
    candidateSimilarity = weights.get("candidate.similarity");
    candidateRank = weights.get("candidate.rank");
    candidateBias = weights.get("candidate.bias");
    stop = weights.get("stop");
    stateQuery = weights.get("state.query");
    statePrefix = weights.get("state.prefix");
    stateStep = weights.get("state.step");
    stateBias = weights.get("state.bias");
    scoreOption = weights.get("score.option");
    scoreState = weights.get("score.state");
    scoreCopies = weights.get("score.copies");
    scoreLast = weights.get("score.last");
    scoreV = weights.get("score.v");
  }

  public static GreedyDecoder load(Path dir) throws IOException {
    DecoderLayout layout = DecoderLayout.read(dir);
    return new GreedyDecoder(layout, layout.readWeights(dir));
  }

  public DecoderLayout layout() {
    return layout;
  }

  /** The most likely sequence of each row, one option at a time, until STOP. */
  public List<List<Integer>> decode(BridgeInputs in) {
    check(in);
    List<List<Integer>> out = new ArrayList<>(in.batch());
    for (int row = 0; row < in.batch(); row++) {
      Row r = new Row(in, row);
      List<Integer> sequence = new ArrayList<>();
      for (int step = 0; step <= layout.maxLength(); step++) {
        double[] logp = r.logProbabilities(sequence);
        int best = 0;
        for (int j = 1; j < logp.length; j++) if (logp[j] > logp[best]) best = j;
        if (best == layout.candidates()) break;
        sequence.add(best);
      }
      out.add(sequence);
    }
    return out;
  }

  /** Log-probabilities of the N + 1 options (candidates, then STOP) after {@code prefix} in row {@code row}. */
  public double[] logProbabilities(BridgeInputs in, int row, List<Integer> prefix) {
    check(in);
    return new Row(in, row).logProbabilities(prefix);
  }

  private void check(BridgeInputs in) {
    if (in.dimension() != layout.dimension() || in.candidates() != layout.candidates()) {
      throw new IllegalArgumentException("inputs of " + in.candidates() + " x " + in.dimension() + " do not fit a decoder of "
          + layout.candidates() + " x " + layout.dimension());
    }
  }

  /** What one row's steps share: its candidates' encodings and their projections, computed once. */
  private final class Row {
    private final int real;
    private final float[][] encoded;
    private final double[][] options;
    private final double[] queryState;

    Row(BridgeInputs in, int row) {
      int n = layout.candidates(), d = layout.dimension(), h = layout.hidden();
      real = in.counts()[row];
      float[] q = new float[d];
      System.arraycopy(in.queries(), row * d, q, 0, d);
      encoded = new float[n + 1][];
      float[] input = new float[2 * d];
      for (int i = 0; i < n; i++) {
        int base = (row * n + i) * d;
        double similarity = 0;
        for (int k = 0; k < d; k++) {
          float c = in.passages()[base + k];
          input[k] = c;
          input[d + k] = c * q[k];
          similarity += input[d + k];
        }
        double[] e = multiply(input, candidateWeight, h);
        float[] out = new float[h];
        for (int k = 0; k < h; k++) {
          out[k] = (float) Math.tanh(e[k] + similarity * candidateSimilarity[k] + candidateRank[i * h + k] + candidateBias[k]);
        }
        encoded[i] = out;
      }
      encoded[n] = stop;
      options = new double[n + 1][];
      for (int j = 0; j <= n; j++) options[j] = multiply(encoded[j], scoreOption, h);
      queryState = multiply(q, stateQuery, h);
    }

    double[] logProbabilities(List<Integer> prefix) {
      int n = layout.candidates(), h = layout.hidden(), step = prefix.size();
      if (step > layout.maxLength()) throw new IllegalArgumentException("prefix " + prefix + " is longer than maxLength " + layout.maxLength());
      int[] copies = new int[n];
      for (int i : prefix) copies[i]++;
      float[] mean = new float[h];
      for (int i = 0; i < n; i++) {
        for (int k = 0; k < h && copies[i] > 0; k++) mean[k] += copies[i] * encoded[i][k];
      }
      for (int k = 0; k < h; k++) mean[k] /= Math.max(step, 1);
      double[] prefixState = multiply(mean, statePrefix, h);
      float[] state = new float[h];
      for (int k = 0; k < h; k++) {
        state[k] = (float) Math.tanh(queryState[k] + prefixState[k] + stateStep[step * h + k] + stateBias[k]);
      }
      double[] stateScore = multiply(state, scoreState, h);
      int last = step == 0 ? -1 : prefix.get(step - 1);
      double[] logits = new double[n + 1];
      double max = Double.NEGATIVE_INFINITY;
      for (int j = 0; j <= n; j++) {
        double logit = 0;
        int copiesOfJ = j < n ? copies[j] : 0;
        for (int k = 0; k < h; k++) {
          double hidden = Math.tanh(options[j][k] + stateScore[k] + copiesOfJ * scoreCopies[k] + (j == last ? scoreLast[k] : 0));
          logit += hidden * scoreV[k];
        }
        if (!DecoderSteps.allowed(j, step, copies, real, n, layout.maxLength(), layout.maxRepeats())) logit += DecoderSteps.MASKED;
        logits[j] = logit;
        max = Math.max(max, logit);
      }
      double sum = 0;
      for (double l : logits) sum += Math.exp(l - max);
      double logSum = max + Math.log(sum);
      for (int j = 0; j <= n; j++) logits[j] -= logSum;
      return logits;
    }
  }

  /** {@code x} [K] times {@code w} [K, H] (row-major). */
  private static double[] multiply(float[] x, float[] w, int h) {
    double[] out = new double[h];
    for (int k = 0; k < x.length; k++) {
      float xk = x[k];
      if (xk == 0) continue;
      int base = k * h;
      for (int j = 0; j < h; j++) out[j] += xk * w[base + j];
    }
    return out;
  }
}
