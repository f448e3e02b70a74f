package dev.attune.infra.offline;

import dev.attune.streams.mining.rules.CorpusUpdate;
import dev.attune.streams.mining.rules.MiningConfig;
import dev.attune.streams.mining.rules.PreferenceRules;
import dev.attune.streams.mining.rules.TeacherSignal;
import dev.attune.schemas.EpisodeCandidate;
import dev.attune.schemas.FeedbackEpisode;
import dev.attune.schemas.LlmFeedbackEvent;
import dev.attune.schemas.PassageScore;
import dev.attune.schemas.QueryEvent;
import dev.attune.schemas.SignalKind;
import dev.attune.schemas.TrainingExample;
import dev.attune.serving.Corpus;
import dev.attune.trainers.eval.RetrievalMetrics;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Training examples for replayed questions without a broker: each {@link OfflineReplay.Replayed}
 * question becomes the episode the assembler would close (query, retrieval, LLM scores, the qrels as
 * human labels) and is mined by {@link PreferenceRules}, the mining job's own rules.
 */
public final class OfflineExamples {
  private OfflineExamples() {}

  /** The mined examples and how many questions gave none (each with the miner's reason, counted). */
  public record Mined(List<TrainingExample> examples, Map<String, Long> rejections) {}

  public static Mined of(List<OfflineReplay.Replayed> replayed, List<Corpus.Passage> corpus, String llmId, SignalKind kind,
      String retrieverVersion, MiningConfig config) {
    Map<String, CorpusUpdate> byId = corpus.stream()
        .collect(Collectors.toMap(Corpus.Passage::id, p -> new CorpusUpdate(p.id(), false, p.title(), p.text())));
    Function<String, CorpusUpdate> passages = id -> {
      CorpusUpdate p = byId.get(id);
      if (p == null) throw new IllegalArgumentException("passage " + id + " is not in the corpus");
      return p;
    };
    List<TrainingExample> examples = new ArrayList<>();
    List<String> rejected = new ArrayList<>();
    for (OfflineReplay.Replayed r : replayed) {
      FeedbackEpisode episode = episode(r, llmId, kind, retrieverVersion);
      PreferenceRules.Outcome outcome = PreferenceRules.mine(episode, TeacherSignal.of(episode, config), passages, config, 0L);
      if (outcome.example() != null) examples.add(outcome.example());
      else rejected.add(outcome.rejection());
    }
    return new Mined(examples, rejected.stream().collect(Collectors.groupingBy(Function.identity(), Collectors.counting())));
  }

  static FeedbackEpisode episode(OfflineReplay.Replayed r, String llmId, SignalKind kind, String retrieverVersion) {
    RetrievalMetrics.Judged q = r.question();
    // Serving gives every request a random id; a name-based UUID keeps the trainer's hash hold-out as random as live.
    String requestId = UUID.nameUUIDFromBytes(q.queryId().getBytes(StandardCharsets.UTF_8)).toString();
    List<EpisodeCandidate> candidates = new ArrayList<>();
    List<PassageScore> scores = new ArrayList<>();
    for (int i = 0; i < r.passages().size(); i++) {
      String id = r.passages().get(i).id();
      candidates.add(new EpisodeCandidate(id, i + 1, null));
      scores.add(new PassageScore(id, r.scores()[i]));
    }
    for (String id : q.relevant()) {
      if (candidates.stream().noneMatch(c -> c.getPassageId().equals(id))) candidates.add(new EpisodeCandidate(id, null, null));
    }
    QueryEvent query = QueryEvent.newBuilder().setEventId("q-" + requestId).setRequestId(requestId).setTimestampMs(0L)
        .setTask(q.task()).setQuery(q.text()).setLlmId(llmId).setRetrieverVersion(retrieverVersion).setIndexVersion(retrieverVersion).build();
    LlmFeedbackEvent llm = LlmFeedbackEvent.newBuilder().setEventId("l-" + requestId).setRequestId(requestId).setTimestampMs(0L)
        .setLlmId(llmId).setSignalKind(kind).setPassageScores(scores).setAnswer(q.answers().isEmpty() ? null : q.answers().get(0)).build();
    return FeedbackEpisode.newBuilder().setRequestId(requestId).setClosedAtMs(0L).setQuery(query).setCandidates(candidates)
        .setLlmFeedback(List.of(llm)).setRelevantPassageIds(new ArrayList<>(q.relevant())).setAnswers(q.answers()).build();
  }
}
