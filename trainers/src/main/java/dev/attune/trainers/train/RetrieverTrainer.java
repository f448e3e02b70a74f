package dev.attune.trainers.train;

import java.util.Locale;
import org.slf4j.LoggerFactory;
import org.slf4j.Logger;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import dev.attune.schemas.TrainingExample;
import dev.attune.models.index.IndexSnapshot;
import dev.attune.trainers.model.BertEncoder;
import dev.attune.trainers.model.GraphScalars;
import dev.attune.models.encoder.Progress;
import dev.attune.models.task.Distillation;
import dev.attune.models.task.TaskSpec;
import dev.attune.models.task.Tasks;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Fine-tunes a {@link BertEncoder} on mined examples (LLM-Embedder's recipe): homogeneous batches,
 * multi-positive InfoNCE, plus the task's distillation toward the LLM's teacher scores (KL or
 * stabilised), AdamW with warm-up, global gradient-norm clipping. A full round trains one shared
 * tower on both sides with in-batch negatives; a query-side round trains only the query tower
 * against the paired index's passage embeddings, with the whole index as negatives. With a {@link
 * TrainingCheckpoint} the run saves its state every {@code checkpointEvery} batches and a rerun on
 * the same examples continues from the last save instead of starting over.
 */
public final class RetrieverTrainer {
  private static final Logger LOG = LoggerFactory.getLogger(RetrieverTrainer.class);
  public static final int MAX_NON_FINITE_IN_A_ROW = 3;
  public static final float MAX_GRADIENT_NORM = 1.0f;
  private final TrainerConfig config;
  private final Tasks tasks;

  public RetrieverTrainer(TrainerConfig config, Tasks tasks) {
    this.config = config;
    this.tasks = tasks;
  }

  /** What a run did. {@code resumedAt} is the batch a resumed run started from (0 for a fresh run). */
  public record Result(int steps, int examples, double firstLoss, double lastLoss, int resumedAt) {}

  /** Sees every batch trained; tests use it to check that resumption neither repeats nor skips. */
  public interface StepListener {
    StepListener NONE = (batch, exampleIds, loss) -> {};

    void onStep(int batch, List<String> exampleIds, double loss);
  }

  /** Optimiser steps a full round on {@code examples} takes when no update is skipped: the progress bar's total. */
  public int plannedSteps(List<TrainingExample> examples) {
    return plannedSteps(examples, new EncodedPassages(config));
  }

  /** Optimiser steps a query-side round on {@code examples} against {@code index} takes when no update is skipped. */
  public int plannedSteps(List<TrainingExample> examples, IndexSnapshot index) {
    return plannedSteps(examples, new IndexedPassages(index, config));
  }

  private int plannedSteps(List<TrainingExample> examples, PassageSide passages) {
    BatchPlan batches = BatchPlan.of(usable(examples, passages), config.batchQueries(), config.epochs(), config.seed());
    return Math.min(batches.batches().size(), stepCap(batches));
  }

  private static List<TrainingExample> usable(List<TrainingExample> examples, PassageSide passages) {
    return examples.stream().filter(passages::usable).toList();
  }

  /**
   * A full (two-tower) round: one shared encoder trains on both sides, passages encoded in every
   * step; its index must be rebuilt before it is served.
   */
  public Result train(BertEncoder model, List<TrainingExample> examples, TrainingCheckpoint checkpoint, StepListener listener, Progress progress) {
    return train(model, examples, new EncodedPassages(config), checkpoint, listener, progress);
  }

  /**
   * A query-side round: only the query tower trains ({@link TrainerConfig#queryTuning}); passages are
   * {@code index}'s own embeddings, so the candidate is served on that same index with no
   * re-embedding.
   */
  public Result trainQuerySide(BertEncoder model, List<TrainingExample> examples, IndexSnapshot index, TrainingCheckpoint checkpoint,
      StepListener listener, Progress progress) {
    try (IndexedPassages passages = new IndexedPassages(index, config)) {
      return train(model, examples, passages, checkpoint, listener, progress);
    }
  }

  /** The step cap never cuts the first epoch: every example of the run is trained on once. */
  private int stepCap(BatchPlan batches) {
    return Math.max(config.maxSteps(), batches.epochLength());
  }

