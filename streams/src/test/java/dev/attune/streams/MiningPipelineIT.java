package dev.attune.streams;

import dev.attune.streams.mining.Backfill;
import dev.attune.streams.mining.rules.MiningConfig;
import dev.attune.streams.mining.MiningJobConfig;
import dev.attune.streams.mining.rules.NegativeRules;
import dev.attune.streams.mining.rules.RankRange;
import dev.attune.streams.mining.OffsetSpec;
import dev.attune.streams.mining.PreferenceMiningJob;
import dev.attune.schemas.KafkaAccess;
import dev.attune.schemas.KafkaSettings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.attune.testkit.StageCounts;
import dev.attune.testkit.EmbeddedKafka;
import dev.attune.schemas.AvroCodec;
import dev.attune.schemas.DeadLetter;
import dev.attune.schemas.EpisodeCandidate;
import dev.attune.schemas.FeedbackEpisode;
import dev.attune.schemas.Limits;
import dev.attune.schemas.DeadLetterReason;
import dev.attune.schemas.HumanFeedbackEvent;
import dev.attune.schemas.LlmFeedbackEvent;
import dev.attune.schemas.PassageEvent;
import dev.attune.schemas.PassageOp;
import dev.attune.schemas.PassageScore;
import dev.attune.schemas.PreferenceStats;
import dev.attune.schemas.QueryEvent;
import dev.attune.schemas.RankedPassage;
import dev.attune.schemas.RetrievalEvent;
import dev.attune.schemas.SignalKind;
import dev.attune.schemas.SilverSequence;
import dev.attune.schemas.TeacherDistribution;
import dev.attune.schemas.Topic;
import dev.attune.schemas.Topics;
import dev.attune.schemas.TrainingExample;
import dev.attune.streams.assembler.AssemblerConfig;
import dev.attune.streams.assembler.EpisodeAssembler;
import dev.attune.streams.Restarts;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Assembler and mining job on the real embedded broker and a Flink MiniCluster: good traffic with
 * repeats and duplicates, one bad input of every kind, a late event, a deleted passage and an
 * unknown one. Every record is accounted for, with the right reason code; each request yields one
 * example; silver sequences, teacher distributions and statistics come out; then a bounded backfill
 * with changed rules rebuilds the examples from the episodes' history and finishes.
 */
class MiningPipelineIT {
  private static final Topics TOPICS = Topics.withPrefix("it.");
  private static final long T0 = System.currentTimeMillis();
  private static final int REQUESTS = 12;
  /** Valid requests sent after every bad input: each stage must still process them. */
  private static final List<String> AFTER = List.of("after-0", "after-1", "after-2");
  /** Episodes written straight to the episodes topic, each breaking the contract (a foreign producer). */
  private static final int FOREIGN_EPISODES = 4;
  /** Small limits, so a few events reach them: 32 KiB events, 64 KiB records, 8 Ki-character passages. */
  private static final Limits LIMITS = new Limits(32 * 1024, 64 * 1024, 2_000, 8_192, 1_000);
  @TempDir Path work;

