package dev.attune.trainers.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.attune.schemas.TrainingExample;
import dev.attune.schemas.TrainingPassage;
import dev.attune.models.index.IndexSnapshot;
import dev.attune.models.task.TaskSpec;
import dev.attune.trainers.model.GraphScalars;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;

/**
 * A query-side round's passage side: passages are the paired index's own embeddings, constants, so
 * no passage is ever encoded. Each query's own keys are its positives and every other candidate
 * the miner gave it (the LLM's whole scored list, for the distillation); every other passage of the
 * index is a negative for it: the whole index is the softmax denominator (as a background
 * log-partition, see {@link RetrievalLosses#listwise}), or, for an index above {@code corpusKeys}
 * passages, each query's {@code neighbourKeys} nearest by exact search.
 */
final class IndexedPassages implements PassageSide {
  private final IndexSnapshot index;
  private final Map<String, Integer> rows;
  private final TrainerConfig config;
  private NDManager manager;
  private NDArray corpus;

  IndexedPassages(IndexSnapshot index, TrainerConfig config) {
    this.index = index;
    this.rows = index.positions();
    this.config = config;
  }

  @Override
  public boolean usable(TrainingExample e) {
    return e.getPositives().stream().anyMatch(rows::containsKey);
  }

  @Override
  public QueryTuning tuning() {
    return config.queryTuning();
  }

  @Override
  public Scores score(NDManager scope, StepEmbedder embedder, TaskSpec task, List<TrainingExample> examples, NDArray q) {
    Map<Integer, Integer> columns = new LinkedHashMap<>();
    List<List<BatchKeys.Own>> own = new ArrayList<>();
    for (TrainingExample e : examples) {
      Map<String, Double> teacher = new HashMap<>();
      for (TrainingPassage c : e.getCandidates()) teacher.put(c.getPassageId(), c.getTeacherScore() == null ? Double.NaN : c.getTeacherScore());
      List<BatchKeys.Own> mine = new ArrayList<>();
      Set<String> named = new LinkedHashSet<>(PassageSide.orderedPositives(e, config.positiveOrder()));
      e.getCandidates().forEach(c -> named.add(c.getPassageId()));
      for (String id : named) {
        Integer row = rows.get(id);
        if (row == null) continue;
        int column = columns.computeIfAbsent(row, r -> columns.size());
        mine.add(new BatchKeys.Own(column, e.getPositives().contains(id), teacher.getOrDefault(id, Double.NaN)));
      }
      own.add(mine);
    }
    int d = index.dimension();
    float[] keys = new float[columns.size() * d];
    columns.forEach((row, column) -> System.arraycopy(index.vectors()[row], 0, keys, column * d, d));
    NDArray k = scope.create(keys, new Shape(columns.size(), d)).toDevice(q.getDevice(), false);
    float[] valid = new float[columns.size()];
    Arrays.fill(valid, 1f);
    BatchKeys layout = new BatchKeys(examples.size(), columns.size(), valid, own, config.positivesPerQuery());
    NDArray kt = k.transpose();
    kt.attach(scope);
    return new Scores(layout, q.matMul(kt), background(scope, q, columns.keySet()));
  }

  /** log Σ exp(sim / τ) per query over the index's passages that are not among the batch's own keys. */
  private NDArray background(NDManager scope, NDArray q, Set<Integer> own) {
    if (index.size() <= config.corpusKeys()) {
      float[] mask = new float[index.size()];
      for (int row : own) mask[row] = RetrievalLosses.MASKED;
      NDArray hide = scope.create(mask, new Shape(1, index.size())).toDevice(q.getDevice(), false);
      NDArray all = corpus(q).transpose();
      all.attach(scope);
      return RetrievalLosses.logSumExp(GraphScalars.div(q.matMul(all), config.temperature()).add(hide));
    }
    List<Integer> nearest = nearest(q.stopGradient().toFloatArray(), (int) q.getShape().get(0), own);
    int d = index.dimension();
    float[] rest = new float[nearest.size() * d];
    for (int i = 0; i < nearest.size(); i++) System.arraycopy(index.vectors()[nearest.get(i)], 0, rest, i * d, d);
    NDArray r = scope.create(rest, new Shape(nearest.size(), d)).toDevice(q.getDevice(), false);
    return RetrievalLosses.logSumExp(GraphScalars.div(q.matMul(r.transpose()), config.temperature()));
  }

  /** The whole index on the training device, created once per round. */
  private NDArray corpus(NDArray like) {
    if (corpus == null) {
      int d = index.dimension();
      float[] flat = new float[index.size() * d];
      for (int i = 0; i < index.size(); i++) System.arraycopy(index.vectors()[i], 0, flat, i * d, d);
      manager = NDManager.newBaseManager(like.getDevice());
      corpus = manager.create(flat, new Shape(index.size(), d));
    }
    return corpus;
  }

  /** The union over queries of each one's {@code neighbourKeys} nearest rows (exact inner product), own rows excluded. */
  List<Integer> nearest(float[] queries, int count, Set<Integer> own) {
    int d = index.dimension();
    Set<Integer> out = new LinkedHashSet<>();
    for (int b = 0; b < count; b++) {
      PriorityQueue<double[]> heap = new PriorityQueue<>((x, y) -> Double.compare(x[0], y[0]));
      for (int row = 0; row < index.size(); row++) {
        if (own.contains(row)) continue;
        float[] v = index.vectors()[row];
        double dot = 0;
        for (int t = 0; t < d; t++) dot += queries[b * d + t] * v[t];
        if (heap.size() < config.neighbourKeys()) heap.add(new double[] {dot, row});
        else if (dot > heap.peek()[0]) {
          heap.poll();
          heap.add(new double[] {dot, row});
        }
      }
      heap.forEach(h -> out.add((int) h[1]));
    }
    return new ArrayList<>(out);
  }

  @Override
  public void close() {
    if (manager != null) manager.close();
    manager = null;
    corpus = null;
  }
}