  private Result train(BertEncoder model, List<TrainingExample> examples, PassageSide passages, TrainingCheckpoint checkpoint,
      StepListener listener, Progress progress) {
    List<TrainingExample> usable = usable(examples, passages);
    BatchPlan batches = BatchPlan.of(usable, config.batchQueries(), config.epochs(), config.seed());
    List<List<TrainingExample>> plan = batches.batches();
    if (plan.isEmpty()) throw new IllegalArgumentException("no usable examples among " + examples.size() + " (none has a positive the passage side knows)");
    int stepCap = stepCap(batches);
    int planned = Math.min(plan.size(), stepCap);
    if (planned < plan.size()) {
      LOG.info(String.format(Locale.ROOT, "the step cap stops the run after %d of %d batches (%d epochs of %d); raise maxSteps (--steps) to train them all",
          planned, plan.size(), config.epochs(), batches.epochLength()));
    }
    // PyTorch's grad mode is per thread and on by default in threads the engine did not start; off,
    // only the gradient collector's scope records graphs and the optimiser may update in place.
    JniUtils.setGradMode(false);
    String fingerprint = TrainingCheckpoint.fingerprint(usable.stream().map(TrainingExample::getExampleId).toList());
    int position = 0, steps = 0, skippedInARow = 0;
    double first = Double.NaN, last = Double.NaN;
    passages.tuning().apply(model, model.layers(), config.seed());
    Map<String, NDArray> trained = model.trainableParameters();
    try (AdamW adam = new AdamW(model.manager(), config.learningRate(), config.weightDecay(), Math.round(planned * config.warmupShare()), planned)) {
      Optional<TrainingCheckpoint.Saved> saved = checkpoint == null ? Optional.empty() : checkpoint.loadFor(fingerprint);
      if (saved.isPresent()) {
        TrainingCheckpoint.Position at = saved.get().position();
        model.loadTrainable(saved.get().weights());
        adam.restore(at.optimizerStep(), saved.get().mean(), saved.get().variance(), trained);
        position = at.batches();
        steps = at.steps();
        first = at.firstLoss();
        last = at.lastLoss();
        LOG.info(String.format(Locale.ROOT, "resuming at batch %d of %d (%d steps done) from %s", position, plan.size(), steps, checkpoint.dir()));
      }
      int resumedAt = position;
      progress.advance(steps);
      // On a GPU the next batch is tokenized while the device works on this one; on the CPU the
      // two would only share the same cores.
      boolean ahead = model.manager().getDevice().isGpu();
      if (ahead && position < plan.size()) prefetch(model, passages, plan.get(position));
      for (; position < plan.size() && steps < stepCap; position++) {
        List<TrainingExample> chosen = plan.get(position);
        TaskSpec task = tasks.get(chosen.get(0).getTask());
        if (ahead && position + 1 < plan.size()) prefetch(model, passages, plan.get(position + 1));
        double loss = step(model, trained, adam, passages, task, chosen);
        listener.onStep(position, chosen.stream().map(TrainingExample::getExampleId).toList(), loss);
        if (!Double.isFinite(loss)) {
          // The step's update was not applied; a run of them means the model itself has diverged.
          if (++skippedInARow >= MAX_NON_FINITE_IN_A_ROW) {
            throw new IllegalStateException("loss was " + loss + " for " + skippedInARow + " batches in a row at step " + steps
                + "; lower learningRate (" + config.learningRate() + ") or raise temperature (" + config.temperature() + ")");
          }
        } else {
          skippedInARow = 0;
          if (steps == 0) first = loss;
          last = loss;
          steps++;
          progress.advance(1);
        }
        if (checkpoint != null && config.checkpointEvery() > 0 && (position + 1) % config.checkpointEvery() == 0) {
          checkpoint.save(new TrainingCheckpoint.Position(position + 1, steps, adam.step(), first, last, fingerprint), trained, adam);
        }
      }
      return new Result(steps, usable.size(), first, last, resumedAt);
    } finally {
      model.setTrainable(false);
    }
  }