  @Test
  void mine_every_signal_exactly_once_and_account_for_every_bad_input() throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.start(work.resolve("kafka"))) {
      String bootstrap = kafka.bootstrapServers();
      try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
        // Lets an oversized event reach the assembler, which must dead-letter it, not choke on it.
        admin.createTopics(List.of(new NewTopic(TOPICS.queries().name(), 1, (short) 1)
            .configs(Map.of("max.message.bytes", String.valueOf(3 << 20))))).all().get();
      }
      EmbeddedKafka.createTopics(bootstrap, TOPICS.all(), 1, (short) 1);
      try (KafkaProducer<byte[], byte[]> producer = producer(bootstrap)) {
        publishCorpus(producer);
        AssemblerConfig assemblerConfig = AssemblerConfig.defaults(KafkaSettings.of(bootstrap), work.resolve("streams"))
            .withTopics(TOPICS).withWindow(Duration.ofSeconds(3), Duration.ofSeconds(1))
            // Two LLMs score some requests: wait for the window so both joins, rather than close at the first.
            .withCloseWhenComplete(false)
            .withLimits(LIMITS);
        MiningConfig rules = MiningConfig.defaults().withPassageWaitMs(3_000).withWindows(2_000, 2_000).withLimits(LIMITS);
        MiningJobConfig jobConfig = MiningJobConfig.defaults(KafkaSettings.of(bootstrap)).withTopics(TOPICS).withRules(rules);
        try (KafkaStreams assembler = EpisodeAssembler.start(assemblerConfig, Duration.ofMinutes(1), failure -> { })) {
          var job = new PreferenceMiningJob(jobConfig).startLocal(work.resolve("mining-checkpoints"), Restarts.defaults());
          try {
            for (int i = 0; i < REQUESTS; i++) sendRequest(producer, "r" + i, i % 2 == 0, List.of());
            sendRequest(producer, "r-unknown", false, List.of("p404"));
            sendRequest(producer, "r-deleted", false, List.of("p8"));
            Map<String, String> expected = sendBadInputs(producer, bootstrap);
            for (String id : AFTER) sendRequest(producer, id, false, List.of());
            producer.flush();

            await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
              StageCounts counts = StageCounts.read(KafkaSettings.of(bootstrap), TOPICS);
              assertThat(counts.assemblerBalanced(TOPICS)).as("assembler in = events in episodes + dead letters: %s", counts).isTrue();
              assertThat(counts.minerBalanced(TOPICS)).as("miner in = examples + dead letters: %s", counts).isTrue();
              assertThat(counts.records().get(TOPICS.episodes().name()))
                  .as("r*, r-unknown, r-deleted, big, after-*, foreign").isEqualTo(REQUESTS + 2L + 1 + AFTER.size() + FOREIGN_EPISODES);
              assertThat(counts.records().get(TOPICS.preferenceStats().name())).isPositive();
            });

            Map<String, String> reasons = deadLetterReasonsByKey(bootstrap);
            expected.forEach((key, reason) -> assertThat(reasons).as("dead letter of %s", key).containsEntry(key, reason));
            assertThat(reasons).containsEntry("r-unknown", DeadLetterReason.UNKNOWN_PASSAGE);
            assertThat(read(bootstrap, TOPICS.deadLetters())).filteredOn(d -> d.getKey() == null)
                .as("one keyless record on queries and episodes each").hasSize(2)
                .allSatisfy(d -> {
                  assertThat(d.getReason()).isEqualTo(DeadLetterReason.KEY_MISMATCH);
                  assertThat(d.getDetail()).contains("no key");
                });

            List<TrainingExample> examples = read(bootstrap, TOPICS.trainingExamples());
            assertThat(examples).extracting(TrainingExample::getExampleId).doesNotHaveDuplicates()
                .hasSize(REQUESTS + 1 + 1 + AFTER.size()).contains("big").containsAll(AFTER);
            TrainingExample deleted = examples.stream().filter(e -> e.getExampleId().equals("r-deleted")).findFirst().orElseThrow();
            assertThat(deleted.getCandidates()).extracting(c -> c.getPassageId()).doesNotContain("p8");
            assertThat(examples).allSatisfy(e -> {
              assertThat(e.getPositives()).containsExactly("p1", "p3");
              assertThat(e.getHardNegatives()).hasSize(4).doesNotContain("p2");
              assertThat(e.getSampledNegatives()).doesNotContain("p2");
            });

            List<SilverSequence> silver = read(bootstrap, TOPICS.silverSequences());
            assertThat(silver).extracting(SilverSequence::getSequenceId).doesNotHaveDuplicates();
            assertThat(silver).isNotEmpty().allSatisfy(s -> assertThat(s.getUtility()).isGreaterThanOrEqualTo(s.getStepUtilities().get(0)));

            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
              Map<String, Integer> episodesPerLlm = new HashMap<>();
              for (TeacherDistribution d : read(bootstrap, TOPICS.teacherDistributions())) {
                episodesPerLlm.merge(d.getLlmId(), d.getEpisodes(), Integer::sum);
                // Texts attached from the corpus when the window closed; the deleted p8 is in none.
                assertThat(d.getCandidates()).isNotEmpty().allSatisfy(c ->
                    assertThat(c.getText()).startsWith("Passage " + c.getPassageId().substring(1) + " "));
              }
              // Every request asks the same question: its scores aggregate per LLM, never across LLMs.
              assertThat(episodesPerLlm).containsEntry("llm-a", REQUESTS + 1 + 1 + AFTER.size()).containsEntry("llm-b", REQUESTS / 2);
            });
            long statsEpisodes = read(bootstrap, TOPICS.preferenceStats()).stream().mapToLong(PreferenceStats::getEpisodes).sum();
            assertThat(statsEpisodes).isEqualTo(examples.size());
          } finally {
            job.cancel().get();
          }
        }

        Topics backfillOut = Topics.withPrefix("it.backfill.");
        EmbeddedKafka.createTopics(bootstrap, backfillOut.all(), 1, (short) 1);
        // A rule change (one LLM-dispreferred negative instead of four), rebuilt from history.
        MiningConfig changed = MiningConfig.defaults().withPassageWaitMs(Long.MAX_VALUE / 4)
            .withNegatives(new NegativeRules(1, new RankRange(1, 10), 1.0, 3, new RankRange(1, 200))).withLimits(LIMITS);
        MiningJobConfig backfill = MiningJobConfig.defaults(KafkaSettings.of(bootstrap)).withTopics(TOPICS).withRules(changed)
            .asBackfill(new Backfill(OffsetSpec.EARLIEST, OffsetSpec.LATEST), backfillOut, "it-backfill");
        new PreferenceMiningJob(backfill).startLocal(work.resolve("backfill-checkpoints"), Restarts.defaults()).getJobExecutionResult().get(3, TimeUnit.MINUTES);
        List<TrainingExample> rebuilt = read(bootstrap, backfillOut.trainingExamples());
        assertThat(rebuilt).allSatisfy(e -> assertThat(e.getHardNegatives()).hasSize(1));
        assertThat(rebuilt).extracting(TrainingExample::getExampleId)
            .containsExactlyInAnyOrderElementsOf(read(bootstrap, TOPICS.trainingExamples()).stream().map(TrainingExample::getExampleId).toList());
        Map<String, String> backfillLetters = new HashMap<>();
        for (DeadLetter d : read(bootstrap, backfillOut.deadLetters())) {
          backfillLetters.put(d.getKey() == null ? "" : new String(d.getKey().array(), StandardCharsets.UTF_8), d.getReason());
        }
        assertThat(backfillLetters).containsEntry("r-unknown", DeadLetterReason.UNKNOWN_PASSAGE);
      }
    }
  }

  private static KafkaProducer<byte[], byte[]> producer(String bootstrap) {
    Map<String, Object> props = new HashMap<>();
    props.put("bootstrap.servers", bootstrap);
    props.put("max.request.size", 3 << 20);
    props.put("enable.idempotence", true);
    return new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
  }

  @SuppressWarnings("unchecked")
  private static <T extends SpecificRecord> void send(KafkaProducer<byte[], byte[]> producer, Topic<T> topic, String key, SpecificRecord value) {
    sendRaw(producer, topic, key, AvroCodec.of(topic.valueType()).encode((T) value));
  }

  private static void sendRaw(KafkaProducer<byte[], byte[]> producer, Topic<?> topic, String key, byte[] value) {
    producer.send(new ProducerRecord<>(topic.name(), key == null ? null : key.getBytes(StandardCharsets.UTF_8), value));
  }

  private static void publishCorpus(KafkaProducer<byte[], byte[]> producer) {
    for (int i = 1; i <= 8; i++) {
      String text = i <= 2 ? "Passage " + i + " says the answer is alpha." : "Passage " + i + " talks about something else.";
      send(producer, TOPICS.corpus(), "p" + i, PassageEvent.newBuilder().setPassageId("p" + i).setOp(PassageOp.UPSERT)
          .setTitle("T").setText(text).setTimestampMs(T0).build());
    }
    send(producer, TOPICS.corpus(), "p8", PassageEvent.newBuilder().setPassageId("p8").setOp(PassageOp.DELETE).setTimestampMs(T0).build());
  }

  private static QueryEvent query(String id) {
    return QueryEvent.newBuilder().setEventId("q-" + id).setRequestId(id).setTimestampMs(T0).setTask("qa")
        .setQuery("what is the answer").setRetrieverVersion("retriever-v0").setIndexVersion("retriever-v0").build();
  }

  private static RetrievalEvent retrieval(String id, List<String> extra) {
    List<RankedPassage> ranked = new ArrayList<>();
    List<String> ids = new ArrayList<>(List.of("p3", "p1", "p4", "p5", "p2", "p6", "p7"));
    ids.addAll(extra);
    for (int i = 0; i < ids.size(); i++) ranked.add(new RankedPassage(ids.get(i), i + 1, 0.9f - 0.05f * i));
    return RetrievalEvent.newBuilder().setEventId("r-" + id).setRequestId(id).setTimestampMs(T0)
        .setRetrieverVersion("retriever-v0").setIndexVersion("retriever-v0").setCandidates(ranked).build();
  }

  private static LlmFeedbackEvent llm(String id, String llmId, double offset) {
    List<PassageScore> scores = new ArrayList<>();
    for (String p : List.of("p1", "p2", "p3", "p4", "p5", "p6", "p7")) {
      // p1 (labeled, answer-bearing) and p3 are preferred; p2 bears the answer but is scored low.
      double s = p.equals("p1") ? -0.5 : p.equals("p3") ? -1.0 : -6.0 - offset;
      scores.add(new PassageScore(p, s));
    }
    return LlmFeedbackEvent.newBuilder().setEventId("l-" + llmId + "-" + id).setRequestId(id).setTimestampMs(T0)
        .setLlmId(llmId).setSignalKind(SignalKind.ANSWER_LOG_LIKELIHOOD).setPassageScores(scores).setAnswer("alpha").build();
  }

  private static HumanFeedbackEvent human(String id, String eventId) {
    return HumanFeedbackEvent.newBuilder().setEventId(eventId).setRequestId(id).setTimestampMs(T0)
        .setRelevantPassageIds(List.of("p1")).setAnswers(List.of("alpha")).build();
  }

  private static void sendRequest(KafkaProducer<byte[], byte[]> producer, String id, boolean secondLlm, List<String> extra) {
    send(producer, TOPICS.queries(), id, query(id));
    send(producer, TOPICS.retrievals(), id, retrieval(id, extra));
    send(producer, TOPICS.llmFeedback(), id, llm(id, "llm-a", 0));
    if (secondLlm) send(producer, TOPICS.llmFeedback(), id, llm(id, "llm-b", 1));
    send(producer, TOPICS.humanFeedback(), id, human(id, "h-" + id));
  }

  /** One record per kind of bad input, keyed so its dead letter can be found; returns key → expected reason. */
  private static Map<String, String> sendBadInputs(KafkaProducer<byte[], byte[]> producer, String bootstrap) {
    Map<String, String> expected = new HashMap<>();
    sendRaw(producer, TOPICS.queries(), "bad-schema",
        AvroCodec.of(PassageEvent.class).encode(PassageEvent.newBuilder().setPassageId("x").setOp(PassageOp.DELETE).setTimestampMs(T0).build()));
    expected.put("bad-schema", DeadLetterReason.UNKNOWN_SCHEMA);
    byte[] whole = AvroCodec.of(RetrievalEvent.class).encode(retrieval("bad-truncated", List.of()));
    sendRaw(producer, TOPICS.retrievals(), "bad-truncated", Arrays.copyOf(whole, whole.length / 2));
    expected.put("bad-truncated", DeadLetterReason.TRUNCATED);
    byte[] header = Arrays.copyOf(AvroCodec.of(LlmFeedbackEvent.class).encode(llm("x", "llm-a", 0)), 10);
    byte[] wrongTypes = Arrays.copyOf(header, 14);
    wrongTypes[10] = 0x01; // eventId's length read as -1: the body is not this schema
    sendRaw(producer, TOPICS.llmFeedback(), "bad-types", wrongTypes);
    expected.put("bad-types", DeadLetterReason.MALFORMED);
    RetrievalEvent negative = retrieval("bad-rank", List.of());
    negative.getCandidates().get(0).setRank(-3);
    send(producer, TOPICS.retrievals(), "bad-rank", negative);
    expected.put("bad-rank", DeadLetterReason.INVALID_RANK);
    LlmFeedbackEvent nan = llm("bad-nan", "llm-a", 0);
    nan.getPassageScores().get(0).setScore(Double.NaN);
    send(producer, TOPICS.llmFeedback(), "bad-nan", nan);
    expected.put("bad-nan", DeadLetterReason.NON_FINITE_SCORE);
    LlmFeedbackEvent infinite = llm("bad-inf", "llm-a", 0);
    infinite.getPassageScores().get(1).setScore(Double.NEGATIVE_INFINITY);
    send(producer, TOPICS.llmFeedback(), "bad-inf", infinite);
    expected.put("bad-inf", DeadLetterReason.NON_FINITE_SCORE);
    RetrievalEvent empty = retrieval("bad-empty", List.of());
    empty.setCandidates(List.of());
    send(producer, TOPICS.retrievals(), "bad-empty", empty);
    expected.put("bad-empty", DeadLetterReason.EMPTY_LIST);
    LlmFeedbackEvent unknownKind = llm("bad-signal", "llm-a", 0);
    unknownKind.setSignalKind(SignalKind.UNKNOWN);
    send(producer, TOPICS.llmFeedback(), "bad-signal", unknownKind);
    expected.put("bad-signal", DeadLetterReason.UNKNOWN_SIGNAL);
    sendRaw(producer, TOPICS.queries(), "bad-oversized", new byte[AvroCodec.MAX_PAYLOAD_BYTES + 1]);
    expected.put("bad-oversized", DeadLetterReason.OVERSIZED);
    send(producer, TOPICS.humanFeedback(), "bad-key", human("someone-else", "h-bad-key"));
    expected.put("bad-key", DeadLetterReason.KEY_MISMATCH);
    send(producer, TOPICS.queries(), null, query("keyless"));
    // Each human event fits the 32 KiB intake, but the third would grow the episode past 64 KiB (its changelog record).
    send(producer, TOPICS.queries(), "big", query("big"));
    send(producer, TOPICS.retrievals(), "big", retrieval("big", List.of()));
    send(producer, TOPICS.llmFeedback(), "big", llm("big", "llm-a", 0));
    for (int i = 0; i < 4; i++) {
      HumanFeedbackEvent h = human("big", "h-big-" + i);
      h.setAnswers(List.of("x".repeat(7_500), "y".repeat(7_500), "z".repeat(7_500), "alpha"));
      send(producer, TOPICS.humanFeedback(), "big", h);
    }
    expected.put("big", DeadLetterReason.OVERSIZED);
    // The corpus, as a foreign producer writes it.
    send(producer, TOPICS.corpus(), "p-blank", PassageEvent.newBuilder().setPassageId("p-blank").setOp(PassageOp.UPSERT)
        .setTitle("T").setText("   ").setTimestampMs(T0).build());
    expected.put("p-blank", DeadLetterReason.BLANK_FIELD);
    send(producer, TOPICS.corpus(), "p-huge", PassageEvent.newBuilder().setPassageId("p-huge").setOp(PassageOp.UPSERT)
        .setTitle("T").setText("w".repeat(9_000)).setTimestampMs(T0).build());
    expected.put("p-huge", DeadLetterReason.OVERSIZED);
    sendRaw(producer, TOPICS.corpus(), "p-garbage", "not avro".getBytes(StandardCharsets.UTF_8));
    expected.put("p-garbage", DeadLetterReason.BAD_HEADER);
    // (A keyless corpus record cannot exist: the broker refuses keyless records on a compacted topic.)
    // Once r0's and r2's episodes closed, a new event for r0 is late and a repeat of r2's joined one a duplicate.
    producer.flush();
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).until(() -> {
      Set<String> closed = new HashSet<>();
      read(bootstrap, TOPICS.episodes()).forEach(e -> closed.add(e.getRequestId()));
      return closed.containsAll(List.of("r0", "r2"));
    });
    send(producer, TOPICS.humanFeedback(), "r0", human("r0", "h-r0-late"));
    send(producer, TOPICS.llmFeedback(), "r2", llm("r2", "llm-b", 1));
    expected.put("r0", DeadLetterReason.LATE);
    expected.put("r2", DeadLetterReason.DUPLICATE);
    // Episodes written straight to the topic: the miner checks them as the assembler would.
    sendRaw(producer, TOPICS.episodes(), "ep-garbage", "{\"requestId\": \"ep-garbage\"}".getBytes(StandardCharsets.UTF_8));
    expected.put("ep-garbage", DeadLetterReason.BAD_HEADER);
    FeedbackEpisode nanEpisode = foreignEpisode("ep-nan");
    nanEpisode.getLlmFeedback().get(0).getPassageScores().get(0).setScore(Double.NaN);
    send(producer, TOPICS.episodes(), "ep-nan", nanEpisode);
    expected.put("ep-nan", DeadLetterReason.NON_FINITE_SCORE);
    send(producer, TOPICS.episodes(), "ep-key", foreignEpisode("someone-else"));
    expected.put("ep-key", DeadLetterReason.KEY_MISMATCH);
    send(producer, TOPICS.episodes(), null, foreignEpisode("ep-keyless"));
    return expected;
  }

  /** A well-formed episode as a foreign producer would write it (no joined event ids: the assembler joined nothing). */
  private static FeedbackEpisode foreignEpisode(String id) {
    List<EpisodeCandidate> candidates = new ArrayList<>();
    for (RankedPassage p : retrieval(id, List.of()).getCandidates()) {
      candidates.add(new EpisodeCandidate(p.getPassageId(), p.getRank(), p.getScore()));
    }
    return FeedbackEpisode.newBuilder().setRequestId(id).setClosedAtMs(T0).setEventIds(List.of()).setQuery(query(id))
        .setCandidates(candidates).setLlmFeedback(new ArrayList<>(List.of(llm(id, "llm-a", 0)))).build();
  }

  private static Map<String, String> deadLetterReasonsByKey(String bootstrap) {
    Map<String, String> byKey = new HashMap<>();
    for (DeadLetter d : read(bootstrap, TOPICS.deadLetters())) {
      String key = d.getKey() == null ? "" : new String(d.getKey().array(), StandardCharsets.UTF_8);
      byKey.put(key, d.getReason());
    }
    return byKey;
  }

  private static <T extends SpecificRecord> List<T> read(String bootstrap, Topic<T> topic) {
    AvroCodec<T> codec = topic.codec();
    List<T> out = new ArrayList<>();
    KafkaAccess.readAll(KafkaSettings.of(bootstrap), topic.name(), v -> out.add(codec.decode(v)));
    return out;
  }
}
