package dev.attune.infra.bench;

import dev.attune.streams.mining.MiningJobConfig;
import dev.attune.streams.mining.PreferenceMiningJob;
import dev.attune.schemas.KafkaAccess;
import dev.attune.schemas.KafkaSettings;
import dev.attune.testkit.EmbeddedKafka;
import dev.attune.schemas.AvroCodec;
import dev.attune.infra.data.BeirDataset;
import dev.attune.serving.Corpus;
import dev.attune.schemas.HumanFeedbackEvent;
import dev.attune.schemas.LlmFeedbackEvent;
import dev.attune.schemas.PassageEvent;
import dev.attune.schemas.PassageOp;
import dev.attune.schemas.PassageScore;
import dev.attune.schemas.QueryEvent;
import dev.attune.schemas.RankedPassage;
import dev.attune.schemas.RetrievalEvent;
import dev.attune.schemas.SignalKind;
import dev.attune.schemas.Topic;
import dev.attune.schemas.Topics;
import dev.attune.streams.assembler.AssemblerConfig;
import dev.attune.streams.assembler.EpisodeAssembler;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaStreams;

/**
 * Synthetic traffic through the embedded broker → Kafka Streams assembler → Flink mining job, all in
 * this process. Prints episodes/s and examples/s end to end, the latency from each request's last
 * input event (acknowledged by the broker) to its training example (committed, read_committed), and,
 * measured first in the same run, the broker's raw produce → consume rate for records of the same
 * size as the ceiling. Then the miner alone: a second mining job, warm, gets the episodes the
 * assembler made re-sent as one burst, with the assembler stopped, so its examples/s are the
 * miner's own and not bounded by the assembler's rate or shared with it.
 */
public final class MiningBench {

  /**
   * @param requests requests to push (four events each)
   * @param candidates retrieved passages per request, each scored by the LLM
   * @param corpusSize passages in the synthetic corpus
   * @param checkpointInterval the mining job's checkpoint interval: its examples become visible at commits
   * @param rate requests per second to send at, or 0 for as fast as possible (a burst measures
   *     throughput; a rate the pipeline sustains measures latency without queueing)
   * @param warmUp requests mined before the timed traffic (sent as it is: burst or rate), so the
   *     JIT has compiled the hot paths as in a long-running pipeline (on a cold JVM, compiling took
   *     about a third of the CPU during a 20,000-request burst); 0: only the one request that
   *     checks the pipeline is up
   */
  public record Config(Path workDir, int requests, int candidates, int corpusSize, Duration checkpointInterval, double rate,
      dev.attune.streams.LocalFlink.StateStore stateStore, int warmUp) {}

  /** What one run measured. */
  public record Result(double rawRecordsPerSecond, double rawMbPerSecond, double episodesPerSecond, double examplesPerSecond,
      double p50Ms, double p99Ms, double minerAloneExamplesPerSecond, long deadLetters) {}

  private static final Topics TOPICS = Topics.withPrefix("bench.");
  /** The miner-alone run's topics: its own corpus copy and episodes, so it shares nothing with the first job. */
  private static final Topics ALONE = Topics.withPrefix("bench.alone.");
  private final Config config;

  public MiningBench(Config config) {
    this.config = config;
  }

