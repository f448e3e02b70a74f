package dev.attune.serving;

import dev.attune.schemas.KafkaSettings;
import java.util.Locale;
import org.slf4j.LoggerFactory;
import org.slf4j.Logger;
import dev.attune.schemas.AvroCodec;
import dev.attune.schemas.EventDecodingException;
import dev.attune.schemas.ModelKind;
import dev.attune.schemas.ModelStatus;
import dev.attune.schemas.ModelVersion;
import dev.attune.schemas.Topic;
import dev.attune.schemas.KafkaAccess;
import dev.attune.models.registry.ModelLog;
import dev.attune.models.registry.ModelRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Reads the model-versions topic from its start and says which model of one kind (retriever or
 * bridge) should be served, by the {@link ModelLog} rule (latest PROMOTED not ROLLED_BACK since; the base when none). Reading the whole
 * history makes a restarted server land on the same answer as one that never stopped.
 */
public final class ModelWatcher implements Runnable, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ModelWatcher.class);
  private final org.apache.kafka.clients.consumer.Consumer<String, byte[]> consumer;
  private final AvroCodec<ModelVersion> codec;
  private final ModelKind kind;
  private final Consumer<ModelVersion> onPromoted;
  private final ModelLog log;
  private final List<TopicPartition> partitions = new ArrayList<>();
  private volatile boolean running = true;
  private Consumer<String> onChange = m -> {};

  /** {@code onPromoted} learns where each promoted version's artifacts are, before it may be served; waits for the topic to exist. */
  public ModelWatcher(KafkaSettings kafka, Topic<ModelVersion> topic, ModelKind kind, Consumer<ModelVersion> onPromoted) {
    this(new KafkaConsumer<>(kafka.consumer("serving-models"), new StringDeserializer(), new ByteArrayDeserializer()),
        topic, kind, onPromoted);
  }

  /** Reads the topic through {@code consumer}, which it owns from now on. */
  ModelWatcher(org.apache.kafka.clients.consumer.Consumer<String, byte[]> consumer, Topic<ModelVersion> topic, ModelKind kind,
      Consumer<ModelVersion> onPromoted) {
    this.consumer = consumer;
    this.codec = topic.codec();
    this.kind = kind;
    this.onPromoted = onPromoted;
    this.log = new ModelLog(kind);
    partitions.addAll(KafkaAccess.awaitPartitions(consumer, topic.name(), "serving", Duration.ofSeconds(5)));
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
  }

  /** Reads the history to its current end and returns the model to serve. */
  public String catchUp(Duration timeout) {
    KafkaAccess.readToEnd(consumer, partitions, timeout, this::apply);
    return desired();
  }

  public String desired() {
    return ModelRegistry.name(kind, log.servingVersion());
  }

  /** Calls {@code onChange} with the model to serve whenever that changes; run on its own thread. */
  public ModelWatcher onChange(Consumer<String> onChange) {
    this.onChange = onChange;
    return this;
  }

  @Override
  public void run() {
    while (running) {
      String before = desired();
      readOnce();
      String now = desired();
      if (!now.equals(before)) {
        LOG.info(String.format(Locale.ROOT, "%s decision changed %s -> %s", kind.name().toLowerCase(java.util.Locale.ROOT), before, now));
        try {
          onChange.accept(now);
        } catch (RuntimeException e) {
          LOG.warn("cannot act on " + now + ": " + e.getMessage());
        }
      }
    }
    consumer.close();
  }

  private void readOnce() {
    for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(300))) apply(r);
  }

  private void apply(ConsumerRecord<String, byte[]> r) {
    ModelVersion v;
    try {
      v = codec.decode(r.value());
    } catch (EventDecodingException e) {
      LOG.warn("skipping undecodable model-versions record at offset " + r.offset() + ": " + e.getMessage());
      return;
    }
    if (v.getKind() != kind) return;
    if (v.getStatus() == ModelStatus.PROMOTED && v.getVersion() != 0) onPromoted.accept(v);
    log.apply(v);
  }

  /** Stops {@link #run}; the consumer is closed by the thread that used it. */
  @Override
  public void close() {
    running = false;
  }
}
