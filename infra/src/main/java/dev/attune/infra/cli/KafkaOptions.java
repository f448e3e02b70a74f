package dev.attune.infra.cli;

import dev.attune.schemas.KafkaSettings;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The broker a stage talks to, and how: every Kafka client of the command is built from {@link #settings()}. */
class KafkaOptions {
  @Option(names = "--bootstrap-servers", defaultValue = "localhost:9092", description = "Kafka bootstrap servers (default: ${DEFAULT-VALUE}).") String bootstrap;

  @Option(names = "--kafka-config", description = "Kafka client properties file applied to every client of this command: security.protocol,"
      + " sasl.*, ssl.* (trust and key stores), client.id (a prefix each client extends with its role).")
  Path config;

  KafkaSettings settings() {
    return KafkaSettings.load(bootstrap, config);
  }
}
