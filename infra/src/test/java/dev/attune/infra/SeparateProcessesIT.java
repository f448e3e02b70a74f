package dev.attune.infra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.attune.client.AttuneClient;
import dev.attune.infra.cli.AttuneCli;
import dev.attune.infra.data.BeirDataset;
import dev.attune.models.registry.ModelRegistry;
import dev.attune.schemas.AvroCodec;
import dev.attune.schemas.KafkaAccess;
import dev.attune.schemas.KafkaSettings;
import dev.attune.schemas.ModelKind;
import dev.attune.schemas.ModelStatus;
import dev.attune.schemas.ModelVersion;
import dev.attune.schemas.Topics;
import dev.attune.schemas.TrainingExample;
import dev.attune.serving.store.QdrantServer;
import dev.attune.testkit.EmbeddedKafka;
import dev.attune.testkit.StageCounts;
import dev.attune.testkit.StandaloneFlinkCluster;
import dev.attune.trainers.eval.RetrievalMetrics;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The loop deployed as a production team would, every stage an operating-system process started
 * from the built jars: a KRaft broker, S3Proxy (the artifact store), Qdrant, a standalone Flink
 * cluster (JobManager, TaskManager) running the mining job jar, the assembler, the trainer, one
 * serving indexer and two serving replicas. Traffic goes through the replicas only, as through a
 * load balancer. A trained version travels trainer → S3 → every serving node, and both replicas
 * swap under traffic with no failed and no mixed response. Then each stage in turn (assembler,
 * TaskManager, trainer, indexer, one replica, broker) is killed with SIGKILL and started again:
 * every input event ends in an episode or a dead letter, every episode in one example or a dead
 * letter, no example twice, and all serving nodes end on the version the model log names.
 * Recovery times are printed (they are figures of this run, not asserted).
 */
class SeparateProcessesIT {
  private static final Topics TOPICS = Topics.defaults();
  private static final String BUCKET = "attune-models";
  private static final Map<String, String> S3_CREDENTIALS = Map.of("AWS_ACCESS_KEY_ID", "attune-access", "AWS_SECRET_ACCESS_KEY", "attune-secret",
      "AWS_REGION", "us-east-1");
  private final HttpClient http = HttpClient.newHttpClient();
  @TempDir Path work;
  private final Path logs = Path.of("target", "SeparateProcessesIT").toAbsolutePath();

  @Test
  void the_loop_in_separate_processes_survives_a_kill_9_of_each_stage() throws Exception {
    Path jobJar = Path.of(System.getProperty("attune.streams.jobJar", "../streams/target/attune-streams-0.1.0-SNAPSHOT-job.jar"));
    assertThat(jobJar).as("build the streams module first (mvn package)").exists();
    int brokerPort = EmbeddedKafka.freePort();
    String bootstrap = "127.0.0.1:" + brokerPort;
    KafkaSettings kafka = KafkaSettings.of(bootstrap);
    Map<String, Double> recovery = new LinkedHashMap<>();
    Set<String> answeredPairs;
    double trafficSeconds;
    List<OsProcess> all = new ArrayList<>();
    try (OsProcess broker = track(all, OsProcess.java("broker", logs, Map.of(), "1g", EmbeddedKafka.class.getName(),
            List.of(work.resolve("kafka").toString(), String.valueOf(brokerPort), String.valueOf(EmbeddedKafka.freePort()))).start());
        OsProcess s3 = track(all, s3Proxy().start());
        QdrantServer qdrant = QdrantServer.start(QdrantServer.binary(QdrantServer.defaultCache()), work.resolve("qdrant"), Duration.ofSeconds(60));
        StandaloneFlinkCluster flink = StandaloneFlinkCluster.start(StandaloneFlinkCluster.classPathWithoutJobCode(), work.resolve("flink"), Map.of(
            "restart-strategy.type", "fixed-delay", "restart-strategy.fixed-delay.attempts", "1000", "restart-strategy.fixed-delay.delay", "2 s",
            "state.checkpoints.dir", work.resolve("flink-checkpoints").toUri().toString()))) {
      await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(500)).ignoreExceptions().until(() -> brokerUp(kafka));
      assertThat(attune("topics", List.of("topics", "create", "--bootstrap-servers", bootstrap)).start().awaitExit()).isZero();
      assertThat(attune("corpus", List.of("corpus", "load", "--articles", "1", "--bootstrap-servers", bootstrap)).start().awaitExit()).isZero();

      await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(500)).until(flink::ready);
      flink.submit(jobJar, "--bootstrap-servers", bootstrap);
      OsProcess assembler = track(all, attune("assembler", List.of("assemble", "--bootstrap-servers", bootstrap, "--state-dir",
          work.resolve("assembler").toString(), "--window", "PT3S", "--grace", "PT1S")).start());
      List<String> store = List.of("--store", "qdrant", "--qdrant-host", "127.0.0.1", "--qdrant-grpc-port", String.valueOf(qdrant.grpcPort()));
      List<String> artifacts = List.of("--artifacts", "s3://" + BUCKET + "/it", "--s3-endpoint", "http://127.0.0.1:" + s3Port);
      OsProcess trainer = track(all, attune("trainer", concat(List.of("train", "--bootstrap-servers", bootstrap, "--models-dir",
          work.resolve("trainer-models").toString(), "--trigger", "24", "--steps", "2", "--margin", "-1", "--tolerance", "1"), store, artifacts)).start());
      Map<String, Integer> ports = new LinkedHashMap<>();
      Map<String, OsProcess> nodes = new LinkedHashMap<>();
      for (String node : List.of("indexer", "replica-a", "replica-b")) {
        int port = EmbeddedKafka.freePort();
        ports.put(node, port);
        nodes.put(node, track(all, attune(node, concat(List.of("serve", "--role", node.equals("indexer") ? "INDEXER" : "REPLICA",
            "--bootstrap-servers", bootstrap, "--port", String.valueOf(port), "--host", "127.0.0.1", "--work-dir", work.resolve(node).toString(),
            "--models-dir", work.resolve(node + "-models").toString()), store, artifacts)).start()));
      }
      for (String node : nodes.keySet()) awaitReady(nodes.get(node), ports.get(node), Duration.ofMinutes(4));

