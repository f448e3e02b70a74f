package dev.attune.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.ObjectOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One place for every client's Kafka properties: what a config file adds, what each role fixes, what never leaks. */
class KafkaSettingsTest {
  @TempDir Path dir;

  @Test
  void a_config_file_reaches_every_kind_of_client() throws Exception {
    Path file = dir.resolve("kafka.properties");
    Files.writeString(file, "security.protocol=SASL_SSL\nsasl.mechanism=SCRAM-SHA-512\nsasl.jaas.config=secret-login\nclient.id=rag-prod\n");

    KafkaSettings kafka = KafkaSettings.load("b1:9093,b2:9093", file);

    Properties consumer = kafka.consumer("serving-corpus");
    assertThat(consumer).containsEntry("bootstrap.servers", "b1:9093,b2:9093").containsEntry("security.protocol", "SASL_SSL")
        .containsEntry("sasl.jaas.config", "secret-login").containsEntry("isolation.level", "read_committed").containsEntry("enable.auto.commit", "false");
    assertThat((String) consumer.get("client.id")).startsWith("rag-prod-serving-corpus-");
    assertThat(kafka.producer("trainer")).containsEntry("enable.idempotence", "true").containsEntry("acks", "all")
        .containsEntry("sasl.mechanism", "SCRAM-SHA-512");
    assertThat(kafka.admin("topics")).containsEntry("security.protocol", "SASL_SSL");
    assertThat(kafka.producer("a").get("client.id")).as("ids stay unique in a process").isNotEqualTo(kafka.producer("a").get("client.id"));
  }

  @Test
  void without_a_file_clients_get_the_bootstrap_servers_and_kafkas_own_ids() {
    Properties common = KafkaSettings.load("localhost:9092", null).common("x");

    assertThat(common).containsOnlyKeys("bootstrap.servers");
  }

  @Test
  void bulk_producers_compress_and_batch_unless_the_file_says_otherwise() {
    Properties streams = new Properties();
    KafkaSettings.of("b:9092").bulkProducer(streams, "producer.");
    assertThat(streams).containsEntry("producer.compression.type", "lz4").containsEntry("producer.batch.size", "262144");

    Properties sink = new Properties();
    new KafkaSettings("b:9092", Map.of("compression.type", "zstd", "producer.batch.size", "65536")).bulkProducer(sink, "producer.");
    assertThat(sink).as("the file's settings, plain or prefixed, are left to apply").isEmpty();
  }

  @Test
  void settings_each_role_owns_are_refused_in_the_file() throws Exception {
    Path file = dir.resolve("bad.properties");
    Files.writeString(file, "isolation.level=read_uncommitted\n");

    assertThatThrownBy(() -> KafkaSettings.load("b:9092", file)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("isolation.level");
    assertThatThrownBy(() -> KafkaSettings.load("b:9092", dir.resolve("missing.properties"))).hasMessageContaining("missing.properties");
    assertThatThrownBy(() -> KafkaSettings.of(" ")).hasMessage("bootstrap servers are empty");
  }

  @Test
  void secrets_stay_out_of_messages_and_the_settings_travel_to_flink() throws Exception {
    KafkaSettings kafka = new KafkaSettings("b:9092", Map.of("sasl.jaas.config", "password=hunter2"));

    assertThat(kafka.toString()).contains("b:9092", "sasl.jaas.config").doesNotContain("hunter2");
    try (ObjectOutputStream out = new ObjectOutputStream(new ByteArrayOutputStream())) {
      out.writeObject(kafka);
    }
  }
}
