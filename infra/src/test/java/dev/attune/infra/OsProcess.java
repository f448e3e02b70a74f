package dev.attune.infra;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One stage of a test's deployment as an operating-system process: started, killed outright
 * ({@code kill -9}) and started again with the same command; its output appended to one log under
 * target/ (kept for a failure's post-mortem).
 */
final class OsProcess implements AutoCloseable {
  private final String name;
  private final List<String> command;
  private final Map<String, String> environment;
  private final Path log;
  private Process process;

  private OsProcess(String name, List<String> command, Map<String, String> environment, Path log) {
    this.name = name;
    this.command = command;
    this.environment = environment;
    this.log = log;
  }

  /** A JVM on this test's class path running {@code mainClass}. */
  static OsProcess java(String name, Path logDir, Map<String, String> environment, String heap, String mainClass, List<String> args)
      throws IOException {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx" + heap,
        "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"), mainClass));
    command.addAll(args);
    return of(name, logDir, environment, command);
  }

  static OsProcess of(String name, Path logDir, Map<String, String> environment, List<String> command) throws IOException {
    Files.createDirectories(logDir);
    Path log = logDir.resolve(name + ".log");
    Files.deleteIfExists(log);
    return new OsProcess(name, command, environment, log);
  }

  OsProcess start() throws IOException {
    if (process != null && process.isAlive()) throw new IllegalStateException(name + " is running");
    Files.writeString(log, "---- start " + java.time.Instant.now() + "\n", java.nio.file.StandardOpenOption.CREATE,
        java.nio.file.StandardOpenOption.APPEND);
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    builder.environment().putAll(environment);
    process = builder.start();
    return this;
  }

  /** SIGKILL, as a crashed machine: no shutdown hook, no flush. */
  void kill9() throws InterruptedException {
    process.destroyForcibly().waitFor();
  }

  boolean alive() {
    return process != null && process.isAlive();
  }

  /** Runs to its end (a one-shot command) and returns its exit status. */
  int awaitExit() throws InterruptedException {
    return process.waitFor();
  }

  String name() {
    return name;
  }

  /** The log written since the latest start. */
  String logSinceStart() {
    try {
      String text = Files.readString(log);
      return text.substring(text.lastIndexOf("---- start"));
    } catch (IOException e) {
      return "";
    }
  }

  String log() {
    try {
      String text = Files.readString(log);
      return text.length() <= 4000 ? text : text.substring(text.length() - 4000);
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  @Override
  public void close() throws InterruptedException {
    if (process != null && process.isAlive()) {
      process.destroy();
      if (!process.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) process.destroyForcibly().waitFor();
    }
  }
}
