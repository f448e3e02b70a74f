package dev.attune.infra.cli;

import dev.attune.console.AttuneConsole;
import dev.attune.console.ConsoleConfig;
import dev.attune.schemas.Topics;
import java.net.URI;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code attune console}: the operator's web console over Kafka and the serving API. */
@Command(name = "console", description = "Serve the operator's console: the loop's flow, the LLM's signal, the trainer's decisions, serving and its swaps;"
    + " promote and roll back with the admin token.")
final class ConsoleCommand implements Callable<Integer> {
  @Mixin KafkaOptions kafka;
  @Option(names = "--serving-url", defaultValue = "http://localhost:8080", description = "The serving API (default: ${DEFAULT-VALUE}).") URI serving;
  @Option(names = "--token-env", defaultValue = "ATTUNE_API_TOKEN", description = "Environment variable holding serving's bearer token: the console"
      + " calls serving with it, and promote/rollback require it; unset = a read-only console (default: ${DEFAULT-VALUE}).") String tokenEnv;
  @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to listen on (default: ${DEFAULT-VALUE}).") String host;
  @Option(names = "--port", defaultValue = "8070", description = "Port (default: ${DEFAULT-VALUE}).") int port;

  @Override
  public Integer call() throws Exception {
    ConsoleConfig config = ConsoleConfig.of(kafka.settings(), Topics.defaults(), serving, System.getenv(tokenEnv));
    AttuneConsole console = AttuneConsole.start(config, host, port);
    System.out.printf("console: http://%s:%d/ over %s and %s%s%n", host, port == 0 ? console.uri().getPort() : port, kafka.settings().bootstrapServers(),
        serving, config.readOnly() ? " (read-only: $" + tokenEnv + " is unset)" : "");
    Lifecycle.blockUntilInterrupted(console);
    return 0;
  }
}