  public Result run(PrintStream out) throws Exception {
    out.printf("mining bench: %d requests x %d candidates, corpus %d passages, checkpoint every %d ms, %s, mining state on %s, %d warm-up requests%n",
        config.requests(), config.candidates(), config.corpusSize(), config.checkpointInterval().toMillis(),
        config.rate() > 0 ? config.rate() + " requests/s" : "burst", config.stateStore(), config.warmUp());
    try (EmbeddedKafka kafka = EmbeddedKafka.start(config.workDir().resolve("kafka"))) {
      String bootstrap = kafka.bootstrapServers();
      Topic<RetrievalEvent> raw = new Topic<>("bench.raw", RetrievalEvent.class, Map.of());
      List<Topic<?>> topics = new ArrayList<>(TOPICS.all());
      topics.addAll(ALONE.all());
      topics.add(raw);
      EmbeddedKafka.createTopics(bootstrap, topics, 1, (short) 1);
      try (KafkaProducer<byte[], byte[]> producer = producer(bootstrap)) {
        double[] ceiling = rawCeiling(bootstrap, producer, raw.name(), out);
        publishCorpus(producer);
        AssemblerConfig assembler = AssemblerConfig.defaults(KafkaSettings.of(bootstrap), config.workDir().resolve("streams")).withTopics(TOPICS);
        MiningJobConfig mining = MiningJobConfig.defaults(KafkaSettings.of(bootstrap)).withTopics(TOPICS);
        mining = new MiningJobConfig(mining.kafka(), mining.inputs(), mining.outputs(), mining.groupId(),
            config.checkpointInterval(), mining.parallelism(), mining.rules(), null);
        double[] endToEnd;
        long dead;
        try (KafkaStreams streams = EpisodeAssembler.start(assembler, Duration.ofMinutes(1),
            failure -> out.println("episode assembler gave up: " + failure))) {
          var job = new PreferenceMiningJob(mining).startLocal(config.workDir().resolve("mining-checkpoints"), dev.attune.streams.Restarts.defaults(), null,
              config.stateStore());
          try {
            // The corpus first: an episode that reaches the job before its passages would wait
            // passageWaitMs and then be dead-lettered, and a large corpus takes longer than that.
            awaitCorpusRead(bootstrap, mining.groupId(), TOPICS.corpus().name(), out);
            Map<String, Long> lastAckNanos = new ConcurrentHashMap<>();
            sendRequest(producer, "warm-up", lastAckNanos);
            producer.flush();
            Tail examples = new Tail(bootstrap, TOPICS.trainingExamples().name());
            Tail episodes = new Tail(bootstrap, TOPICS.episodes().name());
            examples.awaitCount(1, Duration.ofMinutes(2), out);
            sendTraffic(producer, "w", config.warmUp(), lastAckNanos);
            // Read from the topics' start: the timed part counts on from the warm-up's examples.
            int before = 1 + config.warmUp();
            examples.awaitCount(before, Duration.ofMinutes(5), out);
            out.printf("pipeline warm (%,d requests mined); pushing traffic ...%n", before);
            // Both topics are read while the traffic is sent: a reader started afterwards would
            // count the send time as latency, which then grows with the length of the run.
            List<Double> latencies = java.util.Collections.synchronizedList(new ArrayList<>());
            long[] lastExample = {0};
            // Own threads: the common pool has one worker on two cores, and would read the topics in turn.
            java.util.concurrent.ExecutorService readers = java.util.concurrent.Executors.newFixedThreadPool(2);
            long start = System.nanoTime();
            CompletableFuture<Long> episodesRead = CompletableFuture.supplyAsync(
                () -> episodes.collectUntil(before + config.requests(), Duration.ofMinutes(10), key -> {}, out, "episodes"), readers);
            CompletableFuture<Long> examplesRead = CompletableFuture.supplyAsync(
                () -> examples.collectUntil(before + config.requests(), Duration.ofMinutes(10), key -> {
                  Long ack = lastAckNanos.get(key);
                  long now = System.nanoTime();
                  if (ack != null && key.startsWith("b")) latencies.add((now - ack) / 1e6);
                  lastExample[0] = now;
                }, out, "examples"), readers);
            sendTraffic(producer, "b", config.requests(), lastAckNanos);
            double sendSeconds = (System.nanoTime() - start) / 1e9;
            out.printf("sent %d events in %.1f s%n", 4L * config.requests(), sendSeconds);
            long lastEpisode = episodesRead.get();
            examplesRead.get();
            readers.shutdown();
            double episodesPerSecond = config.requests() / ((lastEpisode - start) / 1e9);
            double examplesPerSecond = config.requests() / ((lastExample[0] - start) / 1e9);
            double[] sorted = latencies.stream().mapToDouble(Double::doubleValue).sorted().toArray();
            dead = KafkaAccess.readAll(KafkaSettings.of(bootstrap), TOPICS.deadLetters().name(), v -> {});
            endToEnd = new double[] {episodesPerSecond, examplesPerSecond, percentile(sorted, 0.50), percentile(sorted, 0.99)};
          } finally {
            job.cancel().get();
          }
        }
        double alone = mineAlone(bootstrap, producer, new MiningJobConfig(mining.kafka(), ALONE, ALONE, mining.groupId() + "-alone",
            mining.checkpointInterval(), mining.parallelism(), mining.rules(), null), out);
        dead += KafkaAccess.readAll(KafkaSettings.of(bootstrap), ALONE.deadLetters().name(), v -> {});
        Result result = new Result(ceiling[0], ceiling[1], endToEnd[0], endToEnd[1], endToEnd[2], endToEnd[3], alone, dead);
        print(result, out);
        return result;
      }
    }
  }

