package dev.attune.trainers.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import dev.attune.schemas.TrainingExample;
import dev.attune.trainers.model.BertEncoder;
import dev.attune.trainers.model.Progress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Fine-tunes a {@link BertEncoder} on mined examples with in-batch InfoNCE (positive against every
 * key of the batch) plus KL distillation toward the LLM's teacher scores over each query's own keys.
 */
public final class RetrieverTrainer {
  static final int MAX_NON_FINITE_IN_A_ROW = 3;
  static final float MAX_GRADIENT_NORM = 1.0f;
  private final TrainerConfig config;

  public RetrieverTrainer(TrainerConfig config) {
    this.config = config;
  }

  /** What a run did. */
  public record Result(int steps, int examples, double firstLoss, double lastLoss) {}

  public Result train(BertEncoder model, List<TrainingExample> examples, Progress progress) {
    List<TrainingExample> usable = new ArrayList<>(examples.stream().filter(TrainingBatch::usable).toList());
    if (usable.size() < config.batchQueries()) {
      throw new IllegalArgumentException(
          "need at least batchQueries (" + config.batchQueries() + ") usable examples, got " + usable.size());
    }
    Random random = new Random(config.seed());
    Optimizer adam = Optimizer.adam().optLearningRateTracker(Tracker.fixed(config.learningRate())).build();
    model.setTrainable(true);
    int steps = 0;
    int skippedInARow = 0;
    double first = Double.NaN, last = Double.NaN;
    try {
      for (int epoch = 0; epoch < config.epochs() && steps < config.maxSteps(); epoch++) {
        Collections.shuffle(usable, random);
        for (int start = 0; start + config.batchQueries() <= usable.size() && steps < config.maxSteps(); start += config.batchQueries()) {
          TrainingBatch batch = TrainingBatch.of(usable.subList(start, start + config.batchQueries()), config.negativesPerQuery(), random);
          double loss = step(model, adam, batch);
          if (!Double.isFinite(loss)) {
            // The step's update was not applied; a run of them means the model itself has diverged.
            if (++skippedInARow >= MAX_NON_FINITE_IN_A_ROW) {
              throw new IllegalStateException("loss was " + loss + " for " + skippedInARow + " batches in a row at step " + steps
                  + "; lower learningRate (" + config.learningRate() + ") or raise temperature (" + config.temperature() + ")");
            }
            continue;
          }
          skippedInARow = 0;
          if (steps == 0) first = loss;
          last = loss;
          steps++;
          progress.advance(1);
        }
      }
    } finally {
      model.setTrainable(false);
    }
    return new Result(steps, usable.size(), first, last);
  }

  private double step(BertEncoder model, Optimizer optimizer, TrainingBatch batch) {
    int b = batch.queries().size();
    int perQuery = batch.keysPerQuery();
    int hidden = model.dimension();
    try (NDManager scope = NDManager.newBaseManager(model.parameters().values().iterator().next().getDevice())) {
      double lossValue;
      try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
        NDArray q = model.forward(scope, model.tokenizer().tokenize(batch.queries(), config.maxQueryTokens()));
        NDArray k = model.forward(scope, model.tokenizer().tokenize(batch.keys(), config.maxPassageTokens()));
        NDArray similarity = q.matMul(k.transpose());
        float[] oneHot = new float[b * b * perQuery];
        for (int i = 0; i < b; i++) oneHot[i * b * perQuery + i * perQuery] = 1;
        NDArray positives = scope.create(oneHot, new Shape(b, (long) b * perQuery)).toDevice(q.getDevice(), false);
        NDArray keyValid = scope.create(batch.keyValid(), new Shape(1, (long) b * perQuery)).toDevice(q.getDevice(), false);
        NDArray nce = RetrievalLosses.infoNce(similarity, positives, keyValid, config.temperature());
        NDArray own = q.reshape(b, 1, hidden).mul(k.reshape(b, perQuery, hidden)).sum(new int[] {2});
        NDArray teacher = scope.create(batch.teacher(), new Shape(b, perQuery)).toDevice(q.getDevice(), false);
        NDArray teacherValid = scope.create(batch.teacherValid(), new Shape(b, perQuery)).toDevice(q.getDevice(), false);
        NDArray kl = RetrievalLosses.klDistillation(own, teacher, teacherValid, config.teacherTemperature(), config.temperature());
        NDArray loss = nce.add(kl.mul(config.klWeight()));
        collector.backward(loss);
        lossValue = loss.getFloat();
      }
      Map<String, NDArray> grads = new java.util.LinkedHashMap<>();
      double squared = 0;
      for (Map.Entry<String, NDArray> p : model.parameters().entrySet()) {
        NDArray grad = p.getValue().getGradient();
        grad.attach(scope);
        grads.put(p.getKey(), grad);
        squared += grad.pow(2).sum().getFloat();
      }
      double norm = Math.sqrt(squared);
      boolean finite = Double.isFinite(lossValue) && Double.isFinite(norm);
      // Global-norm clipping, as in BERT fine-tuning: one outlier batch cannot wreck the weights.
      float scale = (float) Math.min(1.0, MAX_GRADIENT_NORM / (norm + 1e-6));
      for (Map.Entry<String, NDArray> g : grads.entrySet()) {
        NDArray grad = g.getValue();
        if (finite) {
          if (scale < 1f) grad.muli(scale);
          optimizer.update(g.getKey(), model.parameters().get(g.getKey()), grad);
        }
        // Zero in place for the next step; 0 × NaN is NaN, so NaNs are overwritten explicitly.
        grad.muli(0f);
        grad.set(grad.isNaN(), 0f);
      }
      return finite ? lossValue : Double.NaN;
    }
  }
}
