package dev.attune.testkit;

import java.io.File;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.api.common.JobID;
import org.apache.flink.client.deployment.StandaloneClusterId;
import org.apache.flink.client.program.rest.RestClusterClient;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.JobManagerOptions;
import org.apache.flink.configuration.RestOptions;

/**
 * A standalone Flink session cluster, one JobManager and one TaskManager process, started from Flink's
 * Maven Central jars (Apache publishes no {@code flink-dist} for 2.x there, so the processes run
 * Flink's entry points on a class path of those jars). Jobs are submitted as jars with Flink's own
 * command-line client, {@code flink run}, in a third process.
 */
public final class StandaloneFlinkCluster implements AutoCloseable {
  /** Options Flink's own scripts pass on Java 17 (Kryo and the RPC layer reflect into the JDK). */
  private static final List<String> JAVA_OPENS = List.of(
      "--add-opens=java.base/java.util=ALL-UNNAMED", "--add-opens=java.base/java.lang=ALL-UNNAMED",
      "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED", "--add-opens=java.base/java.io=ALL-UNNAMED",
      "--add-opens=java.base/java.net=ALL-UNNAMED", "--add-opens=java.base/java.nio=ALL-UNNAMED",
      "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED", "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
      "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED", "--add-opens=java.base/java.time=ALL-UNNAMED",
      "--add-opens=java.base/java.text=ALL-UNNAMED", "--add-opens=java.base/java.math=ALL-UNNAMED");

  private final Path dir;
  private final Path conf;
  private final String classPath;
  private final int restPort;
  private Process jobManager;
  private Process taskManager;

  private StandaloneFlinkCluster(Path dir, Path conf, String classPath, int restPort) {
    this.dir = dir;
    this.conf = conf;
    this.classPath = classPath;
    this.restPort = restPort;
  }

  /**
   * Starts both processes and returns at once; the cluster takes jobs once {@link #ready()} says so.
   *
   * @param classPath Flink's jars and their dependencies; no job code (that travels in the job jar)
   * @param dir configuration, logs and scratch space of the cluster
   */
  public static StandaloneFlinkCluster start(List<Path> classPath, Path dir) throws IOException {
    return start(classPath, dir, Map.of());
  }

  /**
   * As {@link #start(List, Path)}, with Flink configuration entries added or overriding these
   * defaults (e.g. a restart strategy and a checkpoint directory for a job that must survive a
   * TaskManager's death).
   */
  public static StandaloneFlinkCluster start(List<Path> classPath, Path dir, Map<String, String> settings) throws IOException {
    Path conf = Files.createDirectories(dir.resolve("conf"));
    int rpcPort = freePort();
    int restPort = freePort();
    Map<String, String> config = new LinkedHashMap<>();
    config.put("jobmanager.rpc.address", "127.0.0.1");
    config.put("jobmanager.rpc.port", String.valueOf(rpcPort));
    config.put("jobmanager.bind-host", "127.0.0.1");
    config.put("rest.address", "127.0.0.1");
    config.put("rest.bind-address", "127.0.0.1");
    config.put("rest.port", String.valueOf(restPort));
    config.put("taskmanager.bind-host", "127.0.0.1");
    config.put("taskmanager.host", "127.0.0.1");
    config.put("taskmanager.numberOfTaskSlots", "2");
    config.put("jobmanager.memory.process.size", "1024m");
    // Flink's start scripts derive these and pass them to the TaskManager; without the scripts they
    // must be given. JVM flags below match: heap = framework + task heap, direct = off-heap + network.
    config.put("taskmanager.cpu.cores", "2");
    config.put("taskmanager.memory.framework.heap.size", "128m");
    config.put("taskmanager.memory.task.heap.size", "384m");
    config.put("taskmanager.memory.managed.size", "64m");
    config.put("taskmanager.memory.framework.off-heap.size", "128m");
    config.put("taskmanager.memory.task.off-heap.size", "0m");
    config.put("taskmanager.memory.network.min", "64m");
    config.put("taskmanager.memory.network.max", "64m");
    config.put("taskmanager.memory.jvm-metaspace.size", "256m");
    config.put("taskmanager.memory.jvm-overhead.min", "192m");
    config.put("taskmanager.memory.jvm-overhead.max", "192m");
    config.put("restart-strategy.type", "none");
    config.put("io.tmp.dirs", Files.createDirectories(dir.resolve("tmp")).toString());
    config.putAll(settings);
    StringBuilder yaml = new StringBuilder();
    config.forEach((k, v) -> yaml.append(k).append(": ").append(v).append('\n'));
    Files.writeString(conf.resolve("config.yaml"), yaml);
    String cp = String.join(File.pathSeparator, classPath.stream().map(Path::toString).toList());
    StandaloneFlinkCluster cluster = new StandaloneFlinkCluster(dir, conf, cp, restPort);
    try {
      cluster.jobManager = cluster.launch("jobmanager", List.of("-Xmx512m"), "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint");
      cluster.startTaskManager();
    } catch (IOException | RuntimeException e) {
      cluster.close();
      throw e;
    }
    return cluster;
  }

  /** Starts a TaskManager (again, after {@link #killTaskManager}); its log goes on in the same file. */
  public synchronized void startTaskManager() throws IOException {
    if (taskManager != null && taskManager.isAlive()) throw new IllegalStateException("the TaskManager is running");
    taskManager = launch("taskmanager", List.of("-Xmx512m", "-XX:MaxDirectMemorySize=192m", "-XX:MaxMetaspaceSize=256m"),
        "org.apache.flink.runtime.taskexecutor.TaskManagerRunner");
  }