      // Traffic through the two replicas, as a load balancer would send it (the other replica when one is down)
      List<AttuneClient> replicas = List.of(client(ports.get("replica-a")), client(ports.get("replica-b")));
      try (Load load = new Load(replicas, BeirDataset.bundled().firstArticles(1).queries())) {
        // A version trained on the traffic reaches every node through S3, both replicas swapping under traffic
        await().atMost(Duration.ofMinutes(8)).pollInterval(Duration.ofSeconds(2))
            .failFast(() -> assertThat(all).allSatisfy(p -> assertThat(p.alive()).as("%s alive; its log:%n%s", p.name(), p.log()).isTrue()))
            .until(() -> ports.values().stream().allMatch(p -> !version(p).equals(ModelRegistry.name(0))));
        load.awaitMore(20);
        assertThat(load.failed()).as("failed requests through the promotion").isEmpty();

        // Each stage killed outright and started again, traffic going on
        recovery.put("assembler", restart(assembler, () -> grows(kafka, TOPICS.episodes().name())));
        recovery.put("taskmanager", restartTaskManager(flink, () -> grows(kafka, TOPICS.trainingExamples().name())));
        recovery.put("trainer", restart(trainer, () -> trainer.logSinceStart().contains("trainer ready")));
        recovery.put("indexer", restart(nodes.get("indexer"), () -> ready(ports.get("indexer"))));
        recovery.put("replica-a", restart(nodes.get("replica-a"), () -> ready(ports.get("replica-a"))));
        assertThat(load.failed()).as("requests no replica answered while a stage other than the broker was down").isEmpty();
        // Without a broker a request's events cannot be written: it is refused (503), and is not an input.
        broker.kill9();
        load.allowFailures();
        long brokerStart = System.nanoTime();
        broker.start();
        await().atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofMillis(500)).until(() -> load.answeredSinceMark() >= 5);
        recovery.put("broker", (System.nanoTime() - brokerStart) / 1e9);
        load.awaitMore(20);
        answeredPairs = load.pairs();
        trafficSeconds = load.seconds();
      }

      // Then everything sent is accounted for, no example twice, every node on the version the model log names
      AtomicReference<StageCounts> balanced = new AtomicReference<>();
      await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(2)).untilAsserted(() -> {
        StageCounts counts = StageCounts.read(kafka, TOPICS);
        balanced.set(counts);
        assertThat(counts.assemblerBalanced(TOPICS)).as("assembler inputs %d = events in episodes %d + dead letters %d",
            counts.assemblerInputs(TOPICS), counts.eventsInEpisodes(), counts.assemblerDeadLetters()).isTrue();
        assertThat(counts.minerBalanced(TOPICS)).as("episodes = examples + dead letters: %s", counts).isTrue();
      });
      assertThat(exampleIds(kafka)).as("no example twice").doesNotHaveDuplicates();
      assertThat(allowedPairs(kafka)).as("every answer paired a query encoder with the index the model log pairs it with")
          .containsAll(answeredPairs);
      String named = lastPromoted(kafka);
      await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1))
          .untilAsserted(() -> assertThat(ports.values()).allSatisfy(p -> assertThat(version(p)).isEqualTo(named)));
      // Figures of this run (not asserted): the traffic is one client thread, on the machine every stage shares.
      long inputs = balanced.get().assemblerInputs(TOPICS);
      String figures = String.format(Locale.ROOT, "input events %d in %.0f s of traffic (%.1f events/s end to end, kills included);"
          + " %d episodes, %d training examples; seconds from restart to recovery after kill -9: %s", inputs, trafficSeconds,
          inputs / trafficSeconds, balanced.get().records().get(TOPICS.episodes().name()),
          balanced.get().records().get(TOPICS.trainingExamples().name()), recovery);
      System.out.println("SeparateProcessesIT: " + figures);
      Files.writeString(logs.resolve("figures.txt"), figures);
    } finally {
      for (OsProcess p : all) p.close();
    }
  }

  private int s3Port;

  /** S3Proxy from its own self-contained jar, over a filesystem backend with the bucket already there. */
  private OsProcess s3Proxy() throws IOException {
    s3Port = EmbeddedKafka.freePort();
    Path data = Files.createDirectories(work.resolve("s3").resolve(BUCKET)).getParent();
    Path config = work.resolve("s3proxy.properties");
    Files.writeString(config, String.join("\n", "s3proxy.endpoint=http://127.0.0.1:" + s3Port, "s3proxy.authorization=aws-v2-or-v4",
        "s3proxy.identity=attune-access", "s3proxy.credential=attune-secret", "jclouds.provider=filesystem",
        "jclouds.filesystem.basedir=" + data, ""));
    Path jar = Path.of("target", "s3proxy", "s3proxy.jar").toAbsolutePath();
    assertThat(jar).as("copied by the build (process-test-resources)").exists();
    return OsProcess.of("s3proxy", logs, Map.of(), List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
        "-jar", jar.toString(), "--properties", config.toString()));
  }

  private OsProcess attune(String name, List<String> args) throws IOException {
    return OsProcess.java(name, logs, S3_CREDENTIALS, name.equals("trainer") ? "6g" : "1g", AttuneCli.class.getName(), args);
  }

  private static OsProcess track(List<OsProcess> all, OsProcess p) {
    all.add(p);
    return p;
  }

  /** Kills {@code stage}, starts it again and returns the seconds until {@code recovered}. */
  private static double restart(OsProcess stage, BooleanSupplier recovered) throws Exception {
    stage.kill9();
    long start = System.nanoTime();
    stage.start();
    await().atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofMillis(500)).ignoreExceptions()
        .failFast(() -> assertThat(stage.alive()).as("%s alive; its log:%n%s", stage.name(), stage.log()).isTrue())
        .until(recovered::getAsBoolean);
    return (System.nanoTime() - start) / 1e9;
  }

  private static double restartTaskManager(StandaloneFlinkCluster flink, BooleanSupplier recovered) throws Exception {
    flink.killTaskManager();
    long start = System.nanoTime();
    flink.startTaskManager();
    await().atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofMillis(500)).ignoreExceptions().until(recovered::getAsBoolean);
    return (System.nanoTime() - start) / 1e9;
  }

  private final Map<String, Integer> seen = new HashMap<>();

  /** True once {@code topic} holds more records than when this was first asked about it. */
  private boolean grows(KafkaSettings kafka, String topic) {
    int now = KafkaAccess.readAll(kafka, topic, v -> {});
    Integer before = seen.putIfAbsent(topic, now);
    if (before == null) return false;
    if (now > before) {
      seen.remove(topic);
      return true;
    }
    return false;
  }

  private static boolean brokerUp(KafkaSettings kafka) throws Exception {
    try (Admin admin = Admin.create(kafka.admin("it"))) {
      return !admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).isEmpty();
    }
  }

  private void awaitReady(OsProcess node, int port, Duration within) {
    await().atMost(within).pollInterval(Duration.ofSeconds(1))
        .failFast(() -> assertThat(node.alive()).as("%s alive; its log:%n%s", node.name(), node.log()).isTrue())
        .until(() -> ready(port));
  }

  private boolean ready(int port) {
    try {
      return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/ready")).timeout(Duration.ofSeconds(5)).build(),
          HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
    } catch (Exception e) {
      return false;
    }
  }

  private static AttuneClient client(int port) {
    return new AttuneClient(URI.create("http://127.0.0.1:" + port), null, Duration.ofSeconds(15));
  }

  private static String version(int port) {
    try {
      return client(port).version().path("modelVersion").asText();
    } catch (RuntimeException e) {
      return "unreachable";
    }
  }

  private static List<String> exampleIds(KafkaSettings kafka) {
    AvroCodec<TrainingExample> codec = AvroCodec.of(TrainingExample.class);
    List<String> ids = new ArrayList<>();
    KafkaAccess.readAll(kafka, TOPICS.trainingExamples().name(), v -> ids.add(codec.decode(v).getExampleId()));
    return ids;
  }

  /** (model, index) pairs the model log allows: the base on its own index, each version on the index it names (its own when none). */
  private static Set<String> allowedPairs(KafkaSettings kafka) {
    AvroCodec<ModelVersion> codec = AvroCodec.of(ModelVersion.class);
    Set<String> pairs = new HashSet<>(Set.of(ModelRegistry.name(0) + "/" + ModelRegistry.name(0)));
    KafkaAccess.readAll(kafka, TOPICS.modelVersions().name(), v -> {
      ModelVersion m = codec.decode(v);
      if (m.getKind() != ModelKind.RETRIEVER) return;
      pairs.add(m.getName() + "/" + (m.getIndexVersion() == null ? m.getName() : ModelRegistry.name(m.getIndexVersion())));
    });
    return pairs;
  }

  private static String lastPromoted(KafkaSettings kafka) {
    AvroCodec<ModelVersion> codec = AvroCodec.of(ModelVersion.class);
    AtomicReference<String> last = new AtomicReference<>();
    KafkaAccess.readAll(kafka, TOPICS.modelVersions().name(), v -> {
      ModelVersion m = codec.decode(v);
      if (m.getKind() == ModelKind.RETRIEVER && m.getStatus() == ModelStatus.PROMOTED) last.set(m.getName());
    });
    return last.get();
  }

  @SafeVarargs
  private static List<String> concat(List<String>... parts) {
    List<String> out = new ArrayList<>();
    for (List<String> p : parts) out.addAll(p);
    return out;
  }

  /**
   * Requests back to back, each a retrieval and its feedback (the LLM's scores favour the labelled
   * passage; the human label), through whichever replica answers; records failures and the
   * (model, index) pairs answered.
   */
  private static final class Load implements AutoCloseable {
    private final AtomicBoolean stop = new AtomicBoolean();
    private final AtomicBoolean failuresAllowed = new AtomicBoolean();
    private final AtomicInteger answered = new AtomicInteger();
    private final AtomicInteger mark = new AtomicInteger();
    private final ConcurrentLinkedQueue<String> failed = new ConcurrentLinkedQueue<>();
    private final Set<String> pairs = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final Thread thread;
    private final long started = System.nanoTime();

    Load(List<AttuneClient> replicas, List<RetrievalMetrics.Judged> questions) {
      thread = new Thread(() -> {
        int i = 0;
        while (!stop.get()) {
          RetrievalMetrics.Judged q = questions.get(i % questions.size());
          String problem = send(replicas.get(i % 2), q);
          if (problem != null) problem = send(replicas.get((i + 1) % 2), q);
          if (problem == null) answered.incrementAndGet();
          else if (!failuresAllowed.get()) failed.add(problem);
          i++;
        }
      }, "load");
      thread.start();
    }

    private String send(AttuneClient replica, RetrievalMetrics.Judged q) {
      try {
        AttuneClient.Retrieval r = replica.retrieve(AttuneClient.RetrieveRequest.of(q.text(), 5));
        pairs.add(r.modelVersion() + "/" + r.indexVersion());
        Map<String, Double> scores = new HashMap<>();
        for (AttuneClient.Passage p : r.passages()) scores.put(p.id(), q.relevant().contains(p.id()) ? -0.5 : -4.0 - p.rank() * 0.1);
        replica.feedback(r.requestId(), new AttuneClient.LlmFeedback("it-llm", "ANSWER_LOG_LIKELIHOOD", scores, null, null),
            new AttuneClient.HumanFeedback(new ArrayList<>(q.relevant()), q.answers()));
        return null;
      } catch (RuntimeException e) {
        return e.getMessage();
      }
    }

    void awaitMore(int n) {
      int before = answered.get();
      await().atMost(Duration.ofMinutes(2)).until(() -> answered.get() >= before + n);
    }

    /** From now on a request no replica answers is expected (the broker is down): not a failure. */
    void allowFailures() {
      failuresAllowed.set(true);
      mark.set(answered.get());
    }

    int answeredSinceMark() {
      return answered.get() - mark.get();
    }

    double seconds() {
      return (System.nanoTime() - started) / 1e9;
    }

    List<String> failed() {
      return List.copyOf(failed);
    }

    Set<String> pairs() {
      return new HashSet<>(pairs);
    }

    @Override
    public void close() throws InterruptedException {
      stop.set(true);
      thread.join();
    }
  }
}
