package dev.attune.serving;

import dev.attune.schemas.AvroCodec;
import dev.attune.schemas.ModelStatus;
import dev.attune.schemas.ModelVersion;
import dev.attune.schemas.Topic;
import dev.attune.trainers.model.ModelSpec;
import dev.attune.trainers.model.OnnxEncoder;
import dev.attune.trainers.model.Progress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/** Follows the model-versions topic and swaps the service to every PROMOTED retriever. */
public final class ModelWatcher implements Runnable {
  private final String bootstrapServers;
  private final Topic<ModelVersion> topic;
  private final RetrievalService service;
  private final ModelSpec spec;
  private final int maxPassageTokens;
  private final Consumer<RetrievalService.Swap> onSwap;
  private final AtomicBoolean running = new AtomicBoolean(true);

  public ModelWatcher(String bootstrapServers, Topic<ModelVersion> topic, RetrievalService service, ModelSpec spec,
      int maxPassageTokens, Consumer<RetrievalService.Swap> onSwap) {
    this.bootstrapServers = bootstrapServers;
    this.topic = topic;
    this.service = service;
    this.spec = spec;
    this.maxPassageTokens = maxPassageTokens;
    this.onSwap = onSwap;
  }

  public void stop() {
    running.set(false);
  }

  @Override
  public void run() {
    Properties props = new Properties();
    props.put("bootstrap.servers", bootstrapServers);
    props.put("group.id", "attune-serving-" + java.util.UUID.randomUUID());
    props.put("auto.offset.reset", "latest");
    AvroCodec<ModelVersion> codec = topic.codec();
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(topic.name()));
      while (running.get()) {
        for (var r : consumer.poll(Duration.ofMillis(500))) {
          ModelVersion v = codec.decode(r.value());
          if (v.getStatus() != ModelStatus.PROMOTED) continue;
          System.out.printf("serving: re-embedding corpus with %s%n", v.getName());
          OnnxEncoder encoder = null;
          try {
            encoder = new OnnxEncoder(v.getName(), Path.of(java.net.URI.create(v.getArtifactUri())), spec, maxPassageTokens);
            RetrievalService.Swap swap = service.swapTo(encoder, Progress.every("re-embed " + v.getName(), service.corpusSize(), 15_000));
            System.out.printf("serving: swapped %s -> %s in %.1fs%n", swap.from(), swap.to(), swap.buildSeconds());
            onSwap.accept(swap);
          } catch (Exception e) {
            if (encoder != null && service.current().encoder() != encoder) encoder.close();
            System.err.println("serving: swap to " + v.getName() + " failed, still serving " + service.current().modelVersion() + ": " + e.getMessage());
          }
        }
      }
    }
  }
}
