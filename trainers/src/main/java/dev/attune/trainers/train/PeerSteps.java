package dev.attune.trainers.train;

import dev.attune.models.encoder.TextTokenizer;
import dev.attune.models.encoder.TokenBatch;
import dev.attune.models.task.Distillation;
import dev.attune.models.task.TaskSpec;
import dev.attune.models.task.Tasks;
import dev.attune.schemas.TrainingExample;
import java.util.ArrayList;
import java.util.List;

/**
 * A full round's steps as plain arrays, exactly as {@link RetrieverTrainer} feeds them to its
 * losses (same plan, batching, tokenising and loss terms, so nothing is re-derived elsewhere): for
 * another implementation of the same step to run on the same data. {@code attune bench-trainer}'s
 * PyTorch peer reads them.
 */
public final class PeerSteps {
  private PeerSteps() {}

  /** One step: its tokenised queries and keys, and the loss terms over their similarity matrix. */
  public record Step(TokenBatch queries, TokenBatch keys, List<Term> terms) {}

  /**
   * One {@link RetrievalLosses#listwise} term, {@code scale} times: the contrastive loss (scale 1)
   * or the stabilised distillation (scale = the distillation weight).
   *
   * @param target [queries, terms, keys] one-hot, row-major
   * @param visible [queries, terms, keys] 1 where the key takes part in the softmax
   * @param weight [queries, terms]
   */
  public record Term(float[] target, float[] visible, float[] weight, int queries, int terms, int keys, float scale) {}

  /**
   * The steps a full round of {@code config} takes on {@code examples} when none is skipped. A KL
   * distillation has no term of this kind and is refused.
   */
  public static List<Step> fullRound(TrainerConfig config, Tasks tasks, TextTokenizer tokenizer, List<TrainingExample> examples) {
    EncodedPassages side = new EncodedPassages(config);
    BatchPlan plan = BatchPlan.of(examples.stream().filter(side::usable).toList(), config.batchQueries(), config.epochs(), config.seed());
    int steps = Math.min(plan.batches().size(), Math.max(config.maxSteps(), plan.epochLength()));
    List<Step> out = new ArrayList<>();
    for (List<TrainingExample> chosen : plan.batches().subList(0, steps)) {
      TaskSpec task = tasks.get(chosen.get(0).getTask());
      Distillation distillation = config.distillationWeight() > 0 ? task.distillation() : Distillation.NONE;
      if (distillation == Distillation.KL) throw new IllegalArgumentException("task " + task.name() + " distils by KL; peers run listwise terms only");
      TrainingBatch batch = TrainingBatch.of(task, chosen, config.positivesPerQuery(), config.negativesPerQuery(), config.positiveOrder());
      BatchKeys keys = batch.layout();
      List<Term> terms = new ArrayList<>();
      terms.add(term(ListwiseTargets.contrastive(keys), 1f));
      if (distillation == Distillation.STABILISED) terms.add(term(ListwiseTargets.stabilised(keys, config.teacherTemperature()), config.distillationWeight()));
      List<String> queries = chosen.stream().map(e -> task.queryText(e.getQuery())).toList();
      out.add(new Step(tokenizer.tokenize(queries, config.maxQueryTokens()), tokenizer.tokenize(batch.keys(), config.maxPassageTokens()), terms));
    }
    return out;
  }

  private static Term term(ListwiseTargets t, float scale) {
    return new Term(t.target(), t.visible(), t.weight(), t.queries(), t.terms(), t.keys(), scale);
  }
}
