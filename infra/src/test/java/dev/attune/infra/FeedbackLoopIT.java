package dev.attune.infra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.attune.infra.data.BeirDataset;
import dev.attune.infra.demo.DemoConfig;
import dev.attune.infra.demo.LocalStack;
import dev.attune.testkit.StageCounts;
import dev.attune.infra.replay.Replayer;
import dev.attune.infra.replay.UnigramLmScorer;
import dev.attune.schemas.AvroCodec;
import dev.attune.schemas.DeadLetter;
import dev.attune.schemas.ModelStatus;
import dev.attune.schemas.ModelVersion;
import dev.attune.schemas.Topic;
import dev.attune.schemas.Topics;
import dev.attune.serving.Corpus;
import dev.attune.models.encoder.Progress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole loop on the real embedded broker, Kafka Streams, Flink MiniClusters, DJL and Lucene,
 * with a tiny model budget and one SQuAD article: traffic (questions and their answers) in, the
 * LLM's likelihoods computed by the scoring stage through the stand-in's completions endpoint, a
 * model trained, decided, swapped in, every event accounted for, and malformed bytes on every input
 * topic dead-lettered. Then the operator's console shows that round in a real browser.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FeedbackLoopIT {
  @TempDir static Path work;
  private DemoConfig config;
  private LocalStack stack;
  private List<dev.attune.trainers.eval.RetrievalMetrics.Judged> traffic;
  private List<Topic<?>> poisoned;

  @BeforeAll
  void run_a_round() throws Exception {
    config = DemoConfig.tiny(work);
    BeirDataset data = BeirDataset.bundled().firstArticles(config.articles());
    traffic = data.queries().subList(0, config.replayQueries());
    var reference = data.queries().subList(config.replayQueries(), config.replayQueries() + config.referenceQueries());
    var scorer = new UnigramLmScorer(data.corpus().passages().stream().map(Corpus.Passage::text).toList(), UnigramLmScorer.DEFAULT_MU);
    stack = new LocalStack(config);
    stack.start(data.corpus(), reference, null, scorer, swap -> {});
    Topics topics = stack.topics();
    poisoned = List.of(topics.queries(), topics.retrievals(), topics.llmFeedback(), topics.humanFeedback(), topics.corpus(), topics.episodes(),
        topics.answers());
    injectPoison(stack.bootstrapServers(), poisoned);

    // Answers only: the scoring stage computes the LLM's likelihoods through the stand-in's endpoint.
    // Two questions in flight, as the demo replays: every event must still be accounted for once.
    Replayer.Summary replay = Replayer.answering(stack.serviceUri(), stack.adminToken(), scorer.llmId(), config.k())
        .withConcurrency(2).replay(traffic, Progress.silent());
    assertThat(replay.failures()).isZero();

    await().atMost(Duration.ofMinutes(8)).pollInterval(Duration.ofSeconds(1))
        .until(() -> !stack.decisions().isEmpty() && stack.swaps().size() >= 2);
  }

  @AfterAll
  void stop() throws Exception {
    if (stack != null) stack.close();
  }

  @Test
  @Order(1)
  void train_promote_and_swap_while_accounting_for_every_event() throws Exception {
    Topics topics = stack.topics();
    ModelVersion decision = stack.decisions().get(0);
    assertThat(decision.getStatus()).isEqualTo(ModelStatus.PROMOTED);
    assertThat(decision.getTrainingSteps()).isGreaterThanOrEqualTo(config.training().maxSteps());
    assertThat(decision.getMetrics()).containsKeys("heldout.ndcg@10", "serving.heldout.ndcg@10", "heldout.llm_utility@5",
        "serving.heldout.llm_utility@5", "heldout.llm_scored@5", "reference.ndcg@10", "reference.answer_recall@5");
    assertThat(decision.getMetrics().get("heldout.llm_scored@5")).as("the judge scored what the candidate ranked").isEqualTo(1.0);
    assertThat(decision.getIndexVersion()).as("a query-side round: the base's index is kept").isZero();
    assertThat(decision.getLineage()).singleElement().satisfies(range -> {
      assertThat(range.getTopic()).isEqualTo(stack.topics().trainingExamples().name());
      assertThat(range.getFromOffset()).isZero();
      assertThat(range.getUntilOffset()).isGreaterThanOrEqualTo(decision.getTrainingExamples());
    });
    assertThat(decision.getReason()).contains("held-out LLM utility@5").contains("reference set:");
    assertThat(stack.service().current().modelVersion()).isEqualTo("retriever-v1");
    assertThat(stack.service().search("Which NFL team won Super Bowl 50?", "qa", 3).modelVersion()).isEqualTo("retriever-v1");

    await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
      StageCounts counts = StageCounts.read(stack.kafka(), topics);
      assertThat(counts.records().get(topics.answers().name())).isEqualTo(traffic.size() + 1L);
      assertThat(counts.scoredAnswers()).as("the stage scored every answer").isEqualTo(traffic.size());
      assertThat(counts.scorerBalanced(topics)).as("answers = scored + dead letters: %s", counts).isTrue();
      assertThat(counts.assemblerInputs(topics)).isEqualTo(4L * traffic.size() + 4);
      assertThat(counts.assemblerBalanced(topics)).as("assembler in = episodes + dead letters: %s", counts).isTrue();
      assertThat(counts.minerBalanced(topics)).as("miner in = examples + dead letters: %s", counts).isTrue();
      assertThat(counts.records().get(topics.trainingExamples().name())).isGreaterThanOrEqualTo(config.triggerExamples());
      assertThat(counts.minerCorpusDeadLetters()).isEqualTo(1);
    });
    assertThat(deadLetterSources(stack.bootstrapServers(), topics))
        .containsAll(poisoned.stream().map(Topic::name).toList());
  }

  /**
   * Each view of the console, in headless chromium, shows this round: the dead letters the test
   * injected, the decision with its figures, the swap; promote and rollback are refused without the
   * admin token, and a confirmed rollback reaches serving through the model log. Screenshots of
   * each view land in {@code target/console-screenshots/}.
   */
  @Test
  @Order(2)
  void the_console_shows_the_round_in_a_real_browser() throws Exception {
    ConsoleBrowser.assumeInstalled();
    Path shots = Path.of("target", "console-screenshots");
    try (ConsoleBrowser browser = new ConsoleBrowser(stack.consoleUri(), work.resolve("chromium-profile"))) {
      await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
        browser.open("/flow");
        String deadLetters = browser.text("#latest-dead-letters");
        for (Topic<?> t : poisoned) assertThat(deadLetters).as("a dead letter from %s", t.name()).contains(t.name());
        assertThat(browser.text("#dead-letters")).contains("assembler", "miner", "scorer");
        assertThat(browser.count("#dead-letter-reasons rect")).isGreaterThanOrEqualTo(3);
        assertThat(browser.text("#topics")).contains(stack.topics().trainingExamples().name());
      });
      browser.screenshot(shots.resolve("flow.png"));

      await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(2)).untilAsserted(() -> {
        browser.open("/signal");
        assertThat(browser.count("#windows tr")).as("a header and at least one window").isGreaterThanOrEqualTo(2);
        assertThat(browser.text("#per-llm")).contains("unigram-lm-dirichlet");
      });
      browser.screenshot(shots.resolve("signal.png"));

      browser.open("/decisions");
      ModelVersion decision = stack.decisions().get(0);
      assertThat(browser.text("#served")).contains("retriever-v1");
      assertThat(browser.text("#decisions")).contains("retriever-v1", "PROMOTED", "held-out LLM utility@5",
          String.format(java.util.Locale.ROOT, "heldout.llm_utility@5 %.4f vs %.4f", decision.getMetrics().get("heldout.llm_utility@5"),
              decision.getMetrics().get("serving.heldout.llm_utility@5")));
      assertThat(browser.count("#decision-heldout-llm-utility-5 circle")).as("candidate and serving").isEqualTo(2);
      assertThat(browser.count("#decision-heldout-ndcg-10 circle")).as("candidate and serving").isEqualTo(2);
      browser.screenshot(shots.resolve("decisions.png"));

      browser.open("/serving");
      assertThat(browser.text("#version")).contains("retriever-v1");
      assertThat(browser.text("#swaps")).contains("QUERY_ENCODER", "INITIAL");
      assertThat(browser.count("#swap-timeline circle")).isGreaterThanOrEqualTo(2);
      browser.screenshot(shots.resolve("serving.png"));

      // Refused without the token and with a wrong one; nothing reaches the model log.
      browser.open("/decisions");
      browser.find("#rollback button").click();
      assertThat(browser.text("#outcome")).contains("the admin token is required");
      browser.open("/decisions");
      browser.find("#promote input[name=version]").sendKeys("1");
      browser.find("#promote input[name=token]").sendKeys("not-the-token");
      browser.find("#promote button").click();
      assertThat(browser.text("#outcome")).contains("invalid admin token");
      browser.screenshot(shots.resolve("refused.png"));
      assertThat(stack.service().current().modelVersion()).isEqualTo("retriever-v1");

      // With the token: a confirmation first, then the decision, which serving obeys.
      browser.open("/decisions");
      browser.find("#rollback input[name=token]").sendKeys(stack.adminToken());
      browser.find("#rollback button").click();
      assertThat(browser.text("#confirm-question")).contains("rollback: retriever-v1 → retriever-v0");
      browser.screenshot(shots.resolve("confirm.png"));
      assertThat(stack.service().current().modelVersion()).as("nothing changes before the confirmation").isEqualTo("retriever-v1");
      browser.find("#confirm button").click();
      assertThat(browser.text("#outcome")).contains("published");
      await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
        browser.open("/serving");
        assertThat(browser.text("#version")).contains("retriever-v0");
      });
      assertThat(stack.service().current().modelVersion()).isEqualTo("retriever-v0");
    }
  }

  private static void injectPoison(String bootstrap, List<Topic<?>> topics) {
    try (var producer = new KafkaProducer<byte[], byte[]>(Map.of("bootstrap.servers", bootstrap), new ByteArraySerializer(), new ByteArraySerializer())) {
      for (Topic<?> t : topics) {
        producer.send(new ProducerRecord<>(t.name(), "poison".getBytes(), new byte[] {(byte) 0xC3, 0x01, 7, 7, 7}));
      }
      producer.flush();
    }
  }

  private static Set<String> deadLetterSources(String bootstrap, Topics topics) {
    Properties props = new Properties();
    props.put("bootstrap.servers", bootstrap);
    props.put("isolation.level", "read_committed");
    props.put("auto.offset.reset", "earliest");
    props.put("group.id", "it-dead-letters");
    Set<String> sources = new HashSet<>();
    var codec = AvroCodec.of(DeadLetter.class);
    try (var consumer = new KafkaConsumer<byte[], byte[]>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(topics.deadLetters().name()));
      await().atMost(Duration.ofSeconds(30)).until(() -> {
        consumer.poll(Duration.ofMillis(500)).forEach(r -> {
          DeadLetter d = codec.decode(r.value());
          assertThat(d.getReason()).isNotBlank();
          sources.add(d.getSourceTopic());
        });
        return sources.size() >= 7;
      });
    }
    return sources;
  }
}
