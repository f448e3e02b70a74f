package dev.attune.trainers.bridge;

import dev.attune.models.bridge.DecoderLayout;
import dev.attune.models.bridge.BridgeExample;
import dev.attune.models.bridge.CandidateEmbeddings;
import dev.attune.models.bridge.DecoderSteps;

import java.util.Locale;
import org.slf4j.LoggerFactory;
import org.slf4j.Logger;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import dev.attune.models.encoder.Progress;
import dev.attune.trainers.train.AdamW;
import dev.attune.trainers.train.RetrieverTrainer;
import dev.attune.trainers.train.TrainingCheckpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

/**
 * Trains a {@link PointerDecoder} in BGM's two stages over one plan of batches:
 *
 * <ol>
 *   <li><b>Supervised</b>: teacher forcing on the silver sequences, cross-entropy per step (each
 *       choice and the final STOP).
 *   <li><b>Reinforcement</b>: REINFORCE with a moving-average baseline ({@link RewardBaseline}). For
 *       each query {@code samplesPerQuery} sequences are sampled from the policy, scored by the
 *       {@link SequenceReward}, and pushed up or down by their advantage. PPO's clipped ratio would
 *       allow several updates per sample; with a cheap offline reward, fresh samples every step are
 *       simpler and unbiased.
 * </ol>
 *
 * Each stage has its own AdamW schedule. With a {@link TrainingCheckpoint} the run saves weights,
 * optimiser, baseline and plan position every {@code checkpointEvery} batches; a rerun on the same
 * examples continues from there. Batch order and sampling are seeded per batch, so a resumed run
 * takes the same steps as one that was never stopped.
 */
public final class BridgeTrainer {
  private static final Logger LOG = LoggerFactory.getLogger(BridgeTrainer.class);
  private static final String RL_STATE = "trainer.reinforce";
  private final BridgeConfig config;

  public BridgeTrainer(BridgeConfig config) {
    this.config = config;
  }

  /**
   * What a run did: optimiser steps per stage, the supervised loss and the mean sampled reward at the
   * first and last batch of their stage, and the batch a resumed run started from.
   */
  public record Result(int supervisedSteps, int reinforceSteps, int examples, double firstLoss, double lastLoss,
      double firstReward, double lastReward, int resumedAt) {}

  /** The batches of both stages, in order: supervised epochs, then reinforcement epochs. */
  record Plan(List<List<BridgeExample>> batches, int supervised) {
    static Plan of(List<BridgeExample> examples, BridgeConfig config) {
      List<List<BridgeExample>> batches = new ArrayList<>();
      int epochs = config.supervisedEpochs() + config.reinforceEpochs();
      for (int epoch = 0; epoch < epochs; epoch++) {
        List<BridgeExample> order = new ArrayList<>(examples);
        Collections.shuffle(order, new Random(config.seed() * 31 + epoch));
        for (int start = 0; start < order.size(); start += config.batchQueries()) {
          batches.add(order.subList(start, Math.min(order.size(), start + config.batchQueries())));
        }
      }
      int perEpoch = (examples.size() + config.batchQueries() - 1) / config.batchQueries();
      return new Plan(batches, perEpoch * config.supervisedEpochs());
    }
  }

  /** Examples both stages can use: a non-empty silver sequence and at least one answer. */
  public static boolean usable(BridgeExample e) {
    return !e.silver().isEmpty() && !e.answers().isEmpty();
  }

