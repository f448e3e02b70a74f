package dev.attune.infra.cli;

import picocli.CommandLine.Option;

/** The broker a stage talks to. */
class KafkaOptions {
  @Option(names = "--bootstrap-servers", defaultValue = "localhost:9092", description = "Kafka bootstrap servers (default: ${DEFAULT-VALUE}).") String bootstrap;
}
