package dev.attune.infra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.attune.infra.demo.StageCounts;
import dev.attune.infra.kafka.EmbeddedKafka;
import dev.attune.schemas.AvroCodec;
import dev.attune.schemas.DeadLetter;
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
import dev.attune.streams.mining.Backfill;
import dev.attune.streams.mining.MiningConfig;
import dev.attune.streams.mining.MiningJobConfig;
import dev.attune.streams.mining.NegativeRules;
import dev.attune.streams.mining.RankRange;
import dev.attune.streams.mining.OffsetSpec;
import dev.attune.streams.mining.PreferenceMiningJob;
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
  @TempDir Path work;

  @Test
  void should_mine_every_signal_exactly_once_and_account_for_every_bad_input() throws Exception {
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
        AssemblerConfig assemblerConfig = AssemblerConfig.defaults(bootstrap, work.resolve("streams"))
            .withTopics(TOPICS).withWindow(Duration.ofSeconds(3), Duration.ofSeconds(1))
            // Two LLMs score some requests: wait for the window so both joins, rather than close at the first.
            .withCloseWhenComplete(false);
        MiningConfig rules = MiningConfig.defaults().withPassageWaitMs(3_000).withWindows(2_000, 2_000);
        MiningJobConfig jobConfig = MiningJobConfig.defaults(bootstrap).withTopics(TOPICS).withRules(rules);
        try (KafkaStreams assembler = EpisodeAssembler.start(assemblerConfig, Duration.ofMinutes(1))) {
          var job = new PreferenceMiningJob(jobConfig).startLocal();
          try {
            for (int i = 0; i < REQUESTS; i++) sendRequest(producer, "r" + i, i % 2 == 0, List.of());
            sendRequest(producer, "r-unknown", false, List.of("p404"));
            sendRequest(producer, "r-deleted", false, List.of("p8"));
            Map<String, String> expected = sendBadInputs(producer, bootstrap);
            producer.flush();

            await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
              StageCounts counts = StageCounts.read(bootstrap, TOPICS);
              assertThat(counts.assemblerBalanced(TOPICS)).as("assembler in = events in episodes + dead letters: %s", counts).isTrue();
              assertThat(counts.minerBalanced(TOPICS)).as("miner in = examples + dead letters: %s", counts).isTrue();
              assertThat(counts.records().get(TOPICS.episodes().name())).isEqualTo(REQUESTS + 2L);
              assertThat(counts.records().get(TOPICS.preferenceStats().name())).isPositive();
            });

            Map<String, String> reasons = deadLetterReasonsByKey(bootstrap);
            expected.forEach((key, reason) -> assertThat(reasons).as("dead letter of %s", key).containsEntry(key, reason));
            assertThat(reasons).containsEntry("r-unknown", DeadLetterReason.UNKNOWN_PASSAGE);

            List<TrainingExample> examples = read(bootstrap, TOPICS.trainingExamples());
            assertThat(examples).extracting(TrainingExample::getExampleId).doesNotHaveDuplicates().hasSize(REQUESTS + 1);
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
              }
              // Every request asks the same question: its scores aggregate per LLM, never across LLMs.
              assertThat(episodesPerLlm).containsEntry("llm-a", REQUESTS + 1).containsEntry("llm-b", REQUESTS / 2);
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
            .withNegatives(new NegativeRules(1, new RankRange(1, 10), 1.0, 3, new RankRange(1, 200)));
        MiningJobConfig backfill = MiningJobConfig.defaults(bootstrap).withTopics(TOPICS).withRules(changed)
            .asBackfill(new Backfill(OffsetSpec.EARLIEST, OffsetSpec.LATEST), backfillOut, "it-backfill");
        new PreferenceMiningJob(backfill).startLocal().getJobExecutionResult().get(3, TimeUnit.MINUTES);
        List<TrainingExample> rebuilt = read(bootstrap, backfillOut.trainingExamples());
        assertThat(rebuilt).allSatisfy(e -> assertThat(e.getHardNegatives()).hasSize(1));
        assertThat(rebuilt).extracting(TrainingExample::getExampleId)
            .containsExactlyInAnyOrderElementsOf(read(bootstrap, TOPICS.trainingExamples()).stream().map(TrainingExample::getExampleId).toList());
        Map<String, String> backfillLetters = new HashMap<>();
        for (DeadLetter d : read(bootstrap, backfillOut.deadLetters())) {
          backfillLetters.put(new String(d.getKey().array(), StandardCharsets.UTF_8), d.getReason());
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
    return expected;
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
    StageCounts.readAll(bootstrap, topic.name(), v -> out.add(codec.decode(v)));
    return out;
  }
}