  /**
   * Runs both stages. With {@code supervisedSnapshot} the decoder is also saved there as the
   * supervised stage ends, so the supervised bridge can be judged next to the final one.
   */
  public Result train(BridgeModel model, List<BridgeExample> examples, CandidateEmbeddings embeddings, SequenceReward reward,
      TrainingCheckpoint checkpoint, Path supervisedSnapshot, RetrieverTrainer.StepListener listener) throws IOException {
    List<BridgeExample> usable = examples.stream().filter(BridgeTrainer::usable).toList();
    if (usable.isEmpty()) throw new IllegalArgumentException("no usable examples among " + examples.size() + " (none has both a silver sequence and an answer)");
    if (model.fineTunesEncoder() != config.encoderLearningRate() > 0) {
      throw new IllegalArgumentException("encoderLearningRate " + config.encoderLearningRate() + " but the model's encoder is "
          + (model.fineTunesEncoder() ? "trainable" : "frozen"));
    }
    if (!model.fineTunesEncoder()) embeddings.prepare(usable);
    Plan plan = Plan.of(usable, config);
    int total = plan.batches().size();
    // Grad mode is per thread: off, only the collector's scope records graphs (see RetrieverTrainer).
    JniUtils.setGradMode(false);
    String fingerprint = TrainingCheckpoint.fingerprint(usable.stream().map(BridgeExample::id).toList());
    int position = 0, steps = 0;
    double firstLoss = Double.NaN, lastLoss = Double.NaN, firstReward = Double.NaN;
    RewardBaseline baseline = new RewardBaseline(config.baselineMomentum());
    AdamW supervised = new AdamW(model.decoder().manager(), config.supervisedLearningRate(), 0.01f, Math.round(plan.supervised() * 0.1f), plan.supervised());
    AdamW reinforce = new AdamW(model.decoder().manager(), config.reinforceLearningRate(), 0.01f, 0, total - plan.supervised());
    try {
      Optional<TrainingCheckpoint.Saved> saved = checkpoint == null ? Optional.empty() : checkpoint.loadFor(fingerprint);
      if (saved.isPresent()) {
        TrainingCheckpoint.Position at = saved.get().position();
        model.loadWeights(saved.get().weights());
        AdamW stage = at.batches() <= plan.supervised() ? supervised : reinforce;
        stage.restore(at.optimizerStep(), saved.get().mean(), saved.get().variance(), model.parameters());
        float[] rl = saved.get().weights().get(RL_STATE);
        baseline = new RewardBaseline(config.baselineMomentum(), rl[0]);
        firstReward = rl[1];
        position = at.batches();
        steps = at.steps();
        firstLoss = at.firstLoss();
        lastLoss = at.lastLoss();
        LOG.info(String.format(Locale.ROOT, "resuming at batch %d of %d from %s", position, total, checkpoint.dir()));
      }
      int resumedAt = position;
      Progress progress = Progress.every("training bridge", total, 10_000);
      progress.advance(position);
      int supervisedSteps = Math.min(steps, plan.supervised());
      double lastReward = baseline.value();
      model.setTrainable(true);
      for (; position < total; position++) {
        if (position == plan.supervised()) snapshot(model, supervisedSnapshot);
        List<BridgeExample> batch = plan.batches().get(position);
        boolean isSupervised = position < plan.supervised();
        double value;
        if (isSupervised) {
          value = supervisedStep(model, supervised, batch, embeddings);
          if (Double.isFinite(value)) {
            if (Double.isNaN(firstLoss)) firstLoss = value;
            lastLoss = value;
            supervisedSteps++;
          }
        } else {
          value = reinforceStep(model, reinforce, batch, embeddings, reward, baseline, new Random(config.seed() * 1_000_003L + position));
          if (Double.isNaN(firstReward)) firstReward = value;
          lastReward = value;
        }
        if (Double.isFinite(value)) steps++;
        listener.onStep(position, batch.stream().map(BridgeExample::id).toList(), value);
        progress.advance(1);
        if (checkpoint != null && config.checkpointEvery() > 0 && (position + 1) % config.checkpointEvery() == 0) {
          AdamW stage = position + 1 <= plan.supervised() ? supervised : reinforce;
          save(checkpoint, model, stage, baseline, firstReward,
              new TrainingCheckpoint.Position(position + 1, steps, stage.step(), firstLoss, lastLoss, fingerprint));
        }
      }
      if (position == plan.supervised()) snapshot(model, supervisedSnapshot);
      return new Result(supervisedSteps, steps - supervisedSteps, usable.size(), firstLoss, lastLoss, firstReward, lastReward, resumedAt);
    } finally {
      model.setTrainable(false);
      supervised.close();
      reinforce.close();
    }
  }

  private static void snapshot(BridgeModel model, Path dir) throws IOException {
    if (dir != null && !Files.exists(dir.resolve(DecoderLayout.WEIGHTS_FILE))) model.save(dir);
  }

