package dev.attune.streams.assembler;

import dev.attune.schemas.AvroSerde;
import dev.attune.schemas.ClosedEpisode;
import dev.attune.schemas.EventValidator;
import dev.attune.schemas.HumanFeedbackEvent;
import dev.attune.schemas.LlmFeedbackEvent;
import dev.attune.schemas.QueryEvent;
import dev.attune.schemas.RetrievalEvent;
import dev.attune.schemas.Topic;
import dev.attune.schemas.Topics;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.Stores;

/**
 * Kafka Streams application that assembles feedback episodes.
 *
 * <p>Consumes {@code queries}, {@code retrievals}, {@code llm-feedback} and {@code human-feedback}
 * (all keyed by request id, raw bytes so that bad records can be dead-lettered), produces {@code
 * episodes} and {@code dead-letter}, exactly once. Run alone with {@code attune assemble}.
 */
public final class EpisodeAssembler {
  public static final String STAGE = "assembler";
  private static final String JOINER = "episode-joiner";
  private static final String EPISODE_SINK = "episodes-sink";
  private static final String DEAD_LETTER_SINK = "dead-letter-sink";

  private EpisodeAssembler() {}

  public static Topology buildTopology(AssemblerConfig config) {
    Topics topics = config.topics();
    Topology topology = new Topology();
    EventValidator validator = new EventValidator(config.limits());
    int maxBytes = config.limits().maxEventBytes();
    String[] intakes = {
      addIntake(topology, topics.queries(), validator::validate, QueryEvent::getRequestId, maxBytes),
      addIntake(topology, topics.retrievals(), validator::validate, RetrievalEvent::getRequestId, maxBytes),
      addIntake(topology, topics.llmFeedback(), validator::validate, LlmFeedbackEvent::getRequestId, maxBytes),
      addIntake(topology, topics.humanFeedback(), validator::validate, HumanFeedbackEvent::getRequestId, maxBytes)
    };
    topology.addProcessor(JOINER, () -> new EpisodeJoiner(config, EPISODE_SINK, DEAD_LETTER_SINK), intakes);
    addJoinerStore(topology, EpisodeJoiner.STORE, Serdes.ByteArray());
    addJoinerStore(topology, EpisodeJoiner.CLOSED_STORE, new AvroSerde<>(ClosedEpisode.class));
    addJoinerStore(topology, EpisodeJoiner.CLOCK_STORE, Serdes.Long());
    topology.addSink(
        EPISODE_SINK, topics.episodes().name(), new StringSerializer(), recordSerializer(topics.episodes()), JOINER);
    String[] deadLetterParents = new String[intakes.length + 1];
    System.arraycopy(intakes, 0, deadLetterParents, 0, intakes.length);
    deadLetterParents[intakes.length] = JOINER;
    topology.addSink(
        DEAD_LETTER_SINK, topics.deadLetters().name(), new StringSerializer(),
        recordSerializer(topics.deadLetters()), deadLetterParents);
    return topology;
  }

  /**
   * A store of the joiner, keyed by string: in memory and changelogged, so restored from its
   * changelog after a crash. It holds only the episodes open within window + grace and the closed
   * ones' ids for a while, so memory suffices; and Kafka Streams' RocksDB would clash with the
   * mining job's in one JVM (DEVELOPERS.md), which is kept for the miner's large state.
   */
  private static <V> void addJoinerStore(Topology topology, String name, Serde<V> values) {
    topology.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(name), Serdes.String(), values).withCachingEnabled(), JOINER);
  }

  private static <T extends SpecificRecord> String addIntake(
      Topology topology,
      Topic<T> topic,
      java.util.function.Function<T, java.util.Optional<dev.attune.schemas.Violation>> validator,
      java.util.function.Function<T, String> requestId,
      int maxBytes) {
    String source = topic.name() + "-source";
    String intake = topic.name() + "-intake";
    topology.addSource(source, new ByteArrayDeserializer(), new ByteArrayDeserializer(), topic.name());
    topology.addProcessor(
        intake,
        () -> new EventIntake<>(topic.valueType(), validator, requestId, maxBytes, JOINER, DEAD_LETTER_SINK),
        source);
    return intake;
  }

  @SuppressWarnings("unchecked")
  private static <T extends SpecificRecord> Serializer<SpecificRecord> recordSerializer(Topic<T> topic) {
    Serde<T> serde = topic.valueSerde();
    return (Serializer<SpecificRecord>) serde.serializer();
  }

  public static Properties streamsConfig(AssemblerConfig config) {
    // Security and client settings apply to every client Streams makes; it derives client ids from the application id.
    Properties props = config.kafka().common("assembler");
    props.remove("client.id");
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, config.applicationId());
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    props.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, config.replicationFactor());
    props.put(StreamsConfig.STATE_DIR_CONFIG, config.stateDir().toString());
    props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1);
    props.put(StreamsConfig.consumerPrefix("auto.offset.reset"), "earliest");
    config.kafka().bulkProducer(props, StreamsConfig.PRODUCER_PREFIX);
    return props;
  }

  /**
   * Starts the assembler and waits until it is RUNNING. A failed stream thread is replaced as {@link
   * AssemblerConfig#restarts()} says; when the assembler gives up (state ERROR) {@code onGaveUp}
   * gets the last failure, so the process can exit instead of idling. The caller closes the returned
   * instance.
   */
  public static KafkaStreams start(AssemblerConfig config, Duration timeout, Consumer<Throwable> onGaveUp)
      throws InterruptedException, TimeoutException {
    KafkaStreams streams = new KafkaStreams(buildTopology(config), streamsConfig(config));
    StreamThreadRestarts restarts = new StreamThreadRestarts(config.restarts());
    streams.setUncaughtExceptionHandler(restarts);
    CountDownLatch running = new CountDownLatch(1);
    streams.setStateListener(
        (now, before) -> {
          if (now == KafkaStreams.State.RUNNING) running.countDown();
          if (now == KafkaStreams.State.ERROR) onGaveUp.accept(restarts.lastFailure());
        });
    streams.start();
    if (!running.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      streams.close(Duration.ofSeconds(10));
      throw new TimeoutException("episode assembler not RUNNING after " + timeout + " (state " + streams.state() + ")");
    }
    return streams;
  }
}
