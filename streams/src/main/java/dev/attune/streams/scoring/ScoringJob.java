package dev.attune.streams.scoring;

import dev.attune.schemas.Topic;
import dev.attune.schemas.Topics;
import dev.attune.streams.FlinkKafka;
import dev.attune.streams.LocalFlink;
import dev.attune.streams.Restarts;
import dev.attune.streams.mining.OffsetSpec;
import dev.attune.streams.mining.operators.CorpusDecoder;
import dev.attune.streams.mining.operators.CorpusLookup;
import dev.attune.streams.mining.operators.DeadLetterOutput;
import dev.attune.streams.mining.operators.KeyedBytes;
import dev.attune.streams.mining.operators.PassageAnswer;
import dev.attune.streams.mining.operators.RawRecord;
import dev.attune.streams.mining.rules.CorpusUpdate;
import dev.attune.streams.types.CompactTypes;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * Flink job: the LLM's preference computed by Attune instead of by every application. Reads a
 * request's {@code queries}, {@code retrievals} and {@code answers} and the compacted {@code corpus};
 * writes {@code llm-feedback} (one {@code LlmFeedbackEvent} per scored answer, exactly once) and
 * {@code dead-letter}. The flow: {@link RequestJoin} (by request id: join, dedupe, sample) →
 * {@link CorpusLookup} (by passage id: the texts) → {@link PromptAssembly} (by request id) →
 * {@link LlmScoring} (async I/O: cache, budget, batched calls with retries) → {@link OutcomeRouter}.
 * Every answer read ends as feedback, a dead letter, or a counted skip (sampled out, over budget).
 * Run alone with {@code attune score}.
 */
public final class ScoringJob {
  public static final String JOB_NAME = "attune-llm-scoring";
  /** Prefix of the job's accumulators (its counts: {@code answersSampledOut}, {@code pairsSent}, ...). */
  public static final String ACCUMULATOR_PREFIX = "scoring.";
  private final ScoringJobConfig config;

  public ScoringJob(ScoringJobConfig config) {
    this.config = config;
  }

  public void build(StreamExecutionEnvironment env) {
    env.enableCheckpointing(config.checkpointInterval().toMillis());
    env.setParallelism(config.parallelism());
    Topics topics = config.topics();
    ScoringConfig scoring = config.scoring();
    FlinkKafka kafka = new FlinkKafka(config.kafka(), "scorer", config.groupId());

    SingleOutputStreamOperator<CorpusUpdate> corpus =
        env.fromSource(kafka.source(topics.corpus().name(), "-corpus", OffsetSpec.EARLIEST, null), WatermarkStrategy.noWatermarks(), "corpus")
            .uid("corpus-source")
            .process(new CorpusDecoder(RequestJoin.STAGE, scoring.limits()), CompactTypes.of(CorpusUpdate.class)).name("decode-corpus").uid("decode-corpus");
    DataStream<RawRecord> requests =
        env.fromSource(kafka.source(topics.scoringInputs().stream().map(Topic::name).toList(), ""), WatermarkStrategy.noWatermarks(), "requests")
            .uid("requests-source");

    SingleOutputStreamOperator<ScoringRequest> joined =
        requests.keyBy(r -> r.key, CompactTypes.KEY)
            .process(new RequestJoin(scoring, topics.queries().name(), topics.retrievals().name(), topics.answers().name()),
                CompactTypes.of(ScoringRequest.class))
            .name("join-requests").uid("join-requests");
    SingleOutputStreamOperator<PassageAnswer> texts =
        corpus.keyBy(u -> u.passageId, CompactTypes.KEY)
            .connect(joined.getSideOutput(RequestJoin.LOOKUPS).keyBy(l -> l.passageId, CompactTypes.KEY))
            .process(new CorpusLookup(scoring.passageWaitMs(), false), CompactTypes.of(PassageAnswer.class))
            .name("corpus-lookup").uid("corpus-lookup");
    SingleOutputStreamOperator<ScoringTask> tasks =
        joined.keyBy(r -> r.requestId, CompactTypes.KEY)
            .connect(texts.keyBy(a -> a.requestId, CompactTypes.KEY))
            .process(new PromptAssembly(scoring), CompactTypes.of(ScoringTask.class))
            .name("assemble-prompts").uid("assemble-prompts");
    // By question, so a question asked again meets its cached scores in the same task. Tasks in
    // flight at most twice the HTTP concurrency: more would only wait in the client's queue, where
    // the operator's timeout (one request's attempts) would run out for tasks that never failed.
    SingleOutputStreamOperator<ScoringOutcome> outcomes =
        AsyncDataStream.unorderedWait(tasks.keyBy(t -> t.query, CompactTypes.KEY), new LlmScoring(scoring), LlmScoring.timeoutMs(scoring),
                TimeUnit.MILLISECONDS, 2 * scoring.endpoint().maxConcurrency())
            .returns(CompactTypes.of(ScoringOutcome.class))
            .name("score-with-llm").uid("score-with-llm");
    SingleOutputStreamOperator<KeyedBytes> feedback =
        outcomes.process(new OutcomeRouter(), CompactTypes.of(KeyedBytes.class)).name("route-outcomes").uid("route-outcomes");

    feedback.sinkTo(kafka.sink(topics.llmFeedback().name(), "feedback")).name("llm-feedback").uid("llm-feedback-sink");
    corpus.getSideOutput(DeadLetterOutput.TAG)
        .union(joined.getSideOutput(DeadLetterOutput.TAG), tasks.getSideOutput(DeadLetterOutput.TAG), feedback.getSideOutput(DeadLetterOutput.TAG))
        .sinkTo(kafka.sink(topics.deadLetters().name(), "dead-letters"))
        .name("dead-letters").uid("dead-letters-sink");
  }

  /** Runs the job on an in-process MiniCluster ({@link LocalFlink}) and returns at once. */
  public JobClient startLocal(Path checkpointDir, Restarts restarts) throws Exception {
    return startLocal(checkpointDir, restarts, null);
  }

  /** The same, with the job's metrics (its counts among them) for Prometheus on {@code metricsPort} (null: none). */
  public JobClient startLocal(Path checkpointDir, Restarts restarts, Integer metricsPort) throws Exception {
    return LocalFlink.start(JOB_NAME, config.parallelism(), checkpointDir, restarts, metricsPort, LocalFlink.StateStore.HEAP, this::build);
  }

  /** The job's counts so far, by name without the prefix (they reach the client with the TaskManagers' heartbeats). */
  public static Map<String, Long> counts(JobClient job) throws Exception {
    Map<String, Long> counts = new LinkedHashMap<>();
    job.getAccumulators().get(30, TimeUnit.SECONDS).forEach((name, value) -> {
      if (name.startsWith(ACCUMULATOR_PREFIX) && value instanceof Number n) counts.put(name.substring(ACCUMULATOR_PREFIX.length()), n.longValue());
    });
    return counts;
  }
}
