package dev.attune.testkit;

import dev.attune.schemas.Topic;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.utils.Time;

/**
 * A real single-node Kafka 4.2 broker in KRaft mode (broker and controller in one process), on
 * loopback, with its log in {@code dir}. Formats the storage on first start.
 */
public final class EmbeddedKafka implements AutoCloseable {
  private final Properties props;
  private final String bootstrapServers;
  private KafkaRaftServer server;

  private EmbeddedKafka(Properties props, String bootstrapServers) {
    this.props = props;
    this.bootstrapServers = bootstrapServers;
  }

  public static EmbeddedKafka start(Path dir) throws IOException {
    int brokerPort = freePort();
    int controllerPort = freePort();
    Path logDir = dir.resolve("kraft-logs");
    Files.createDirectories(logDir);
    Properties props = new Properties();
    props.put("process.roles", "broker,controller");
    props.put("node.id", "1");
    props.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
    props.put("listeners", "PLAINTEXT://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
    props.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPort);
    props.put("controller.listener.names", "CONTROLLER");
    props.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    props.put("inter.broker.listener.name", "PLAINTEXT");
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
    EmbeddedKafka kafka = new EmbeddedKafka(props, "127.0.0.1:" + brokerPort);
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

  public Admin admin() {
    return Admin.create(Map.of("bootstrap.servers", bootstrapServers));
  }

  /** Creates the topics that do not exist yet, with their configured settings. */
  public static void createTopics(String bootstrapServers, List<Topic<?>> topics, int partitions, short replication) throws Exception {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrapServers))) {
      List<NewTopic> missing = new ArrayList<>();
      var existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
      for (Topic<?> t : topics) {
        if (!existing.contains(t.name())) missing.add(new NewTopic(t.name(), partitions, replication).configs(t.configs()));
      }
      try {
        admin.createTopics(missing).all().get(30, TimeUnit.SECONDS);
      } catch (java.util.concurrent.ExecutionException e) {
        if (!(e.getCause() instanceof TopicExistsException)) throw e;
      }
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  @Override
  public void close() {
    stop();
  }
}
