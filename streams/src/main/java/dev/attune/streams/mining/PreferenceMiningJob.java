package dev.attune.streams.mining;

import dev.attune.schemas.KafkaSettings;
import dev.attune.streams.mining.operators.AdmittedEpisode;
import dev.attune.streams.mining.operators.CorpusDecoder;
import dev.attune.streams.mining.operators.CorpusLookup;
import dev.attune.streams.mining.operators.EpisodeIntake;
import dev.attune.streams.mining.operators.PassageAnswer;
import dev.attune.streams.mining.operators.DeadLetterOutput;
import dev.attune.streams.mining.operators.KeyedBytes;
import dev.attune.streams.mining.operators.PreferenceMiner;
import dev.attune.streams.mining.operators.RawRecord;
import dev.attune.streams.mining.operators.StatisticsAggregation;
import dev.attune.streams.mining.operators.PassageLookup;
import dev.attune.streams.mining.operators.TeacherAggregation;
import dev.attune.streams.mining.operators.TeacherTexts;
import dev.attune.streams.mining.operators.WindowedAggregator;
import dev.attune.streams.mining.rules.CorpusUpdate;
import dev.attune.streams.mining.rules.MiningConfig;
import dev.attune.streams.mining.rules.PreferenceStatistics;
import dev.attune.streams.mining.rules.TeacherAccumulator;

import dev.attune.streams.FlinkKafka;
import dev.attune.streams.LocalFlink;
import dev.attune.streams.Restarts;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import dev.attune.schemas.Topics;
import dev.attune.streams.types.CompactTypes;

/**
 * Flink job: feedback episodes in, preference data out (exactly once, through Kafka transactions
 * committed at checkpoints). Reads {@code episodes} and the compacted {@code corpus}; writes {@code
 * training-examples}, {@code silver-sequences}, {@code teacher-distributions}, {@code
 * preference-stats} and {@code dead-letter}. With a {@link Backfill} it runs bounded over a range of
 * the episodes topic and finishes. Run alone with {@code attune mine}, or submit the
 * streams job jar to a Flink cluster with this class as entry point.
 */
public final class PreferenceMiningJob {
  public static final String JOB_NAME = "attune-preference-mining";
  private final MiningJobConfig config;

  public PreferenceMiningJob(MiningJobConfig config) {
    this.config = config;
  }

  /** Adds the pipeline to the environment. */
  public void build(StreamExecutionEnvironment env) {
    env.enableCheckpointing(config.checkpointInterval().toMillis());
    env.setParallelism(config.parallelism());
    // No operator keeps or changes a record after emitting it, so chained operators may share it
    // instead of each getting a deep copy (every example's bytes were copied into its sink).
    env.getConfig().enableObjectReuse();
    Topics in = config.inputs();
    Topics out = config.outputs();
    MiningConfig rules = config.rules();
    boolean bounded = config.bounded();
    FlinkKafka kafka = new FlinkKafka(config.kafka(), "miner", config.groupId());

    DataStream<RawRecord> corpusRaw =
        env.fromSource(kafka.source(in.corpus().name(), "-corpus", OffsetSpec.EARLIEST, bounded ? OffsetSpec.LATEST : null),
            WatermarkStrategy.noWatermarks(), "corpus").uid("corpus-source");
    SingleOutputStreamOperator<CorpusUpdate> corpus =
        corpusRaw.process(new CorpusDecoder(DeadLetterOutput.STAGE, rules.limits()), CompactTypes.of(CorpusUpdate.class)).name("decode-corpus").uid("decode-corpus");

    DataStream<RawRecord> episodes =
        env.fromSource(
            bounded
                ? kafka.source(in.episodes().name(), "", config.backfill().from(), config.backfill().to())
                : kafka.source(in.episodes().name(), "", null, null),
            WatermarkStrategy.noWatermarks(), "episodes").uid("episodes-source");
    // Episodes by request id; the corpus and each episode's passage lookups by passage id, so a task
    // holds its share of the corpus; the answers back by request id to the miner.
    SingleOutputStreamOperator<AdmittedEpisode> admitted =
        episodes.keyBy(r -> r.key, CompactTypes.KEY).process(new EpisodeIntake(rules), CompactTypes.of(AdmittedEpisode.class)).name("admit-episodes").uid("admit-episodes");
    SingleOutputStreamOperator<PassageAnswer> answers =
        corpus.keyBy(u -> u.passageId, CompactTypes.KEY)
            .connect(admitted.getSideOutput(EpisodeIntake.LOOKUPS).keyBy(l -> l.passageId, CompactTypes.KEY))
            .process(new CorpusLookup(rules.passageWaitMs(), bounded), CompactTypes.of(PassageAnswer.class))
            .name("corpus-lookup").uid("corpus-lookup");
    SingleOutputStreamOperator<KeyedBytes> examples =
        admitted.keyBy(a -> a.record.key, CompactTypes.KEY)
            .connect(answers.keyBy(a -> a.requestId, CompactTypes.KEY))
            .process(new PreferenceMiner(rules), CompactTypes.of(KeyedBytes.class))
            .name("mine-preferences")
            .uid("mine-preferences");

    examples.sinkTo(kafka.sink(out.trainingExamples().name(), "examples")).name("training-examples").uid("training-examples-sink");
    examples.getSideOutput(PreferenceMiner.SILVER)
        .sinkTo(kafka.sink(out.silverSequences().name(), "silver")).name("silver-sequences").uid("silver-sequences-sink");
    // Teacher windows hold ids and scores; when one closes, its texts come from a second share of the
    // corpus (the first one's answers go to the miner, and a job cannot loop back to it).
    SingleOutputStreamOperator<TeacherAccumulator> teacherWindows =
        examples.getSideOutput(PreferenceMiner.TEACHER)
            .keyBy(o -> o.key, CompactTypes.KEY)
            .process(
                new WindowedAggregator<>(new TeacherAggregation(rules.limits().maxRecordBytes()), TeacherAccumulator.class, rules.teacherWindowMs(), bounded),
                CompactTypes.of(TeacherAccumulator.class))
            .name("aggregate-teachers").uid("aggregate-teachers");
    SingleOutputStreamOperator<PassageAnswer> teacherTexts =
        corpus.keyBy(u -> u.passageId, CompactTypes.KEY)
            .connect(teacherWindows.flatMap(new TeacherTexts.Lookups(), CompactTypes.of(PassageLookup.class)).name("teacher-text-lookups")
                .uid("teacher-text-lookups").keyBy(l -> l.passageId, CompactTypes.KEY))
            .process(new CorpusLookup(rules.passageWaitMs(), bounded), CompactTypes.of(PassageAnswer.class))
            .name("teacher-corpus-lookup").uid("teacher-corpus-lookup");
    SingleOutputStreamOperator<KeyedBytes> distributions =
        teacherWindows.keyBy(TeacherAccumulator::id, CompactTypes.KEY)
            .connect(teacherTexts.keyBy(a -> a.requestId, CompactTypes.KEY))
            .process(new TeacherTexts(rules.teacherTemperature(), rules.limits().maxRecordBytes()), CompactTypes.of(KeyedBytes.class))
            .name("teacher-texts").uid("teacher-texts");
    distributions.sinkTo(kafka.sink(out.teacherDistributions().name(), "teachers")).name("teacher-distributions").uid("teacher-distributions-sink");
    examples.getSideOutput(PreferenceMiner.PREFERENCES)
        .keyBy(p -> StatisticsAggregation.KEY, CompactTypes.KEY)
        .process(
            new WindowedAggregator<>(new StatisticsAggregation(), PreferenceStatistics.class, rules.statsWindowMs(), bounded),
            CompactTypes.of(KeyedBytes.class))
        .name("preference-statistics").uid("preference-statistics")
        .sinkTo(kafka.sink(out.preferenceStats().name(), "stats")).name("preference-stats").uid("preference-stats-sink");
    corpus.getSideOutput(DeadLetterOutput.TAG)
        .union(admitted.getSideOutput(DeadLetterOutput.TAG), examples.getSideOutput(DeadLetterOutput.TAG), distributions.getSideOutput(DeadLetterOutput.TAG))
        .sinkTo(kafka.sink(out.deadLetters().name(), "dead-letters"))
        .name("dead-letters").uid("dead-letters-sink");
  }

