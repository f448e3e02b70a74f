package dev.attune.trainers.train;

import dev.attune.trainers.eval.RetrievalMetrics;
import dev.attune.trainers.eval.RetrieverEvaluator;
import dev.attune.trainers.model.ModelSpec;
import dev.attune.trainers.model.OnnxEncoder;
import dev.attune.trainers.model.Progress;
import dev.attune.trainers.task.Tasks;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Scores a model directory under ONNX Runtime (as serving will run it) on the held-out traffic and
 * on the fixed reference set, against the current corpus with exact search. Keys are prefixed
 * {@value #HELD_OUT} and {@value #REFERENCE}.
 */
final class CandidateEvaluator {
  static final String HELD_OUT = "heldout.";
  static final String REFERENCE = "reference.";
  private final ModelSpec spec;
  private final Tasks tasks;
  private final int maxQueryTokens;
  private final int maxPassageTokens;

  CandidateEvaluator(ModelSpec spec, Tasks tasks, int maxQueryTokens, int maxPassageTokens) {
    this.spec = spec;
    this.tasks = tasks;
    this.maxQueryTokens = maxQueryTokens;
    this.maxPassageTokens = maxPassageTokens;
  }

  Map<String, Double> evaluate(String name, Path modelDir, Map<String, String> corpus,
      List<RetrievalMetrics.Judged> heldOut, List<RetrievalMetrics.Judged> reference) {
    RetrieverEvaluator evaluator = new RetrieverEvaluator(new ArrayList<>(corpus.keySet()), new ArrayList<>(corpus.values()),
        maxQueryTokens, maxPassageTokens);
    try (OnnxEncoder encoder = new OnnxEncoder(name, modelDir, spec, maxPassageTokens)) {
      float[][] vectors = evaluator.embedCorpus(encoder, Progress.every("eval " + name, corpus.size(), 15_000));
      Map<String, Double> metrics = new LinkedHashMap<>();
      evaluator.evaluate(encoder, vectors, heldOut, tasks).forEach((k, v) -> metrics.put(HELD_OUT + k, v));
      if (!reference.isEmpty()) evaluator.evaluate(encoder, vectors, reference, tasks).forEach((k, v) -> metrics.put(REFERENCE + k, v));
      return metrics;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot load " + name + " from " + modelDir, e);
    }
  }
}
