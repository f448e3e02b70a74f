package dev.attune.schemas;

import java.io.IOException;
import java.io.Reader;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;

/**
 * How every Attune process reaches Kafka, built once: the bootstrap servers plus any client
 * properties from a file ({@code --kafka-config}: {@code security.protocol}, SASL, TLS trust and key
 * stores, a {@code client.id} prefix...). Every producer, consumer, admin client, the Streams app and
 * the Flink source and sink take their properties from here, so a secured cluster is configured in
 * one place. Serializable, so the mining job can carry it to its TaskManagers.
 *
 * @param bootstrapServers {@code host:port[,host:port...]}
 * @param client any Kafka client properties, applied to every client; {@code client.id}, when given,
 *     is a prefix each client extends with its role
 */
public record KafkaSettings(String bootstrapServers, Map<String, String> client) implements Serializable {
  /** Settings each role fixes itself; a config file that sets them is refused rather than silently overridden. */
  private static final Set<String> OWNED = Set.of("bootstrap.servers", "key.serializer", "value.serializer", "key.deserializer",
      "value.deserializer", "enable.idempotence", "isolation.level", "enable.auto.commit", "transactional.id", "group.id");

  private static final java.util.concurrent.atomic.AtomicLong CLIENTS = new java.util.concurrent.atomic.AtomicLong();

  public KafkaSettings {
    if (bootstrapServers == null || bootstrapServers.isBlank()) throw new IllegalArgumentException("bootstrap servers are empty");
    client = Map.copyOf(client);
    for (String key : client.keySet()) {
      if (OWNED.contains(key)) throw new IllegalArgumentException("Kafka client property " + key + " is set by Attune per client, not in the config file");
    }
  }

  /** Plaintext, no extra properties: a local broker. */
  public static KafkaSettings of(String bootstrapServers) {
    return new KafkaSettings(bootstrapServers, Map.of());
  }

  /** The bootstrap servers plus the properties in {@code configFile} (Java properties format); null for none. */
  public static KafkaSettings load(String bootstrapServers, Path configFile) {
    if (configFile == null) return of(bootstrapServers);
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(configFile)) {
      p.load(r);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read Kafka client config " + configFile, e);
    }
    Map<String, String> client = new TreeMap<>();
    p.stringPropertyNames().forEach(k -> client.put(k, p.getProperty(k).trim()));
    return new KafkaSettings(bootstrapServers, client);
  }

  /**
   * What every client gets: bootstrap servers and the file's properties; with a {@code client.id}
   * prefix, {@code prefix-role-N} (unique in the process, as Kafka's own default ids are, so the
   * clients' metrics do not collide).
   */
  public Properties common(String role) {
    Properties props = new Properties();
    props.putAll(client);
    props.put("bootstrap.servers", bootstrapServers);
    String prefix = client.get("client.id");
    if (prefix != null && !prefix.isBlank()) props.put("client.id", prefix + "-" + role + "-" + CLIENTS.incrementAndGet());
    else props.remove("client.id");
    return props;
  }

  /** A consumer that reads committed data only and never commits offsets (positions are Attune's to keep). */
  public Properties consumer(String role) {
    Properties props = common(role);
    props.put("isolation.level", "read_committed");
    props.put("enable.auto.commit", "false");
    return props;
  }

  /** An idempotent producer that waits for all in-sync replicas. */
  public Properties producer(String role) {
    Properties props = common(role);
    props.put("enable.idempotence", "true");
    props.put("acks", "all");
    return props;
  }

  /**
   * Adds, under {@code prefix} ({@code ""}, or Streams' {@code "producer."}), the batching of a
   * producer that writes in bulk (the assembler's episodes and changelogs, the jobs' outputs):
   * lz4-compressed batches of up to 256 kB. Compression takes a third off real passage text, so the
   * broker appends and the consumers read less; at the default 16 kB a batch held three training
   * examples. A setting the config file names (plain or prefixed) is left as the file says.
   */
  public void bulkProducer(Properties props, String prefix) {
    for (var e : Map.of("compression.type", "lz4", "batch.size", "262144").entrySet()) {
      if (!client.containsKey(e.getKey()) && !client.containsKey(prefix + e.getKey())) props.put(prefix + e.getKey(), e.getValue());
    }
  }

  /** An admin client's settings. */
  public Map<String, Object> admin(String role) {
    Map<String, Object> out = new TreeMap<>();
    common(role).forEach((k, v) -> out.put((String) k, v));
    return out;
  }

  /** Secrets stay out of logs and error messages: only the bootstrap servers and the property names. */
  @Override
  public String toString() {
    return "KafkaSettings[" + bootstrapServers + (client.isEmpty() ? "" : ", " + client.keySet()) + "]";
  }
}