  /**
   * Runs the job on an in-process MiniCluster ({@link LocalFlink}) and returns at once: waiting
   * episodes, duplicate detection, teacher windows and the source offsets survive a restart or a
   * kill -9 through its checkpoints under {@code checkpointDir}.
   */
  public JobClient startLocal(Path checkpointDir, Restarts restarts) throws Exception {
    return startLocal(checkpointDir, restarts, null);
  }

  /** The same, with the job's metrics for Prometheus on {@code metricsPort} (null: none). */
  public JobClient startLocal(Path checkpointDir, Restarts restarts, Integer metricsPort) throws Exception {
    return startLocal(checkpointDir, restarts, metricsPort, LocalFlink.StateStore.HEAP);
  }

  /** The same, with its keyed state in {@code store}. */
  public JobClient startLocal(Path checkpointDir, Restarts restarts, Integer metricsPort, LocalFlink.StateStore store) throws Exception {
    return LocalFlink.start(JOB_NAME, config.parallelism(), checkpointDir, restarts, metricsPort, store, this::build);
  }

  /**
   * Entry point when submitted to a Flink cluster: {@code --bootstrap-servers host:port [--kafka-config
   * file] [--topic-prefix p] [--group-id g]} (the config file is read where {@code flink run} runs);
   * a backfill adds {@code --from <position> --to <position> [--output-prefix p]}
   * (positions as in {@link OffsetSpec}).
   */
  public static void main(String[] args) throws Exception {
    Map<String, String> options = new HashMap<>();
    for (int i = 0; i < args.length; i += 2) {
      if (!args[i].startsWith("--") || i + 1 >= args.length) {
        throw new IllegalArgumentException("expected --option value pairs, got '" + String.join(" ", args) + "'");
      }
      options.put(args[i].substring(2), args[i + 1]);
    }
    Topics topics = Topics.withPrefix(options.getOrDefault("topic-prefix", Topics.DEFAULT_PREFIX));
    String kafkaConfig = options.get("kafka-config");
    MiningJobConfig defaults = MiningJobConfig.defaults(
        KafkaSettings.load(options.getOrDefault("bootstrap-servers", "localhost:9092"), kafkaConfig == null ? null : java.nio.file.Path.of(kafkaConfig)));
    MiningJobConfig config =
        new MiningJobConfig(defaults.kafka(), topics, topics, options.getOrDefault("group-id", defaults.groupId()),
            defaults.checkpointInterval(), defaults.parallelism(), defaults.rules(), null);
    if (options.containsKey("from") || options.containsKey("to")) {
      config = config.asBackfill(
          new Backfill(OffsetSpec.parse(options.getOrDefault("from", "earliest")), OffsetSpec.parse(options.getOrDefault("to", "latest"))),
          Topics.withPrefix(options.getOrDefault("output-prefix", topics.episodes().name().replace("episodes", "backfill."))),
          config.groupId() + "-backfill");
    }
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    new PreferenceMiningJob(config).build(env);
    env.execute(JOB_NAME);
  }
}
