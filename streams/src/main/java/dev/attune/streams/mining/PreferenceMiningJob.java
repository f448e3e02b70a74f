package dev.attune.streams.mining;

import java.util.Properties;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
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

/**
 * Flink job: feedback episodes in, training examples out (exactly once, through Kafka transactions
 * committed at checkpoints). Reads {@code episodes} and the compacted {@code corpus}, writes {@code
 * training-examples} and {@code dead-letter}. Run alone with {@code attune mine}, or submit the
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

    DataStream<RawRecord> corpusRaw =
        env.fromSource(source(config.topics().corpus().name(), "-corpus", OffsetsInitializer.earliest()),
            WatermarkStrategy.noWatermarks(), "corpus");
    SingleOutputStreamOperator<CorpusUpdate> corpus =
        corpusRaw.process(new CorpusDecoder()).name("decode-corpus").uid("decode-corpus");
    BroadcastStream<CorpusUpdate> corpusBroadcast = corpus.broadcast(PreferenceMiner.CORPUS);

    DataStream<RawRecord> episodes =
        env.fromSource(
            source(config.topics().episodes().name(), "",
                OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST)),
            WatermarkStrategy.noWatermarks(), "episodes");
    SingleOutputStreamOperator<KeyedBytes> examples =
        episodes
            .keyBy(r -> r.key)
            .connect(corpusBroadcast)
            .process(new PreferenceMiner(config.rules()), TypeInformation.of(KeyedBytes.class))
            .name("mine-preferences")
            .uid("mine-preferences");

    examples.sinkTo(sink(config.topics().trainingExamples().name(), "examples")).name("training-examples");
    corpus.getSideOutput(DeadLetterOutput.TAG)
        .union(examples.getSideOutput(DeadLetterOutput.TAG))
        .sinkTo(sink(config.topics().deadLetters().name(), "dead-letters"))
        .name("dead-letters");
  }

  private KafkaSource<RawRecord> source(String topic, String groupSuffix, OffsetsInitializer start) {
    return KafkaSource.<RawRecord>builder()
        .setBootstrapServers(config.bootstrapServers())
        .setTopics(topic)
        .setGroupId(config.groupId() + groupSuffix)
        .setStartingOffsets(start)
        .setDeserializer(new KafkaRecords.RawDeserializer())
        .setProperty("isolation.level", "read_committed")
        .setProperty("partition.discovery.interval.ms", "10000")
        .build();
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

  /** Runs the job on an in-process MiniCluster and returns at once; cancel it through the client. */
  public JobClient startLocal() throws Exception {
    Configuration conf = new Configuration();
    conf.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
    StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(config.parallelism(), conf);
    build(env);
    return env.executeAsync(JOB_NAME);
  }

  /** Entry point when submitted to a Flink cluster: {@code --bootstrap-servers host:port}. */
  public static void main(String[] args) throws Exception {
    String bootstrap = "localhost:9092";
    for (int i = 0; i + 1 < args.length; i++) {
      if (args[i].equals("--bootstrap-servers")) bootstrap = args[i + 1];
    }
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    new PreferenceMiningJob(MiningJobConfig.defaults(bootstrap)).build(env);
    env.execute(JOB_NAME);
  }
}