  /**
   * Starts a second mining job on the {@link #ALONE} topics, waits for it to read the corpus, warms
   * it with the warm-up episode, then re-sends the other episodes the assembler made as one burst;
   * returns examples/s from the first send to the last example read.
   */
  private double mineAlone(String bootstrap, KafkaProducer<byte[], byte[]> producer, MiningJobConfig alone, PrintStream out) throws Exception {
    List<org.apache.kafka.clients.consumer.ConsumerRecord<byte[], byte[]>> episodes = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(KafkaSettings.of(bootstrap).consumer("bench-copy"), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partition = List.of(new TopicPartition(TOPICS.episodes().name(), 0));
      consumer.assign(partition);
      consumer.seekToBeginning(partition);
      KafkaAccess.readToEnd(consumer, partition, Duration.ofMinutes(2), episodes::add);
    }
    var warmUp = episodes.stream().filter(r -> "warm-up".equals(new String(r.key(), StandardCharsets.UTF_8))).findFirst().orElseThrow();
    var job = new PreferenceMiningJob(alone).startLocal(config.workDir().resolve("alone-checkpoints"), dev.attune.streams.Restarts.defaults(), null,
        config.stateStore());
    try {
      awaitCorpusRead(bootstrap, alone.groupId(), ALONE.corpus().name(), out);
      Tail examples = new Tail(bootstrap, ALONE.trainingExamples().name());
      producer.send(new ProducerRecord<>(ALONE.episodes().name(), warmUp.key(), warmUp.value()));
      producer.flush();
      examples.awaitCount(1, Duration.ofMinutes(2), out);
      out.printf("the miner alone: warm; re-sending %,d episodes as one burst ...%n", episodes.size() - 1);
      long start = System.nanoTime();
      for (var r : episodes) {
        if (r != warmUp) producer.send(new ProducerRecord<>(ALONE.episodes().name(), r.key(), r.value()));
      }
      producer.flush();
      long last = examples.collectUntil(episodes.size(), Duration.ofMinutes(10), key -> {}, out, "examples (miner alone)");
      return (episodes.size() - 1) / ((last - start) / 1e9);
    } finally {
      job.cancel().get();
    }
  }

  /**
   * Waits until the mining job has read (and checkpointed) the whole corpus topic, so the timed
   * traffic does not share the machine with loading the corpus into state.
   */
  private static void awaitCorpusRead(String bootstrap, String jobGroupId, String corpusTopic, PrintStream out) throws Exception {
    TopicPartition partition = new TopicPartition(corpusTopic, 0);
    try (Admin admin = Admin.create(KafkaSettings.of(bootstrap).common("bench-admin"))) {
      long end = admin.listOffsets(Map.of(partition, OffsetSpec.latest())).partitionResult(partition).get().offset();
      long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
      while (true) {
        var committed = admin.listConsumerGroupOffsets(jobGroupId + "-corpus").partitionsToOffsetAndMetadata().get().get(partition);
        if (committed != null && committed.offset() >= end) break;
        if (System.nanoTime() > deadline) throw new IllegalStateException("the mining job did not read the corpus's " + end + " records within 10 minutes");
        // The job commits its read position at checkpoints: poll at a fraction of the interval.
        LockSupport.parkNanos(200_000_000L);
      }
      out.printf("corpus in the job's state: %,d records%n", end);
    }
  }

