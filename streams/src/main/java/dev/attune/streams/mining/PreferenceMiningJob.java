package dev.attune.streams.mining;

import dev.attune.schemas.KafkaSettings;
import dev.attune.streams.mining.operators.CorpusDecoder;
import dev.attune.streams.mining.operators.CorpusLookup;
import dev.attune.streams.mining.operators.EpisodeIntake;
import dev.attune.streams.mining.operators.PassageAnswer;
import dev.attune.streams.mining.operators.DeadLetterOutput;
import dev.attune.streams.mining.operators.KafkaRecords;
import dev.attune.streams.mining.operators.KeyedBytes;
import dev.attune.streams.mining.operators.PreferenceMiner;
import dev.attune.streams.mining.operators.RawRecord;
import dev.attune.streams.mining.operators.StatisticsAggregation;
import dev.attune.streams.mining.operators.TeacherAggregation;
import dev.attune.streams.mining.operators.WindowedAggregator;
import dev.attune.streams.mining.rules.CorpusUpdate;
import dev.attune.streams.mining.rules.MiningConfig;
import dev.attune.streams.mining.rules.PreferenceStatistics;
import dev.attune.streams.mining.rules.TeacherAccumulator;

import dev.attune.streams.Restarts;
import java.nio.file.Path;
import java.util.Optional;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExternalizedCheckpointRetention;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.RecoveryClaimMode;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import dev.attune.schemas.Topics;

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
  private static final Logger LOG = LoggerFactory.getLogger(PreferenceMiningJob.class);
  private final MiningJobConfig config;

  public PreferenceMiningJob(MiningJobConfig config) {
    this.config = config;
  }

  /** Adds the pipeline to the environment. */
  public void build(StreamExecutionEnvironment env) {
    env.enableCheckpointing(config.checkpointInterval().toMillis());
    env.setParallelism(config.parallelism());
    Topics in = config.inputs();
    Topics out = config.outputs();
    MiningConfig rules = config.rules();
    boolean bounded = config.bounded();

    DataStream<RawRecord> corpusRaw =
        env.fromSource(source(in.corpus().name(), "-corpus", OffsetSpec.EARLIEST, bounded ? OffsetSpec.LATEST : null),
            WatermarkStrategy.noWatermarks(), "corpus").uid("corpus-source");
    SingleOutputStreamOperator<CorpusUpdate> corpus =
        corpusRaw.process(new CorpusDecoder(rules.limits())).name("decode-corpus").uid("decode-corpus");

    DataStream<RawRecord> episodes =
        env.fromSource(
            bounded
                ? source(in.episodes().name(), "", config.backfill().from(), config.backfill().to())
                : source(in.episodes().name(), "", null, null),
            WatermarkStrategy.noWatermarks(), "episodes").uid("episodes-source");
    // Episodes by request id; the corpus and each episode's passage lookups by passage id, so a task
    // holds its share of the corpus; the answers back by request id to the miner.
    SingleOutputStreamOperator<RawRecord> admitted =
        episodes.keyBy(r -> r.key).process(new EpisodeIntake(rules), TypeInformation.of(RawRecord.class)).name("admit-episodes").uid("admit-episodes");
    SingleOutputStreamOperator<PassageAnswer> answers =
        corpus.keyBy(u -> u.passageId)
            .connect(admitted.getSideOutput(EpisodeIntake.LOOKUPS).keyBy(l -> l.passageId))
            .process(new CorpusLookup(rules, bounded), TypeInformation.of(PassageAnswer.class))
            .name("corpus-lookup").uid("corpus-lookup");
    SingleOutputStreamOperator<KeyedBytes> examples =
        admitted.keyBy(r -> r.key)
            .connect(answers.keyBy(a -> a.requestId))
            .process(new PreferenceMiner(rules), TypeInformation.of(KeyedBytes.class))
            .name("mine-preferences")
            .uid("mine-preferences");

    examples.sinkTo(sink(out.trainingExamples().name(), "examples")).name("training-examples").uid("training-examples-sink");
    examples.getSideOutput(PreferenceMiner.SILVER)
        .sinkTo(sink(out.silverSequences().name(), "silver")).name("silver-sequences").uid("silver-sequences-sink");
    examples.getSideOutput(PreferenceMiner.TEACHER)
        .keyBy(o -> o.key)
        .process(
            new WindowedAggregator<>(
                new TeacherAggregation(rules.teacherTemperature(), rules.limits().maxRecordBytes()), TeacherAccumulator.class, rules.teacherWindowMs(), bounded),
            TypeInformation.of(KeyedBytes.class))
        .name("aggregate-teachers").uid("aggregate-teachers")
        .sinkTo(sink(out.teacherDistributions().name(), "teachers")).name("teacher-distributions").uid("teacher-distributions-sink");
    examples.getSideOutput(PreferenceMiner.PREFERENCES)
        .keyBy(p -> StatisticsAggregation.KEY)
        .process(
            new WindowedAggregator<>(new StatisticsAggregation(), PreferenceStatistics.class, rules.statsWindowMs(), bounded),
            TypeInformation.of(KeyedBytes.class))
        .name("preference-statistics").uid("preference-statistics")
        .sinkTo(sink(out.preferenceStats().name(), "stats")).name("preference-stats").uid("preference-stats-sink");
    corpus.getSideOutput(DeadLetterOutput.TAG)
        .union(admitted.getSideOutput(DeadLetterOutput.TAG), examples.getSideOutput(DeadLetterOutput.TAG))
        .sinkTo(sink(out.deadLetters().name(), "dead-letters"))
        .name("dead-letters").uid("dead-letters-sink");
  }

  /**
   * The Kafka settings as Flink's connector takes them: Flink names its clients itself, so a
   * configured {@code client.id} becomes its prefix. File paths in them (trust stores) must exist on
   * every TaskManager.
   */
  private static Properties flinkClient(KafkaSettings kafka) {
    Properties props = kafka.common("miner");
    props.remove("client.id");
    String prefix = kafka.client().get("client.id");
    if (prefix != null && !prefix.isBlank()) props.setProperty("client.id.prefix", prefix + "-miner");
    return props;
  }

  /**
   * A source from {@code from} (null: the group's committed offsets, else earliest) to {@code to}
   * (null: unbounded).
   */
  private KafkaSource<RawRecord> source(String topic, String groupSuffix, OffsetSpec from, OffsetSpec to) {
    var builder =
        KafkaSource.<RawRecord>builder()
            .setProperties(flinkClient(config.kafka()))
            .setTopics(topic)
            .setGroupId(config.groupId() + groupSuffix)
            .setStartingOffsets(
                from == null ? OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST) : from.initializer(topic))
            .setDeserializer(new KafkaRecords.RawDeserializer())
            .setProperty("isolation.level", "read_committed")
            .setProperty("partition.discovery.interval.ms", "10000");
    if (to != null) builder.setBounded(to.initializer(topic));
    return builder.build();
  }

  private KafkaSink<KeyedBytes> sink(String topic, String name) {
    Properties producer = flinkClient(config.kafka());
    // Must not exceed the broker's transaction.max.timeout.ms (15 min by default).
    producer.setProperty("transaction.timeout.ms", "600000");
    return KafkaSink.<KeyedBytes>builder()
        .setBootstrapServers(config.kafka().bootstrapServers())
        .setRecordSerializer(new KafkaRecords.KeyedSerializer(topic))
        .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
        .setTransactionalIdPrefix(config.groupId() + "-" + name)
        .setKafkaProducerConfig(producer)
        .build();
  }

  /**
   * Runs the job on an in-process MiniCluster and returns at once; cancel it through the client.
   * Checkpoints go to files under {@code checkpointDir} and are kept when the process dies or the job
   * is cancelled; a start resumes from the latest complete one there ({@link Checkpoints}), so
   * waiting episodes, duplicate detection, teacher windows and the source offsets survive a restart
   * or a kill -9. A failed job restarts from its latest checkpoint as {@code restarts} says, then
   * fails for good (the caller exits on {@link JobClient#getJobExecutionResult()}).
   */
  public JobClient startLocal(Path checkpointDir, Restarts restarts) throws Exception {
    Configuration conf = new Configuration();
    // Any free port for the MiniCluster's REST endpoint: a fixed 8081 makes a second job on the host fail to start.
    conf.set(RestOptions.BIND_PORT, "0");
    conf.set(RestartStrategyOptions.RESTART_STRATEGY, "exponential-delay");
    conf.set(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_INITIAL_BACKOFF, restarts.initialBackoff());
    conf.set(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_MAX_BACKOFF, restarts.maxBackoff());
    conf.set(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_BACKOFF_MULTIPLIER, 2.0);
    conf.set(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_ATTEMPTS, restarts.attempts());
    conf.set(CheckpointingOptions.CHECKPOINT_STORAGE, "filesystem");
    conf.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, checkpointDir.toAbsolutePath().toUri().toString());
    conf.set(CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION, ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION);
    Optional<Path> latest = Checkpoints.latest(checkpointDir);
    if (latest.isPresent()) {
      // CLAIM: the new job owns the restored checkpoint and deletes it once subsumed, so the directory does not grow.
      conf.set(StateRecoveryOptions.SAVEPOINT_PATH, latest.get().toUri().toString());
      conf.set(StateRecoveryOptions.RESTORE_MODE, RecoveryClaimMode.CLAIM);
      LOG.info("mining job: resuming from checkpoint {}", latest.get());
    } else {
      LOG.info("mining job: no checkpoint under {}; starting from the committed offsets", checkpointDir);
    }
    StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(config.parallelism(), conf);
    build(env);
    return env.executeAsync(JOB_NAME);
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
