package dev.attune.serving;

import dev.attune.schemas.EventValidator;
import dev.attune.schemas.AnswerEvent;
import dev.attune.schemas.HumanFeedbackEvent;
import dev.attune.schemas.LlmFeedbackEvent;
import dev.attune.schemas.PassageScore;
import dev.attune.schemas.QueryEvent;
import dev.attune.schemas.RankedPassage;
import dev.attune.schemas.RetrievalEvent;
import dev.attune.schemas.SignalKind;
import dev.attune.schemas.Topics;
import dev.attune.schemas.Violation;
import dev.attune.serving.store.SearchFilter;
import dev.attune.serving.store.SearchHit;
import dev.attune.serving.store.VectorStore;
import dev.attune.models.bridge.BridgeExample;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Map;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * Serves queries. Each request reads the serving state (query encoder, index) once and searches
 * that versioned index, so a query embedded by model N is only ever searched in index N, on the
 * indexer and on replicas alike, and the response names both.
 */
public final class RetrievalService implements AutoCloseable {
  /**
   * Result of one retrieval. With the bridge asked for, {@code sequence} is the passage sequence it
   * chose from the hits (the top k as is under bridge version 0) and {@code bridgeVersion} names it;
   * otherwise both are null.
   */
  public record Retrieved(String requestId, String modelVersion, String indexVersion, List<SearchHit> hits, String bridgeVersion,
      List<Selected> sequence) {
    Retrieved(String requestId, String modelVersion, String indexVersion, List<SearchHit> hits) {
      this(requestId, modelVersion, indexVersion, hits, null, null);
    }
  }

  /** A passage of a bridge's sequence, with its 1-based retrieval rank (which may lie beyond k). */
  public record Selected(int rank, SearchHit hit) {}

  private final VectorStore store;
  private final Supplier<ServingState> state;
  private final EventPublisher publisher;
  private final Topics topics;
  private final Map<String, String> taskInstructions;
  private final BridgeSlot bridges;
  private final EventValidator validator;
  private final int maxQueryTokens;

  public RetrievalService(VectorStore store, Supplier<ServingState> state, EventPublisher publisher, Topics topics,
      Map<String, String> taskInstructions, int maxQueryTokens, BridgeSlot bridges, EventValidator validator) {
    this.store = store;
    this.state = state;
    this.publisher = publisher;
    this.topics = topics;
    this.taskInstructions = taskInstructions;
    this.maxQueryTokens = maxQueryTokens;
    this.bridges = bridges;
    this.validator = validator;
  }

  public Map<String, String> tasks() {
    return taskInstructions;
  }

  public ServingState current() {
    return state.get();
  }

  /** The serving state, or empty while no version is live yet (starting). */
  public Optional<ServingState> live() {
    try {
      return Optional.of(state.get());
    } catch (IllegalStateException starting) {
      return Optional.empty();
    }
  }


  /** Searches without emitting events (evaluation, smoke checks). */
  public Retrieved search(String query, String task, int k, SearchFilter filter) {
    if (!taskInstructions.containsKey(task)) throw new IllegalArgumentException("unknown task '" + task + "'; known: " + taskInstructions.keySet());
    ServingState s = state.get();
    float[] vector = s.encoder().embedBatch(List.of(instructed(task, query)), maxQueryTokens)[0];
    // The state's own versioned index, never the active pointer: the pointer moves on the indexer's
    // schedule, and a multi-action alias change need not be atomic for a reader (Qdrant before 2026-09).
    return new Retrieved(UUID.randomUUID().toString(), s.modelVersion(), s.indexVersion(), store.search(s.indexVersion(), vector, k, filter));
  }

  public Retrieved search(String query, String task, int k) {
    return search(query, task, k, SearchFilter.NONE);
  }

  private String instructed(String task, String query) {
    String instruction = taskInstructions.get(task);
    return instruction == null || instruction.isEmpty() ? query : instruction + query;
  }

  /**
   * Serves a query through the bridge: retrieves at least the bridge's N candidates (all are recorded
   * in the RetrievalEvent, as the bridge read them), returns the top k and the bridge's sequence.
   */
  public Retrieved retrieveBridged(String query, String task, int k, SearchFilter filter, String llmId) {
    return bridges.withBridge(bridge -> {
      Retrieved r = retrieve(query, task, bridge == null ? k : Math.max(k, bridge.candidates()), filter, llmId);
      List<SearchHit> hits = r.hits();
      List<Integer> chosen;
      if (bridge == null || hits.isEmpty()) {
        chosen = java.util.stream.IntStream.range(0, Math.min(k, hits.size())).boxed().toList();
      } else {
        List<BridgeExample.Passage> candidates = hits.subList(0, Math.min(bridge.candidates(), hits.size())).stream()
            .map(h -> new BridgeExample.Passage(h.id(), h.title(), h.text())).toList();
        chosen = bridge.select(new BridgeExample(r.requestId(), task, query, candidates, List.of(), 0, List.of()));
      }
      List<Selected> sequence = chosen.stream().map(i -> new Selected(i + 1, hits.get(i))).toList();
      return new Retrieved(r.requestId(), r.modelVersion(), r.indexVersion(), hits.subList(0, Math.min(k, hits.size())),
          bridge == null ? BridgeSlot.NONE : bridge.version(), sequence);
    });
  }

  public String bridgeVersion() {
    return bridges.version();
  }

