package dev.attune.streams.mining;

import java.nio.file.Files;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.datastream.BroadcastStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;
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
            WatermarkStrategy.noWatermarks(), "corpus");
    SingleOutputStreamOperator<CorpusUpdate> corpus =
        corpusRaw.process(new CorpusDecoder()).name("decode-corpus").uid("decode-corpus");
    BroadcastStream<CorpusUpdate> corpusBroadcast = corpus.broadcast(PreferenceMiner.CORPUS);

    DataStream<RawRecord> episodes =
        env.fromSource(
            bounded
                ? source(in.episodes().name(), "", config.backfill().from(), config.backfill().to())
                : source(in.episodes().name(), "", null, null),
            WatermarkStrategy.noWatermarks(), "episodes");
    SingleOutputStreamOperator<KeyedBytes> examples =
        episodes
            .keyBy(r -> r.key)
            .connect(corpusBroadcast)
            .process(new PreferenceMiner(rules, bounded), TypeInformation.of(KeyedBytes.class))
            .name("mine-preferences")
            .uid("mine-preferences");

    examples.sinkTo(sink(out.trainingExamples().name(), "examples")).name("training-examples");
    examples.getSideOutput(PreferenceMiner.SILVER)
        .sinkTo(sink(out.silverSequences().name(), "silver")).name("silver-sequences");
    examples.getSideOutput(PreferenceMiner.TEACHER)
        .keyBy(o -> o.key)
        .process(
            new WindowedAggregator<>(
                new TeacherAggregation(rules.teacherTemperature()), TeacherAccumulator.class, rules.teacherWindowMs(), bounded),
            TypeInformation.of(KeyedBytes.class))
        .name("aggregate-teachers").uid("aggregate-teachers")
        .sinkTo(sink(out.teacherDistributions().name(), "teachers")).name("teacher-distributions");
    examples.getSideOutput(PreferenceMiner.PREFERENCES)
        .keyBy(p -> StatisticsAggregation.KEY)
        .process(
            new WindowedAggregator<>(new StatisticsAggregation(), PreferenceStatistics.class, rules.statsWindowMs(), bounded),
            TypeInformation.of(KeyedBytes.class))
        .name("preference-statistics").uid("preference-statistics")
        .sinkTo(sink(out.preferenceStats().name(), "stats")).name("preference-stats");
    corpus.getSideOutput(DeadLetterOutput.TAG)
        .union(examples.getSideOutput(DeadLetterOutput.TAG))
        .sinkTo(sink(out.deadLetters().name(), "dead-letters"))
        .name("dead-letters");
  }

  /**
   * A source from {@code from} (null: the group's committed offsets, else earliest) to {@code to}
   * (null: unbounded).
   */
  private KafkaSource<RawRecord> source(String topic, String groupSuffix, OffsetSpec from, OffsetSpec to) {
    var builder =
        KafkaSource.<RawRecord>builder()
            .setBootstrapServers(config.bootstrapServers())
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
    Properties producer = new Properties();
    // Must not exceed the broker's transaction.max.timeout.ms (15 min by default).
    producer.setProperty("transaction.timeout.ms", "600000");
    return KafkaSink.<KeyedBytes>builder()
        .setBootstrapServers(config.bootstrapServers())
        .setRecordSerializer(new KafkaRecords.KeyedSerializer(topic))
        .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
        .setTransactionalIdPrefix(config.groupId() + "-" + name)
        .setKafkaProducerConfig(producer)
        .build();
  }

  /**
   * Runs the job on an in-process MiniCluster and returns at once; cancel it through the client.
   * Checkpoints go to files under a temporary directory: the job's state (corpus, teacher windows)
   * soon outgrows the 5 MB that JobManager-memory checkpoints allow.
   */
  public JobClient startLocal() throws Exception {
    Configuration conf = new Configuration();
    conf.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
    conf.set(CheckpointingOptions.CHECKPOINT_STORAGE, "filesystem");
    conf.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, Files.createTempDirectory("attune-mining-checkpoints").toUri().toString());
    StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(config.parallelism(), conf);
    build(env);
    return env.executeAsync(JOB_NAME);
  }

  /**
   * Entry point when submitted to a Flink cluster: {@code --bootstrap-servers host:port [--topic-prefix
   * p] [--group-id g]}; a backfill adds {@code --from <position> --to <position> [--output-prefix p]}
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
    MiningJobConfig defaults = MiningJobConfig.defaults(options.getOrDefault("bootstrap-servers", "localhost:9092"));
    MiningJobConfig config =
        new MiningJobConfig(defaults.bootstrapServers(), topics, topics, options.getOrDefault("group-id", defaults.groupId()),
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