  /** Kills the TaskManager outright (SIGKILL), as a machine failure would. */
  public synchronized void killTaskManager() throws InterruptedException {
    taskManager.destroyForcibly().waitFor();
  }

  private Process launch(String name, List<String> memory, String mainClass) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(memory);
    command.addAll(JAVA_OPENS);
    command.addAll(List.of("-cp", classPath, mainClass, "--configDir", conf.toString()));
    return new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve(name + ".log").toFile()))
        .start();
  }

  /**
   * True once a TaskManager has registered with the JobManager.
   *
   * @throws IllegalStateException with the end of its log when either process has exited
   */
  public boolean ready() throws IOException {
    for (String name : List.of("jobmanager", "taskmanager")) {
      Process p = name.equals("jobmanager") ? jobManager : taskManager;
      if (!p.isAlive()) {
        String log = log(name);
        throw new IllegalStateException("the Flink " + name + " exited with " + p.exitValue() + "; end of its log:\n"
            + log.substring(Math.max(0, log.length() - 3000)));
      }
    }
    String overview = get("/overview");
    return overview != null && !overview.contains("\"taskmanagers\":0");
  }

  private String get(String path) throws IOException {
    HttpURLConnection c = (HttpURLConnection) URI.create(restUrl() + path).toURL().openConnection();
    c.setConnectTimeout(1000);
    c.setReadTimeout(2000);
    try {
      if (c.getResponseCode() != 200) return null;
      return new String(c.getInputStream().readAllBytes());
    } catch (IOException e) {
      return null;
    } finally {
      c.disconnect();
    }
  }

  public String restUrl() {
    return "http://127.0.0.1:" + restPort;
  }

  /**
   * Runs {@code flink run --detached <jobJar> <args>} (Flink's {@code CliFrontend}, in its own process on
   * the cluster's class path) and returns the id of the submitted job.
   */
  public JobID submit(Path jobJar, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx256m");
    command.addAll(JAVA_OPENS);
    command.addAll(List.of("-cp", classPath, "org.apache.flink.client.cli.CliFrontend", "run", "--detached", jobJar.toString()));
    command.addAll(Arrays.asList(args));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dir.resolve("client.log").toFile());
    builder.environment().put("FLINK_CONF_DIR", conf.toString());
    Process client = builder.start();
    if (!client.waitFor(3, TimeUnit.MINUTES)) {
      client.destroyForcibly();
      throw new IOException("flink run did not finish within 3 minutes; see " + dir.resolve("client.log"));
    }
    String output = log("client");
    Matcher submitted = Pattern.compile("Job has been submitted with JobID ([0-9a-f]{32})").matcher(output);
    if (client.exitValue() != 0 || !submitted.find()) {
      throw new IOException("flink run failed (exit " + client.exitValue() + "):\n" + output.substring(Math.max(0, output.length() - 4000)));
    }
    return JobID.fromHexString(submitted.group(1));
  }

  /** The job's status as the cluster reports it, e.g. RUNNING. */
  public String status(JobID job) throws Exception {
    try (RestClusterClient<StandaloneClusterId> client = client()) {
      return client.getJobStatus(job).get(30, TimeUnit.SECONDS).name();
    }
  }

  public void cancel(JobID job) throws Exception {
    try (RestClusterClient<StandaloneClusterId> client = client()) {
      client.cancel(job).get(1, TimeUnit.MINUTES);
    }
  }

  private RestClusterClient<StandaloneClusterId> client() throws Exception {
    return new RestClusterClient<>(clientConfig(), StandaloneClusterId.getInstance());
  }

  private Configuration clientConfig() {
    Configuration conf = new Configuration();
    conf.set(RestOptions.ADDRESS, "127.0.0.1");
    conf.set(RestOptions.PORT, restPort);
    conf.set(JobManagerOptions.ADDRESS, "127.0.0.1");
    return conf;
  }

  /** The log of one process ("jobmanager" or "taskmanager"), for error messages. */
  public String log(String name) throws IOException {
    Path file = dir.resolve(name + ".log");
    return Files.exists(file) ? Files.readString(file) : "";
  }

  /** Flink's jars from this JVM's class path: everything but Attune's own classes and what job jars bring. */
  public static List<Path> classPathWithoutJobCode() {
    List<String> excluded = List.of("/target/classes", "/target/test-classes", "/dev/attune/", "flink-connector-kafka",
        "/org/apache/kafka/", "/org/apache/avro/");
    // The same jars by file name, for a flat class path (the attune launcher's target/lib).
    List<String> excludedNames = List.of("attune-", "flink-connector-kafka-", "kafka-clients-", "avro-");
    return Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
        .filter(entry -> excluded.stream().noneMatch(entry::contains))
        .filter(entry -> excludedNames.stream().noneMatch(Path.of(entry).getFileName().toString()::startsWith))
        .map(Path::of)
        .toList();
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  @Override
  public void close() {
    List<Process> processes = new ArrayList<>();
    for (Process p : new Process[] {taskManager, jobManager}) if (p != null) processes.add(p);
    for (Process p : processes) p.destroy();
    for (Process p : processes) {
      try {
        if (!p.waitFor(20, TimeUnit.SECONDS)) p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        p.destroyForcibly();
      }
    }
  }
}
