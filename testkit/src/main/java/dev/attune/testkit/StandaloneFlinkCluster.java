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
import java.util.List;
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
  private final List<Process> processes = new ArrayList<>();

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
    Path conf = Files.createDirectories(dir.resolve("conf"));
    int rpcPort = freePort();
    int restPort = freePort();
    Files.writeString(conf.resolve("config.yaml"), String.join("\n",
        "jobmanager.rpc.address: 127.0.0.1",
        "jobmanager.rpc.port: " + rpcPort,
        "jobmanager.bind-host: 127.0.0.1",
        "rest.address: 127.0.0.1",
        "rest.bind-address: 127.0.0.1",
        "rest.port: " + restPort,
        "taskmanager.bind-host: 127.0.0.1",
        "taskmanager.host: 127.0.0.1",
        "taskmanager.numberOfTaskSlots: 2",
        "jobmanager.memory.process.size: 1024m",
        // Flink's start scripts derive these and pass them to the TaskManager; without the scripts they
        // must be given. JVM flags below match: heap = framework + task heap, direct = off-heap + network.
        "taskmanager.cpu.cores: 2",
        "taskmanager.memory.framework.heap.size: 128m",
        "taskmanager.memory.task.heap.size: 384m",
        "taskmanager.memory.managed.size: 64m",
        "taskmanager.memory.framework.off-heap.size: 128m",
        "taskmanager.memory.task.off-heap.size: 0m",
        "taskmanager.memory.network.min: 64m",
        "taskmanager.memory.network.max: 64m",
        "taskmanager.memory.jvm-metaspace.size: 256m",
        "taskmanager.memory.jvm-overhead.min: 192m",
        "taskmanager.memory.jvm-overhead.max: 192m",
        "restart-strategy.type: none",
        "io.tmp.dirs: " + Files.createDirectories(dir.resolve("tmp")),
        ""));
    String cp = String.join(File.pathSeparator, classPath.stream().map(Path::toString).toList());
    StandaloneFlinkCluster cluster = new StandaloneFlinkCluster(dir, conf, cp, restPort);
    try {
      cluster.launch("jobmanager", cp, List.of("-Xmx512m"), "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint", conf);
      cluster.launch("taskmanager", cp, List.of("-Xmx512m", "-XX:MaxDirectMemorySize=192m", "-XX:MaxMetaspaceSize=256m"),
          "org.apache.flink.runtime.taskexecutor.TaskManagerRunner", conf);
    } catch (IOException | RuntimeException e) {
      cluster.close();
      throw e;
    }
    return cluster;
  }

  private void launch(String name, String classPath, List<String> memory, String mainClass, Path conf) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(memory);
    command.addAll(JAVA_OPENS);
    command.addAll(List.of("-cp", classPath, mainClass, "--configDir", conf.toString()));
    Process process = new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(dir.resolve(name + ".log").toFile())
        .start();
    processes.add(process);
  }

  /**
   * True once a TaskManager has registered with the JobManager.
   *
   * @throws IllegalStateException with the end of its log when either process has exited
   */
  public boolean ready() throws IOException {
    for (int i = 0; i < processes.size(); i++) {
      Process p = processes.get(i);
      if (!p.isAlive()) {
        String name = i == 0 ? "jobmanager" : "taskmanager";
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
    return Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
        .filter(entry -> excluded.stream().noneMatch(entry::contains))
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
