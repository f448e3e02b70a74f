package dev.attune.trainers.train;

import dev.attune.trainers.eval.ExactSearch;
import dev.attune.trainers.eval.LlmJudge;
import dev.attune.trainers.eval.RetrievalMetrics;
import dev.attune.models.index.IndexSnapshot;
import dev.attune.models.encoder.Encoder;
import dev.attune.models.encoder.ModelSpec;
import dev.attune.models.encoder.OnnxEncoder;
import dev.attune.models.encoder.Progress;
import dev.attune.models.encoder.Truncation;
import dev.attune.models.task.Tasks;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Scores the serving model and a candidate as serving will run them: queries embedded under ONNX
 * Runtime at serving's truncation, exact search over the index each one searches. The serving side
 * reads its live index's own embeddings, so nothing is re-embedded for it; a query-side candidate
 * searches that same index; a full-round candidate searches the corpus embedded once by itself
 * ({@link #embedIndex}). On held-out traffic both are judged on LLM utility@5 over one scored pool
 * ({@link LlmJudge}) and on the human labels; on the reference set on its labels. Keys are prefixed
 * {@value #HELD_OUT} and {@value #REFERENCE}.
 */
final class CandidateEvaluator {
  static final String HELD_OUT = "heldout.";
  static final String REFERENCE = "reference.";

  /** One side of the comparison: its query encoder's directory and the index it searches. */
  record Side(String name, Path queryEncoder, IndexSnapshot index) {}

  /** Both sides' metrics, and what judging the LLM utility cost. */
  record Comparison(Map<String, Double> serving, Map<String, Double> candidate, LlmJudge.Spent spent) {}

  private final ModelSpec spec;
  private final Tasks tasks;
  private final Truncation truncation;
  private final LlmJudge judge;

  CandidateEvaluator(ModelSpec spec, Tasks tasks, Truncation truncation, LlmJudge judge) {
    this.spec = spec;
    this.tasks = tasks;
    this.truncation = truncation;
    this.judge = judge;
  }

  /**
   * @param embeddingTexts passage id → the text retrieval embeds (answer recall reads it)
   * @param llmTexts passage id → the text the LLM reads (the judge scores it)
   * @param fillable held-out queries the judge may score passages for
   */
  Comparison compare(Side serving, Side candidate, Map<String, String> embeddingTexts, Map<String, String> llmTexts,
      List<RetrievalMetrics.Judged> heldOut, List<RetrievalMetrics.Judged> reference, Predicate<RetrievalMetrics.Judged> fillable) {
    List<List<List<String>>> s = rank(serving, heldOut, reference);
    List<List<List<String>>> c = rank(candidate, heldOut, reference);
    LlmJudge.Filled filled = judge.fill(heldOut, List.of(s.get(0), c.get(0)), llmTexts, 5, fillable);
    return new Comparison(metrics(filled.queries(), reference, s, embeddingTexts), metrics(filled.queries(), reference, c, embeddingTexts),
        filled.spent());
  }

  private static Map<String, Double> metrics(List<RetrievalMetrics.Judged> heldOut, List<RetrievalMetrics.Judged> reference,
      List<List<List<String>>> rankings, Map<String, String> texts) {
    Map<String, Double> out = new LinkedHashMap<>();
    RetrievalMetrics.evaluate(heldOut, rankings.get(0), texts).forEach((k, v) -> out.put(HELD_OUT + k, v));
    if (!reference.isEmpty()) RetrievalMetrics.evaluate(reference, rankings.get(1), texts).forEach((k, v) -> out.put(REFERENCE + k, v));
    return out;
  }

  /** Each query set's top 10 by exact search over the side's index, in query order. */
  private List<List<List<String>>> rank(Side side, List<RetrievalMetrics.Judged> heldOut, List<RetrievalMetrics.Judged> reference) {
    try (Encoder encoder = open(side.name(), side.queryEncoder())) {
      return List.of(rank(encoder, side.index(), heldOut), rank(encoder, side.index(), reference));
    }
  }

  private List<List<String>> rank(Encoder encoder, IndexSnapshot index, List<RetrievalMetrics.Judged> queries) {
    List<String> texts = queries.stream().map(q -> tasks.get(q.task()).queryText(q.text())).toList();
    float[][] vectors = encoder.embed(texts, truncation.queryTokens(), 64, Progress.silent());
    return ExactSearch.topK(vectors, index.vectors(), index.ids(), 10);
  }

  /** A full-round candidate's own index: {@code texts} (with {@code ids}) embedded by it at serving's truncation. */
  IndexSnapshot embedIndex(String name, Path dir, List<String> ids, List<String> texts) {
    try (Encoder encoder = open(name, dir)) {
      return new IndexSnapshot(name, ids, encoder.embed(texts, truncation.passageTokens(), 32,
          Progress.every("embedding the corpus with " + name, texts.size(), 15_000)));
    }
  }

  private Encoder open(String name, Path dir) {
    try {
      return new OnnxEncoder(name, dir, ModelSpec.of(dir, spec), truncation.passageTokens());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot load " + name + " from " + dir, e);
    }
  }
}
