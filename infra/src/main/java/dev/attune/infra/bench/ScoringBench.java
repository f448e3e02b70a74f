package dev.attune.infra.bench;

import dev.attune.infra.data.BeirDataset;
import dev.attune.serving.Corpus;
import dev.attune.infra.llm.CompletionsServer;
import dev.attune.infra.llm.EndpointFaults;
import dev.attune.infra.replay.UnigramLmScorer;
import dev.attune.schemas.AnswerEvent;
import dev.attune.schemas.AvroCodec;
import dev.attune.schemas.KafkaAccess;
import dev.attune.schemas.KafkaSettings;
import dev.attune.schemas.PassageEvent;
import dev.attune.schemas.PassageOp;
import dev.attune.schemas.QueryEvent;
import dev.attune.schemas.RankedPassage;
import dev.attune.schemas.RetrievalEvent;
import dev.attune.schemas.Topic;
import dev.attune.schemas.Topics;
import dev.attune.streams.Restarts;
import dev.attune.streams.scoring.CompletionsClient;
import dev.attune.streams.scoring.ScoringBudget;
import dev.attune.streams.scoring.ScoringConfig;
import dev.attune.streams.scoring.ScoringJob;
import dev.attune.streams.scoring.ScoringJobConfig;
import dev.attune.testkit.EmbeddedKafka;
import dev.attune.trainers.eval.RetrievalMetrics;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.core.execution.JobClient;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The scoring stage's throughput against the local endpoint ({@code attune llm-serve}'s server, in
 * this process), at each concurrency: first the {@link CompletionsClient} called directly with the
 * same pairs, batches and concurrency, then the whole stage (broker → join → corpus lookup → async
 * scoring → exactly-once feedback) on the same requests. Rates are counted where the pairs arrive,
 * at the server, from its first scored pair to the last, so the job's start-up is not in them. The
 * overhead per pair is the stage's time per pair minus the direct call's. SQuAD questions, answers
 * and passages; no cache and no budget, so every pair is sent.
 */
public final class ScoringBench {
  /**
   * @param requests answered requests per run
   * @param candidates retrieved passages per request (pairs per request)
   * @param batch prompts per HTTP request
   * @param concurrencies the HTTP concurrencies to measure
   */
  public record Config(Path workDir, int requests, int candidates, int batch, List<Integer> concurrencies) {}

  /** One concurrency's figures. */
  public record Row(int concurrency, double directPairsPerSecond, double stagePairsPerSecond) {
    public double overheadMsPerPair() {
      return 1000 / stagePairsPerSecond - 1000 / directPairsPerSecond;
    }
  }

  private final Config config;

  public ScoringBench(Config config) {
    this.config = config;
  }

  private record Request(String id, String question, String answer, List<String> passageIds) {}