  private void prefetch(BertEncoder model, PassageSide passages, List<TrainingExample> batch) {
    TaskSpec task = tasks.get(batch.get(0).getTask());
    model.tokenizer().prefetch(batch.stream().map(e -> task.queryText(e.getQuery())).toList(), config.maxQueryTokens());
    List<String> texts = passages.texts(task, batch);
    if (!texts.isEmpty()) model.tokenizer().prefetch(texts, passages.maxTokens());
  }

  private double step(BertEncoder model, Map<String, NDArray> trained, AdamW optimizer, PassageSide passages, TaskSpec task,
      List<TrainingExample> examples) {
    try (NDManager scope = model.manager().newSubManager()) {
      double lossValue = lossAndGradients(scope, model, passages, task, examples);
      boolean finite = optimizer.applyClipped(trained, MAX_GRADIENT_NORM, Double.isFinite(lossValue), scope);
      if (!finite) {
        List<String> bad = optimizer.nonFiniteGradients();
        // Parameters are listed by layer, so the last one shows how high in the encoder the overflow starts.
        LOG.info(String.format(Locale.ROOT, "update skipped: loss %s, %s", lossValue, Double.isFinite(lossValue)
            ? "gradient not finite in " + bad.size() + " of " + trained.size() + " parameters (" + bad.get(0) + " .. "
                + bad.get(bad.size() - 1) + ")"
            : "loss not finite"));
      }
      return finite ? lossValue : Double.NaN;
    }
  }

  /**
   * The step's loss on {@code examples}; its gradients are left on the model's trained weights (the
   * optimiser applies and zeroes them). With {@link TrainerConfig#gradientChunk} the texts go
   * through a {@link GradientCache}: same gradients, memory bounded by the chunk.
   */
  double lossAndGradients(NDManager scope, BertEncoder model, PassageSide passages, TaskSpec task, List<TrainingExample> examples) {
    StepEmbedder embedder = config.gradientChunk() > 0 ? new GradientCache(model, config.gradientChunk()) : StepEmbedder.direct(model);
    double lossValue;
    try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
      List<String> queries = examples.stream().map(e -> task.queryText(e.getQuery())).toList();
      NDArray q = embedder.embed(scope, queries, config.maxQueryTokens());
      PassageSide.Scores scores = passages.score(scope, embedder, task, examples, q);
      BatchKeys keys = scores.keys();
      NDArray loss = listwise(scope, scores, ListwiseTargets.contrastive(keys));
      // A zero weight skips the term's work too.
      Distillation distillation = config.distillationWeight() > 0 ? task.distillation() : Distillation.NONE;
      if (distillation == Distillation.KL) {
        Shape shape = new Shape(keys.queries(), keys.keys());
        NDArray teacher = scope.create(keys.teacher(), shape).toDevice(q.getDevice(), false);
        NDArray valid = scope.create(keys.teacherValid(), shape).toDevice(q.getDevice(), false);
        NDArray kl = RetrievalLosses.klDistillation(scores.similarity(), teacher, valid, config.teacherTemperature(), config.temperature());
        loss = loss.add(GraphScalars.mul(kl, config.distillationWeight()));
      } else if (distillation == Distillation.STABILISED) {
        NDArray stabilised = listwise(scope, scores, ListwiseTargets.stabilised(keys, config.teacherTemperature()));
        loss = loss.add(GraphScalars.mul(stabilised, config.distillationWeight()));
      }
      collector.backward(loss);
      lossValue = loss.getFloat();
    }
    // A non-finite loss is not applied anyway: no second pass for it.
    if (Double.isFinite(lossValue)) embedder.finish(scope);
    return lossValue;
  }

  private NDArray listwise(NDManager scope, PassageSide.Scores scores, ListwiseTargets t) {
    NDArray similarity = scores.similarity();
    Shape cube = new Shape(t.queries(), t.terms(), t.keys());
    NDArray target = scope.create(t.target(), cube).toDevice(similarity.getDevice(), false);
    NDArray visible = scope.create(t.visible(), cube).toDevice(similarity.getDevice(), false);
    NDArray weight = scope.create(t.weight(), new Shape(t.queries(), t.terms())).toDevice(similarity.getDevice(), false);
    return RetrievalLosses.listwise(similarity, target, visible, weight, config.temperature(), scores.background());
  }
}
