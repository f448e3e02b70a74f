package dev.attune.infra.metrics;

import dev.attune.schemas.ModelVersion;
import dev.attune.trainers.train.RetrieverTrainer;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.List;
import java.util.function.Consumer;

/**
 * The trainer's metrics: its decisions by status, optimiser steps and skipped updates (a
 * non-finite loss), the last loss, and the last decision's figures, candidate and serving side by
 * side. It listens as the trainer's step listener and decision consumer.
 */
public final class TrainerMetrics implements RetrieverTrainer.StepListener, Consumer<ModelVersion> {
  /** The figures of a decision worth a panel: the promotion's measure and the human-labelled guard, both sides. */
  private static final List<String> DECISION_MEASURES = List.of("heldout.llm_utility@5", "heldout.ndcg@10", "reference.ndcg@10");
  private final Counter decisions;
  private final Counter steps;
  private final Counter skipped;
  private final Counter examples;
  private final Gauge loss;
  private final Gauge decidedAt;
  private final Gauge measure;

  public TrainerMetrics(PrometheusRegistry registry) {
    decisions = Counter.builder().name("attune_trainer_decisions_total").help("Rounds decided, by outcome").labelNames("kind", "status").register(registry);
    steps = Counter.builder().name("attune_trainer_steps_total").help("Optimiser steps applied").register(registry);
    skipped = Counter.builder().name("attune_trainer_skipped_updates_total").help("Batches whose update was skipped for a non-finite loss").register(registry);
    examples = Counter.builder().name("attune_trainer_examples_total").help("Training examples stepped over (repeats count again)").register(registry);
    loss = Gauge.builder().name("attune_trainer_loss").help("The last applied step's loss").register(registry);
    decidedAt = Gauge.builder().name("attune_trainer_last_decision_timestamp_seconds").help("When the last decision was taken").register(registry);
    measure = Gauge.builder().name("attune_trainer_last_decision_measure").help("The last decision's figures: the candidate's and serving's")
        .labelNames("measure", "model").register(registry);
  }

  @Override
  public void onStep(int batch, List<String> exampleIds, double value) {
    examples.inc(exampleIds.size());
    if (Double.isFinite(value)) {
      steps.inc();
      loss.set(value);
    } else {
      skipped.inc();
    }
  }

  @Override
  public void accept(ModelVersion decision) {
    decisions.labelValues(decision.getKind().name(), decision.getStatus().name()).inc();
    decidedAt.set(decision.getCreatedAtMs() / 1000.0);
    for (String key : DECISION_MEASURES) {
      Double candidate = decision.getMetrics().get(key);
      Double serving = decision.getMetrics().get("serving." + key);
      if (candidate != null) measure.labelValues(key, "candidate").set(candidate);
      if (serving != null) measure.labelValues(key, "serving").set(serving);
    }
  }
}