  /**
   * Serves a query and emits its QueryEvent and RetrievalEvent.
   *
   * @throws EventPublisher.PublishException when the broker did not acknowledge both in time
   */
  public Retrieved retrieve(String query, String task, int k, SearchFilter filter, String llmId) {
    Retrieved r = search(query, task, k, filter);
    String instruction = taskInstructions.get(task);
    List<SearchHit> hits = r.hits();
    String requestId = r.requestId();
    long now = System.currentTimeMillis();
    QueryEvent queryEvent = QueryEvent.newBuilder()
        .setEventId(UUID.randomUUID().toString()).setRequestId(requestId).setTimestampMs(now)
        .setTask(task).setInstruction(instruction == null || instruction.isEmpty() ? null : instruction)
        .setQuery(query).setLlmId(llmId)
        .setRetrieverVersion(r.modelVersion()).setIndexVersion(r.indexVersion()).build();
    List<RankedPassage> ranked = new ArrayList<>();
    for (int i = 0; i < hits.size(); i++) ranked.add(new RankedPassage(hits.get(i).id(), i + 1, hits.get(i).score()));
    RetrievalEvent retrievalEvent = RetrievalEvent.newBuilder()
        .setEventId(UUID.randomUUID().toString()).setRequestId(requestId).setTimestampMs(now)
        .setRetrieverVersion(r.modelVersion()).setIndexVersion(r.indexVersion()).setCandidates(ranked).build();
    // Answer only once both events are acknowledged: a caller never holds a request id the loop will not see.
    publisher.publishAll(List.of(
        new EventPublisher.Outgoing<>(topics.queries(), requestId, queryEvent),
        new EventPublisher.Outgoing<>(topics.retrievals(), requestId, retrievalEvent)));
    return r;
  }

  /**
   * What the LLM made of a request's passages, as the caller reports it.
   *
   * @param scores passage id → score; a null score is kept as NaN so the validator names it
   */
  public record LlmFeedback(String llmId, SignalKind signalKind, Map<String, Double> scores, String answer, Double sequenceReward,
      boolean abstained) {}

  /** What a person said about a request: the relevant passages and the answers. */
  public record HumanFeedback(List<String> relevantPassageIds, List<String> answers) {}

  /** The answer the application produced (or a person accepted), for the scoring stage to score. */
  public record Answer(String text, String llmId) {}

  /** The ids of the events one feedback call published; null for a part not given. */
  public record FeedbackEvents(String llmEventId, String humanEventId, String answerEventId) {}

  public FeedbackEvents feedback(String requestId, LlmFeedback llm, HumanFeedback human) {
    return feedback(requestId, llm, human, null);
  }

  /**
   * Records a request's feedback (any part may be null, not all): builds its events, as {@link
   * #retrieve} builds the query and retrieval events, validates every part before anything is
   * published (so a bad part publishes nothing), and waits until the broker acknowledged them. When
   * that fails the caller answers 503 and the client retries; a part that did get through is then a
   * duplicate or, alone, dead-lettered by the assembler: counted, never lost.
   *
   * @throws IllegalArgumentException naming the bad part and field
   * @throws EventPublisher.PublishException when the broker did not acknowledge in time
   */
  public FeedbackEvents feedback(String requestId, LlmFeedback llm, HumanFeedback human, Answer answer) {
    if (requestId == null || requestId.isBlank()) throw new IllegalArgumentException("requestId is empty");
    if (llm == null && human == null && answer == null) throw new IllegalArgumentException("give llm or human feedback, or an answer");
    long now = System.currentTimeMillis();
    List<EventPublisher.Outgoing<?>> events = new ArrayList<>();
    LlmFeedbackEvent llmEvent = null;
    HumanFeedbackEvent humanEvent = null;
    if (llm != null) {
      List<PassageScore> scores = new ArrayList<>();
      if (llm.scores() != null) llm.scores().forEach((id, score) -> scores.add(new PassageScore(id, score == null ? Double.NaN : score)));
      llmEvent = LlmFeedbackEvent.newBuilder().setEventId(UUID.randomUUID().toString()).setRequestId(requestId).setTimestampMs(now)
          .setLlmId(llm.llmId() == null ? "" : llm.llmId()).setSignalKind(llm.signalKind()).setPassageScores(scores)
          .setAnswer(llm.answer()).setSequenceReward(llm.sequenceReward()).setAbstained(llm.abstained()).build();
      Violation reason = validator.validate(llmEvent).orElse(null);
      if (reason != null) throw new IllegalArgumentException("llm feedback: " + reason);
      events.add(new EventPublisher.Outgoing<>(topics.llmFeedback(), requestId, llmEvent));
    }
    if (human != null) {
      humanEvent = HumanFeedbackEvent.newBuilder().setEventId(UUID.randomUUID().toString()).setRequestId(requestId).setTimestampMs(now)
          .setRelevantPassageIds(human.relevantPassageIds() == null ? List.of() : human.relevantPassageIds())
          .setAnswers(human.answers() == null ? List.of() : human.answers()).build();
      Violation reason = validator.validate(humanEvent).orElse(null);
      if (reason != null) throw new IllegalArgumentException("human feedback: " + reason);
      events.add(new EventPublisher.Outgoing<>(topics.humanFeedback(), requestId, humanEvent));
    }
    AnswerEvent answerEvent = null;
    if (answer != null) {
      answerEvent = AnswerEvent.newBuilder().setEventId(UUID.randomUUID().toString()).setRequestId(requestId).setTimestampMs(now)
          .setAnswer(answer.text() == null ? "" : answer.text()).setLlmId(answer.llmId()).build();
      Violation reason = validator.validate(answerEvent).orElse(null);
      if (reason != null) throw new IllegalArgumentException("answer: " + reason);
      events.add(new EventPublisher.Outgoing<>(topics.answers(), requestId, answerEvent));
    }
    publisher.publishAll(events);
    return new FeedbackEvents(llmEvent == null ? null : llmEvent.getEventId(), humanEvent == null ? null : humanEvent.getEventId(),
        answerEvent == null ? null : answerEvent.getEventId());
  }

  @Override
  public void close() {
    publisher.flush();
  }
}
