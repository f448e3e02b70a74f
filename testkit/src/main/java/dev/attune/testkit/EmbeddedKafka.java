package dev.attune.testkit;

import dev.attune.schemas.KafkaAccess;
import dev.attune.schemas.KafkaSettings;
import dev.attune.schemas.Topic;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.utils.Time;

/**
 * A real single-node Kafka 4.2 broker in KRaft mode (broker and controller in one process), on
 * loopback, with its log in {@code dir}. Formats the storage on first start.
 */
public final class EmbeddedKafka implements AutoCloseable {
  private final Properties props;
  private final String bootstrapServers;
  private final KafkaSettings settings;
  private KafkaRaftServer server;

  private EmbeddedKafka(Properties props, String bootstrapServers, KafkaSettings settings) {
    this.props = props;
    this.bootstrapServers = bootstrapServers;
    this.settings = settings;
  }

  public static EmbeddedKafka start(Path dir) throws IOException {
    return start(dir, null, null, freePort(), freePort());
  }

  /** A broker on fixed ports: one started again on the same directory and ports is the same broker (its process killed, then restarted). */
  public static EmbeddedKafka start(Path dir, int brokerPort, int controllerPort) throws IOException {
    return start(dir, null, null, brokerPort, controllerPort);
  }

  /**
   * The broker in a process of its own, until that process is killed: {@code <dir> <broker port>
   * <controller port>}. A test that kills it with SIGKILL and starts it again exercises a broker's crash.
   */
  public static void main(String[] args) throws Exception {
    EmbeddedKafka kafka = start(Path.of(args[0]), Integer.parseInt(args[1]), Integer.parseInt(args[2]));
    System.out.println("broker ready at " + kafka.bootstrapServers());
    new java.util.concurrent.CountDownLatch(1).await();
  }

  /**
   * A broker whose client listener requires SASL/PLAIN ({@code user}, {@code password}), as a
   * secured production cluster would: clients without the credentials cannot connect.
   */
  public static EmbeddedKafka startSecured(Path dir, String user, String password) throws IOException {
    return start(dir, user, password, freePort(), freePort());
  }

  private static EmbeddedKafka start(Path dir, String user, String password, int brokerPort, int controllerPort) throws IOException {
    Path logDir = dir.resolve("kraft-logs");
    Files.createDirectories(logDir);
    Properties props = new Properties();
    props.put("process.roles", "broker,controller");
    props.put("node.id", "1");
    props.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
    String client = user == null ? "PLAINTEXT" : "SASL_PLAINTEXT";
    props.put("listeners", client + "://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
    props.put("advertised.listeners", client + "://127.0.0.1:" + brokerPort);
    props.put("controller.listener.names", "CONTROLLER");
    props.put("listener.security.protocol.map", client + ":" + client + ",CONTROLLER:PLAINTEXT");
    props.put("inter.broker.listener.name", client);
    Map<String, String> clientProps = Map.of();
    if (user != null) {
      String jaas = "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"" + user + "\" password=\"" + password + "\"";
      props.put("sasl.enabled.mechanisms", "PLAIN");
      props.put("sasl.mechanism.inter.broker.protocol", "PLAIN");
      props.put("listener.name.sasl_plaintext.plain.sasl.jaas.config", jaas.replace(" required ", " required user_" + user + "=\"" + password + "\" ") + ";");
      clientProps = Map.of("security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", "PLAIN", "sasl.jaas.config", jaas + ";");
    }
    props.put("log.dirs", logDir.toString());
    props.put("num.partitions", "1");
    props.put("auto.create.topics.enable", "false");
    props.put("offsets.topic.replication.factor", "1");
    props.put("offsets.topic.num.partitions", "1");
    props.put("transaction.state.log.replication.factor", "1");
    props.put("transaction.state.log.min.isr", "1");
    props.put("transaction.state.log.num.partitions", "1");
    props.put("share.coordinator.state.topic.replication.factor", "1");
    props.put("share.coordinator.state.topic.min.isr", "1");
    props.put("group.initial.rebalance.delay.ms", "0");
    // The default 128 MB cleaner buffer is allocated on heap even for a tiny compacted topic.
    props.put("log.cleaner.dedupe.buffer.size", String.valueOf(2 * 1024 * 1024));
    Path config = dir.resolve("server.properties");
    try (var out = Files.newOutputStream(config)) {
      props.store(out, "Attune embedded broker");
    }
    if (!Files.exists(logDir.resolve("meta.properties"))) {
      ByteArrayOutputStream log = new ByteArrayOutputStream();
      int rc = StorageTool.execute(new String[] {"format", "-t", "attune-local-cluster0", "-c", config.toString()},
          new PrintStream(log, true, StandardCharsets.UTF_8));
      if (rc != 0) throw new IOException("formatting KRaft storage failed (" + rc + "): " + log.toString(StandardCharsets.UTF_8));
    }
    EmbeddedKafka kafka = new EmbeddedKafka(props, "127.0.0.1:" + brokerPort, new KafkaSettings("127.0.0.1:" + brokerPort, clientProps));
    kafka.startServer();
    return kafka;
  }

  private void startServer() throws IOException {
    server = new KafkaRaftServer(KafkaConfig.fromProps(props), Time.SYSTEM);
    server.startup();
    awaitReady();
  }

  /** Stops the broker as an outage would, keeping its log and ports for {@link #restart()}. */
  public synchronized void stop() {
    if (server == null) return;
    server.shutdown();
    server.awaitShutdown();
    server = null;
  }

  /** Starts a stopped broker again on the same ports and log. */
  public synchronized void restart() throws IOException {
    if (server == null) startServer();
  }

  private void awaitReady() throws IOException {
    try (Admin admin = admin()) {
      admin.describeCluster().nodes().get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IOException("embedded broker at " + bootstrapServers + " did not come up: " + e.getMessage(), e);
    }
  }

  public String bootstrapServers() {
    return bootstrapServers;
  }

  /** How a client reaches this broker (loopback; with the SASL credentials when secured). */
  public KafkaSettings settings() {
    return settings;
  }

  public Admin admin() {
    return Admin.create(settings().admin("test"));
  }

  /** Creates the topics that do not exist yet, with their configured settings (see {@link KafkaAccess#createTopics}). */
  public static void createTopics(String bootstrapServers, List<Topic<?>> topics, int partitions, short replication) {
    KafkaAccess.createTopics(KafkaSettings.of(bootstrapServers), topics, partitions, replication);
  }

  /** A port free on the loopback now, for a broker started on fixed ports. */
  public static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  @Override
  public void close() {
    stop();
  }
}