  public List<Row> run(PrintStream out) throws Exception {
    BeirDataset data = BeirDataset.bundled();
    List<Corpus.Passage> passages = data.corpus().passages();
    UnigramLmScorer model = new UnigramLmScorer(passages.stream().map(Corpus.Passage::text).toList(), UnigramLmScorer.DEFAULT_MU);
    Map<String, String> texts = data.texts();
    List<Request> requests = requests(data.queries(), passages);
    int pairs = config.requests() * config.candidates();
    out.printf("scoring bench: %d answered requests x %d passages = %d pairs per run, batches of %d, against the local endpoint (%s)%n",
        config.requests(), config.candidates(), pairs, config.batch(), CompletionsServer.MODEL);
    List<Row> rows = new ArrayList<>();
    try (EmbeddedKafka kafka = EmbeddedKafka.start(config.workDir().resolve("kafka"));
         CompletionsServer server = new CompletionsServer(model, "127.0.0.1", 0, new EndpointFaults())) {
      // Every run's topics exist, with leaders, before the first record is sent: an idempotent
      // producer's first batch to a partition still electing its leader can wedge on its sequence.
      for (int c : config.concurrencies()) EmbeddedKafka.createTopics(kafka.bootstrapServers(), topics(c).all(), 1, (short) 1);
      try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers", kafka.bootstrapServers(), "linger.ms", 5),
            new ByteArraySerializer(), new ByteArraySerializer())) {
        for (int c : config.concurrencies()) topics(c).all().forEach(t -> producer.partitionsFor(t.name()));
        URI endpoint = URI.create("http://127.0.0.1:" + server.port());
        List<CompletionsClient.Prompt> prompts = new ArrayList<>();
        for (Request r : requests) for (String id : r.passageIds()) prompts.add(new CompletionsClient.Prompt(r.question(), texts.get(id), r.answer()));
        // Untimed: the server tokenises each passage once, so every timed run finds it warm.
        new CompletionsClient(CompletionsClient.Settings.of(endpoint, "warm-up"), null).scoreNow(prompts);
        for (int concurrency : config.concurrencies()) {
          CompletionsClient.Settings settings =
              new CompletionsClient.Settings(endpoint, "stand-in", concurrency, config.batch(), Duration.ofSeconds(30), 3, Duration.ofMillis(200));
          CompletionsClient client = new CompletionsClient(settings, null);
          double direct = timed(server::prompts, pairs, () -> {
            // Request by request, as the stage sends them, all in flight at once up to the concurrency.
            List<java.util.concurrent.CompletableFuture<List<Double>>> all = new ArrayList<>();
            for (int i = 0; i < requests.size(); i++) {
              all.add(client.score(prompts.subList(i * config.candidates(), (i + 1) * config.candidates())));
            }
            all.forEach(java.util.concurrent.CompletableFuture::join);
          });
          double stage = stage(kafka, producer, server, settings, requests, passages, concurrency, out);
          Row row = new Row(concurrency, direct, stage);
          rows.add(row);
          out.printf("  concurrency %2d: direct %,8.0f pairs/s, stage %,8.0f pairs/s, overhead %.3f ms per pair%n",
              concurrency, direct, stage, row.overheadMsPerPair());
        }
      }
    }
    out.println("summary (pairs/s at the endpoint; overhead = stage time per pair - direct time per pair):");
    out.println("  concurrency | direct pairs/s | stage pairs/s | stage/direct | overhead ms/pair");
    for (Row r : rows) {
      out.printf("  %11d | %14.0f | %13.0f | %12.2f | %16.3f%n", r.concurrency(), r.directPairsPerSecond(), r.stagePairsPerSecond(),
          r.stagePairsPerSecond() / r.directPairsPerSecond(), r.overheadMsPerPair());
    }
    return rows;
  }

  private double stage(EmbeddedKafka kafka, KafkaProducer<byte[], byte[]> producer, CompletionsServer server, CompletionsClient.Settings settings,
      List<Request> requests, List<Corpus.Passage> passages, int concurrency, PrintStream out) throws Exception {
    Topics topics = topics(concurrency);
    for (Corpus.Passage p : passages) {
      send(producer, topics.corpus(), p.id(), PassageEvent.newBuilder().setPassageId(p.id()).setOp(PassageOp.UPSERT).setTitle(p.title())
          .setText(p.text()).setTimestampMs(0).build());
    }
    for (Request r : requests) {
      send(producer, topics.queries(), r.id(), QueryEvent.newBuilder().setEventId("q-" + r.id()).setRequestId(r.id()).setTimestampMs(0)
          .setTask("qa").setQuery(r.question()).setRetrieverVersion("bench").setIndexVersion("bench").build());
      List<RankedPassage> ranked = new ArrayList<>();
      for (int i = 0; i < r.passageIds().size(); i++) ranked.add(new RankedPassage(r.passageIds().get(i), i + 1, 0.9f - 0.01f * i));
      send(producer, topics.retrievals(), r.id(), RetrievalEvent.newBuilder().setEventId("r-" + r.id()).setRequestId(r.id()).setTimestampMs(0)
          .setRetrieverVersion("bench").setIndexVersion("bench").setCandidates(ranked).build());
      send(producer, topics.answers(), r.id(), AnswerEvent.newBuilder().setEventId("a-" + r.id()).setRequestId(r.id()).setTimestampMs(0)
          .setAnswer(r.answer()).build());
    }
    producer.flush();
    ScoringConfig scoring = ScoringConfig.of(settings).withBudget(ScoringBudget.unlimited().withCache(0, 0));
    ScoringJobConfig job = new ScoringJobConfig(KafkaSettings.of(kafka.bootstrapServers()), topics, "bench-scoring-c" + concurrency,
        Duration.ofSeconds(1), 1, scoring);
    long before = server.prompts();
    JobClient client = new ScoringJob(job).startLocal(config.workDir().resolve("checkpoints-c" + concurrency), Restarts.defaults());
    try {
      double rate = timed(() -> server.prompts() - before, (long) requests.size() * config.candidates(), () -> { });
      // The last pairs' feedback commits with the next checkpoint.
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
      int feedback;
      do {
        feedback = KafkaAccess.readAll(KafkaSettings.of(kafka.bootstrapServers()), topics.llmFeedback().name(), v -> { });
      } while (feedback < requests.size() && System.nanoTime() < deadline);
      out.printf("    stage run: %d feedback events committed for %d answers%n", feedback, requests.size());
      return rate;
    } finally {
      client.cancel().get();
    }
  }

  private static Topics topics(int concurrency) {
    return Topics.withPrefix("bench-scoring-c" + concurrency + ".");
  }

  /**
   * Runs {@code work}, then waits until {@code counter} reaches {@code target}; returns the counter's
   * rate between its first move and its reaching the target, sampled every 5 ms.
   */
  private static double timed(LongSupplier counter, long target, Runnable work) throws InterruptedException {
    long start = counter.getAsLong();
    long[] first = {0};
    long[] last = {0};
    CountDownLatch done = new CountDownLatch(1);
    ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor();
    sampler.scheduleAtFixedRate(() -> {
      long n = counter.getAsLong() - start;
      long now = System.nanoTime();
      if (n > 0 && first[0] == 0) first[0] = now;
      if (n >= target && last[0] == 0) {
        last[0] = now;
        done.countDown();
      }
    }, 0, 5, TimeUnit.MILLISECONDS);
    try {
      work.run();
      if (!done.await(10, TimeUnit.MINUTES)) throw new IllegalStateException("only " + (counter.getAsLong() - start) + " of " + target + " pairs in 10 min");
    } finally {
      sampler.shutdownNow();
    }
    return target / Math.max(1e-9, (last[0] - first[0]) / 1e9);
  }

  private List<Request> requests(List<RetrievalMetrics.Judged> queries, List<Corpus.Passage> passages) {
    SplittableRandom random = new SplittableRandom(7);
    List<Request> out = new ArrayList<>();
    for (int i = 0; i < config.requests(); i++) {
      RetrievalMetrics.Judged q = queries.get(i % queries.size());
      List<String> ids = new ArrayList<>(q.relevant());
      while (ids.size() < config.candidates()) {
        String id = passages.get(random.nextInt(passages.size())).id();
        if (!ids.contains(id)) ids.add(id);
      }
      out.add(new Request("bench-" + i, q.text(), q.answers().isEmpty() ? "unknown" : q.answers().get(0), ids.subList(0, config.candidates())));
    }
    return out;
  }

  @SuppressWarnings("unchecked")
  private static <T extends SpecificRecord> void send(KafkaProducer<byte[], byte[]> producer, Topic<T> topic, String key, SpecificRecord value) {
    producer.send(new ProducerRecord<>(topic.name(), key.getBytes(StandardCharsets.UTF_8), AvroCodec.of(topic.valueType()).encode((T) value)));
  }
}
