package dev.attune.trainers.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.attune.schemas.TrainingExample;
import dev.attune.models.task.TaskSpec;
import java.util.List;

/**
 * A full round's passage side: each query's positive and negative slots ({@link TrainingBatch}),
 * encoded by the model being trained, so one shared tower learns both sides and the corpus must be
 * re-embedded before it is served.
 */
final class EncodedPassages implements PassageSide {
  private final TrainerConfig config;

  EncodedPassages(TrainerConfig config) {
    this.config = config;
  }

  @Override
  public boolean usable(TrainingExample e) {
    return TrainingBatch.usable(e);
  }

  @Override
  public QueryTuning tuning() {
    return QueryTuning.ALL;
  }

  @Override
  public List<String> texts(TaskSpec task, List<TrainingExample> examples) {
    return batch(task, examples).keys();
  }

  @Override
  public int maxTokens() {
    return config.maxPassageTokens();
  }

  private TrainingBatch batch(TaskSpec task, List<TrainingExample> examples) {
    return TrainingBatch.of(task, examples, config.positivesPerQuery(), config.negativesPerQuery(), config.positiveOrder());
  }

  @Override
  public Scores score(NDManager scope, StepEmbedder embedder, TaskSpec task, List<TrainingExample> examples, NDArray q) {
    TrainingBatch batch = batch(task, examples);
    NDArray k = embedder.embed(scope, batch.keys(), maxTokens());
    NDArray keys = k.transpose();
    keys.attach(scope);
    return new Scores(batch.layout(), q.matMul(keys), null);
  }
}