  private static void save(TrainingCheckpoint checkpoint, BridgeModel model, AdamW stage, RewardBaseline baseline, double firstReward,
      TrainingCheckpoint.Position position) {
    try (NDManager scope = model.decoder().manager().newSubManager()) {
      Map<String, NDArray> state = new LinkedHashMap<>(model.parameters());
      state.put(RL_STATE, scope.create(new float[] {(float) baseline.value(), (float) firstReward}));
      checkpoint.save(position, state, stage);
    }
  }

  private double supervisedStep(BridgeModel model, AdamW optimizer, List<BridgeExample> batch, CandidateEmbeddings embeddings) {
    DecoderSteps steps = DecoderSteps.of(batch.stream().map(BridgeExample::silver).toList(), counts(batch), config.candidates(),
        config.maxLength(), config.maxRepeats());
    try (NDManager scope = model.decoder().manager().newSubManager()) {
      double loss;
      try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
        NDArray[] qc = model.embed(scope, batch, embeddings, config);
        NDArray logp = model.decoder().logProbabilities(scope, qc[0], qc[1], steps);
        NDArray value = BridgeLosses.crossEntropy(logp, array(scope, steps.target(), steps), array(scope, steps.stepValid(), steps.batch(), steps.steps()));
        collector.backward(value);
        loss = value.getFloat();
      }
      return apply(model, optimizer, config.supervisedLearningRate(), loss, scope) ? loss : Double.NaN;
    }
  }

  /** One REINFORCE step; returns the mean reward of the sampled sequences. */
  private double reinforceStep(BridgeModel model, AdamW optimizer, List<BridgeExample> batch, CandidateEmbeddings embeddings,
      SequenceReward reward, RewardBaseline baseline, Random random) {
    int k = config.samplesPerQuery();
    int[] counts = new int[batch.size() * k];
    for (int row = 0; row < counts.length; row++) counts[row] = counts(batch)[row / k];
    List<List<Integer>> sampled;
    try (NDManager scope = model.decoder().manager().newSubManager()) {
      NDArray[] qc = model.embed(scope, batch, embeddings, config);
      sampled = model.decoder().decode(qc[0].repeat(0, k), qc[1].repeat(0, k), counts, random);
    }
    double[] rewards = new double[sampled.size()];
    double mean = 0;
    for (int row = 0; row < rewards.length; row++) {
      rewards[row] = reward.reward(batch.get(row / k), sampled.get(row));
      mean += rewards[row] / rewards.length;
    }
    float[] advantages = baseline.advantages(rewards);
    DecoderSteps steps = DecoderSteps.of(sampled, counts, config.candidates(), config.maxLength(), config.maxRepeats());
    try (NDManager scope = model.decoder().manager().newSubManager()) {
      double loss;
      try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
        NDArray[] qc = model.embed(scope, batch, embeddings, config);
        NDArray logp = model.decoder().logProbabilities(scope, qc[0].repeat(0, k), qc[1].repeat(0, k), steps);
        NDArray sequence = BridgeLosses.sequenceLogProbability(logp, array(scope, steps.target(), steps));
        NDArray value = BridgeLosses.policyGradient(sequence, scope.create(advantages).toDevice(logp.getDevice(), false));
        collector.backward(value);
        loss = value.getFloat();
      }
      return apply(model, optimizer, config.reinforceLearningRate(), loss, scope) ? mean : Double.NaN;
    }
  }

  /** The optimiser step; a fine-tuned encoder moves at {@code encoderLearningRate}, not the stage's rate. */
  private boolean apply(BridgeModel model, AdamW optimizer, float stageRate, double loss, NDManager scope) {
    float encoderScale = config.encoderLearningRate() / stageRate;
    return optimizer.applyClipped(model.parameters(), RetrieverTrainer.MAX_GRADIENT_NORM, Double.isFinite(loss), scope,
        name -> model.isEncoderParameter(name) ? encoderScale : 1f);
  }

  private int[] counts(List<BridgeExample> batch) {
    return batch.stream().mapToInt(e -> Math.min(config.candidates(), e.candidates().size())).toArray();
  }

  private static NDArray array(NDManager scope, float[] values, DecoderSteps steps) {
    return array(scope, values, steps.batch(), steps.steps(), steps.options());
  }

  private static NDArray array(NDManager scope, float[] values, long... shape) {
    return scope.create(values, new Shape(shape));
  }
}
