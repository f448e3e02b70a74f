package dev.attune.streams.scoring;

import dev.attune.streams.mining.operators.DeadLetterOutput;
import dev.attune.streams.mining.operators.KeyedBytes;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/** Feedback to the main output, dead letters to the side output; counts what each task spent and what was skipped. */
public final class OutcomeRouter extends ProcessFunction<ScoringOutcome, KeyedBytes> {
  private transient StageCount feedback;
  private transient StageCount failed;
  private transient StageCount overBudget;
  private transient StageCount pairsSent;
  private transient StageCount pairsCached;

  @Override
  public void open(OpenContext openContext) {
    feedback = new StageCount(getRuntimeContext(), "feedbackEmitted");
    failed = new StageCount(getRuntimeContext(), "answersFailed");
    overBudget = new StageCount(getRuntimeContext(), "requestsOverBudget");
    pairsSent = new StageCount(getRuntimeContext(), "pairsSent");
    pairsCached = new StageCount(getRuntimeContext(), "pairsCached");
  }

  @Override
  public void processElement(ScoringOutcome outcome, Context ctx, Collector<KeyedBytes> out) {
    pairsSent.add(outcome.pairsSent);
    pairsCached.add(outcome.pairsCached);
    if (outcome.overBudget) overBudget.add(1);
    if (outcome.feedback != null) {
      feedback.add(1);
      out.collect(outcome.feedback);
    } else if (outcome.deadLetter != null) {
      failed.add(1);
      ctx.output(DeadLetterOutput.TAG, outcome.deadLetter);
    }
  }
}