  private static void print(Result r, PrintStream out) {
    out.println();
    out.println("| measure | value |");
    out.println("|---|---|");
    out.printf("| raw broker produce→consume (ceiling) | %,.0f records/s (%.1f MB/s) |%n", r.rawRecordsPerSecond(), r.rawMbPerSecond());
    out.printf("| episodes/s end to end (assembler) | %,.0f |%n", r.episodesPerSecond());
    out.printf("| examples/s end to end (assembler + miner) | %,.0f |%n", r.examplesPerSecond());
    out.printf("| latency last input event → example, p50 | %,.0f ms |%n", r.p50Ms());
    out.printf("| latency last input event → example, p99 | %,.0f ms |%n", r.p99Ms());
    out.printf("| examples/s, the miner alone (the episodes re-sent as one burst) | %,.0f |%n", r.minerAloneExamplesPerSecond());
    out.printf("| dead letters | %d |%n", r.deadLetters());
  }

  private static double percentile(double[] sorted, double q) {
    if (sorted.length == 0) return Double.NaN;
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)];
  }

  /** Produces and consumes as many retrieval-sized records as the run will push events; returns records/s and MB/s. */
  private double[] rawCeiling(String bootstrap, KafkaProducer<byte[], byte[]> producer, String topic, PrintStream out) {
    byte[] value = AvroCodec.of(RetrievalEvent.class).encode(retrieval("raw-0000000"));
    // Enough records that consumer start-up does not dominate.
    int n = Math.max(200_000, 4 * config.requests());
    long start = System.nanoTime();
    for (int i = 0; i < n; i++) producer.send(new ProducerRecord<>(topic, ("raw-" + i).getBytes(StandardCharsets.UTF_8), value));
    producer.flush();
    long read = new Tail(bootstrap, topic).collectUntil(n, Duration.ofMinutes(5), key -> {}, out, "raw records");
    double seconds = (read - start) / 1e9;
    return new double[] {n / seconds, (double) n * value.length / seconds / 1e6};
  }

  private static KafkaProducer<byte[], byte[]> producer(String bootstrap) {
    Properties props = KafkaSettings.of(bootstrap).common("bench");
    props.put("linger.ms", 5);
    props.put("batch.size", 256 * 1024);
    return new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
  }

  /**
   * The bundled SQuAD passages' titles and texts, cycled up to the corpus size: examples carry their
   * passages' texts, so their size and how well they compress should be real text's.
   */
  private void publishCorpus(KafkaProducer<byte[], byte[]> producer) throws java.io.IOException {
    AvroCodec<PassageEvent> codec = AvroCodec.of(PassageEvent.class);
    List<Corpus.Passage> squad = BeirDataset.bundled().corpus().passages();
    for (int i = 0; i < config.corpusSize(); i++) {
      Corpus.Passage text = squad.get(i % squad.size());
      PassageEvent p = PassageEvent.newBuilder().setPassageId("p" + i).setOp(PassageOp.UPSERT).setTitle(text.title())
          .setText(text.text()).setTimestampMs(System.currentTimeMillis()).build();
      byte[] value = codec.encode(p);
      producer.send(new ProducerRecord<>(TOPICS.corpus().name(), ("p" + i).getBytes(StandardCharsets.UTF_8), value));
      producer.send(new ProducerRecord<>(ALONE.corpus().name(), ("p" + i).getBytes(StandardCharsets.UTF_8), value));
    }
    producer.flush();
  }

  private List<String> candidateIds(String requestId) {
    SplittableRandom random = new SplittableRandom(requestId.hashCode());
    return Arrays.stream(random.ints(0, config.corpusSize()).distinct().limit(config.candidates()).toArray())
        .mapToObj(i -> "p" + i).toList();
  }

  private RetrievalEvent retrieval(String id) {
    List<RankedPassage> ranked = new ArrayList<>();
    List<String> ids = candidateIds(id);
    for (int r = 0; r < ids.size(); r++) ranked.add(new RankedPassage(ids.get(r), r + 1, 1f - r * 0.01f));
    return RetrievalEvent.newBuilder().setEventId("r-" + id).setRequestId(id).setTimestampMs(System.currentTimeMillis())
        .setRetrieverVersion("retriever-v0").setIndexVersion("retriever-v0").setCandidates(ranked).build();
  }

  /** Sends {@code count} requests with ids {@code prefix0, prefix1, ...}: as one burst, or at the configured rate. */
  private void sendTraffic(KafkaProducer<byte[], byte[]> producer, String prefix, int count, Map<String, Long> lastAckNanos) {
    long start = System.nanoTime();
    for (int i = 0; i < count; i++) {
      if (config.rate() > 0) {
        long due = start + (long) (i * 1e9 / config.rate());
        while (System.nanoTime() < due) LockSupport.parkNanos(due - System.nanoTime());
      }
      sendRequest(producer, prefix + i, lastAckNanos);
      if (config.rate() > 0) producer.flush();
    }
    producer.flush();
  }

  private void sendRequest(KafkaProducer<byte[], byte[]> producer, String id, Map<String, Long> lastAckNanos) {
    long now = System.currentTimeMillis();
    List<String> ids = candidateIds(id);
    List<PassageScore> scores = new ArrayList<>();
    SplittableRandom random = new SplittableRandom(id.hashCode() * 31L);
    for (String p : ids) scores.add(new PassageScore(p, -random.nextDouble(0.1, 8)));
    send(producer, TOPICS.queries(), id, QueryEvent.newBuilder().setEventId("q-" + id).setRequestId(id).setTimestampMs(now)
        .setTask("qa").setQuery("synthetic question " + id).setRetrieverVersion("retriever-v0").setIndexVersion("retriever-v0").build(), null);
    send(producer, TOPICS.retrievals(), id, retrieval(id), null);
    send(producer, TOPICS.llmFeedback(), id, LlmFeedbackEvent.newBuilder().setEventId("l-" + id).setRequestId(id).setTimestampMs(now)
        .setLlmId("synthetic-llm").setSignalKind(SignalKind.ANSWER_LOG_LIKELIHOOD).setPassageScores(scores).build(), null);
    send(producer, TOPICS.humanFeedback(), id, HumanFeedbackEvent.newBuilder().setEventId("h-" + id).setRequestId(id).setTimestampMs(now)
        .setRelevantPassageIds(List.of(ids.get(0))).build(), () -> lastAckNanos.put(id, System.nanoTime()));
  }

  @SuppressWarnings("unchecked")
  private static <T extends SpecificRecord> void send(
      KafkaProducer<byte[], byte[]> producer, Topic<T> topic, String key, SpecificRecord value, Runnable onAck) {
    producer.send(new ProducerRecord<>(topic.name(), key.getBytes(StandardCharsets.UTF_8), AvroCodec.of(topic.valueType()).encode((T) value)),
        (metadata, error) -> {
          if (error == null && onAck != null) onAck.run();
        });
  }

  /** Reads one topic's committed records from its start. */
  private static final class Tail {
    private final String bootstrap;
    private final String topic;

    Tail(String bootstrap, String topic) {
      this.bootstrap = bootstrap;
      this.topic = topic;
    }

    void awaitCount(int n, Duration timeout, PrintStream out) {
      collectUntil(n, timeout, key -> {}, out, topic);
    }

    /** Calls {@code each} with every record's key until {@code n} were read; returns the nano time of the n-th. */
    long collectUntil(int n, Duration timeout, java.util.function.Consumer<String> each, PrintStream out, String what) {
      Properties props = KafkaSettings.of(bootstrap).consumer("bench-tail");
      props.put("max.poll.records", 5000);
      try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
        TopicPartition partition = new TopicPartition(topic, 0);
        consumer.assign(List.of(partition));
        consumer.seekToBeginning(List.of(partition));
        int read = 0;
        long last = System.nanoTime();
        long deadline = last + timeout.toNanos();
        long nextReport = last + 2_000_000_000L;
        while (read < n) {
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException("only " + read + " of " + n + " " + what + " arrived within " + timeout);
          }
          for (var r : consumer.poll(Duration.ofMillis(50))) {
            each.accept(new String(r.key(), StandardCharsets.UTF_8));
            read++;
            last = System.nanoTime();
          }
          if (System.nanoTime() > nextReport) {
            out.printf("  %s: %,d / %,d%n", what, read, n);
            nextReport += 2_000_000_000L;
          }
        }
        return last;
      }
    }
  }
}
