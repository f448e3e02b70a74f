package dev.attune.serving;

import dev.attune.schemas.HumanFeedbackEvent;
import dev.attune.schemas.LlmFeedbackEvent;
import dev.attune.schemas.QueryEvent;
import dev.attune.schemas.RankedPassage;
import dev.attune.schemas.RetrievalEvent;
import dev.attune.schemas.Topics;
import dev.attune.serving.store.SearchHit;
import dev.attune.serving.store.VectorStore;
import dev.attune.trainers.model.Encoder;
import dev.attune.trainers.model.Progress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Retrieval with hot swap. Each request reads the serving state once, so the query is embedded and
 * searched by one model version; a swap builds the new index completely before replacing the state.
 */
public final class RetrievalService implements AutoCloseable {
  /** Result of one retrieval. */
  public record Retrieved(String requestId, String modelVersion, String indexVersion, List<SearchHit> hits) {}

  /** Timing and size of one swap. */
  public record Swap(String from, String to, long passages, double buildSeconds) {}

  private final VectorStore store;
  private final IndexBuilder builder;
  private final EventPublisher publisher;
  private final Topics topics;
  private final Map<String, String> taskInstructions;
  private final int maxQueryTokens;
  private final AtomicReference<ServingState> state = new AtomicReference<>();
  private final List<Swap> swaps = new ArrayList<>();
  private volatile Corpus corpus;
  private ServingState previous;

  public RetrievalService(VectorStore store, EventPublisher publisher, Topics topics, Map<String, String> taskInstructions,
      int maxQueryTokens, int maxPassageTokens) {
    this.store = store;
    this.builder = new IndexBuilder(store, maxPassageTokens);
    this.publisher = publisher;
    this.topics = topics;
    this.taskInstructions = taskInstructions;
    this.maxQueryTokens = maxQueryTokens;
  }

  public Map<String, String> tasks() {
    return taskInstructions;
  }

  public int corpusSize() {
    return corpus == null ? 0 : corpus.passages().size();
  }

  public void setCorpus(Corpus corpus) {
    this.corpus = corpus;
  }

  /** Builds the index for {@code encoder} and switches to it; returns the swap's figures. */
  public synchronized Swap swapTo(Encoder encoder, Progress progress) {
    if (corpus == null) throw new IllegalStateException("no corpus loaded; publish the corpus topic first");
    long start = System.nanoTime();
    String indexVersion = encoder.version();
    builder.build(encoder, indexVersion, corpus, progress);
    ServingState next = new ServingState(encoder, encoder.version(), indexVersion);
    ServingState old = state.getAndSet(next);
    store.activate(indexVersion);
    // Keep one previous version for rollback; retire the one before it.
    if (previous != null) {
      previous.encoder().close();
      store.drop(previous.indexVersion());
    }
    previous = old;
    Swap swap = new Swap(old == null ? "-" : old.modelVersion(), next.modelVersion(), corpus.passages().size(),
        (System.nanoTime() - start) / 1e9);
    swaps.add(swap);
    return swap;
  }

  public List<Swap> swaps() {
    return List.copyOf(swaps);
  }

  public ServingState current() {
    ServingState s = state.get();
    if (s == null) throw new IllegalStateException("no model is being served yet");
    return s;
  }

  /** Searches without emitting events (evaluation, smoke checks). */
  public Retrieved search(String query, String task, int k) {
    if (!taskInstructions.containsKey(task)) throw new IllegalArgumentException("unknown task '" + task + "'; known: " + taskInstructions.keySet());
    ServingState s = current();
    String instruction = taskInstructions.get(task);
    String text = instruction == null || instruction.isEmpty() ? query : instruction + query;
    float[] vector = s.encoder().embedBatch(List.of(text), maxQueryTokens)[0];
    return new Retrieved(UUID.randomUUID().toString(), s.modelVersion(), s.indexVersion(), store.search(s.indexVersion(), vector, k));
  }

  /** Serves a query and emits its QueryEvent and RetrievalEvent. */
  public Retrieved retrieve(String query, String task, int k, String llmId) {
    Retrieved r = search(query, task, k);
    String instruction = taskInstructions.get(task);
    List<SearchHit> hits = r.hits();
    String requestId = r.requestId();
    long now = System.currentTimeMillis();
    publisher.publish(topics.queries(), requestId, QueryEvent.newBuilder()
        .setEventId(UUID.randomUUID().toString()).setRequestId(requestId).setTimestampMs(now)
        .setTask(task).setInstruction(instruction == null || instruction.isEmpty() ? null : instruction)
        .setQuery(query).setLlmId(llmId)
        .setRetrieverVersion(r.modelVersion()).setIndexVersion(r.indexVersion()).build());
    List<RankedPassage> ranked = new ArrayList<>();
    for (int i = 0; i < hits.size(); i++) ranked.add(new RankedPassage(hits.get(i).id(), i + 1, hits.get(i).score()));
    publisher.publish(topics.retrievals(), requestId, RetrievalEvent.newBuilder()
        .setEventId(UUID.randomUUID().toString()).setRequestId(requestId).setTimestampMs(now)
        .setRetrieverVersion(r.modelVersion()).setIndexVersion(r.indexVersion()).setCandidates(ranked).build());
    return r;
  }

  public void llmFeedback(LlmFeedbackEvent event) {
    publisher.publish(topics.llmFeedback(), event.getRequestId(), event);
  }

  public void humanFeedback(HumanFeedbackEvent event) {
    publisher.publish(topics.humanFeedback(), event.getRequestId(), event);
  }

  @Override
  public void close() {
    ServingState s = state.getAndSet(null);
    if (s != null) s.encoder().close();
    if (previous != null) previous.encoder().close();
    publisher.flush();
  }
}
