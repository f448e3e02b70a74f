package dev.attune.models.bridge;

import dev.attune.models.encoder.Encoder;
import dev.attune.models.encoder.Progress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The frozen retriever encoder's view of queries and passages, computed once per distinct text and
 * kept: the bridge reads the same passages many times (epochs, samples, serving). Queries carry
 * their task's instruction (task → instruction, as {@code Tasks.instructions()} gives), as the
 * retriever embeds them. Bounded: past {@code maxEntries} the oldest
 * entries are dropped.
 */
public final class CandidateEmbeddings implements AutoCloseable {
  private static final int BATCH = 32;
  private final Encoder encoder;
  private final Map<String, String> instructions;
  private final int maxQueryTokens;
  private final int maxPassageTokens;
  private final Map<String, float[]> queries;
  private final Map<String, float[]> passages;
  private final boolean ownsEncoder;

  /** Embeddings through a shared {@code encoder}, which {@link #close} leaves open. */
  public CandidateEmbeddings(Encoder encoder, Map<String, String> instructions, int maxQueryTokens, int maxPassageTokens, int maxEntries) {
    this(encoder, instructions, maxQueryTokens, maxPassageTokens, maxEntries, false);
  }

  /** Embeddings that own {@code encoder}: {@link #close} closes it. */
  public static CandidateEmbeddings owning(Encoder encoder, Map<String, String> instructions, int maxQueryTokens, int maxPassageTokens, int maxEntries) {
    return new CandidateEmbeddings(encoder, instructions, maxQueryTokens, maxPassageTokens, maxEntries, true);
  }

  private CandidateEmbeddings(Encoder encoder, Map<String, String> instructions, int maxQueryTokens, int maxPassageTokens, int maxEntries,
      boolean ownsEncoder) {
    this.ownsEncoder = ownsEncoder;
    this.encoder = encoder;
    this.instructions = Map.copyOf(instructions);
    this.maxQueryTokens = maxQueryTokens;
    this.maxPassageTokens = maxPassageTokens;
    this.queries = bounded(maxEntries);
    this.passages = bounded(maxEntries);
  }

  private static Map<String, float[]> bounded(int maxEntries) {
    return new LinkedHashMap<>(256, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, float[]> eldest) {
        return size() > maxEntries;
      }
    };
  }

  public int dimension() {
    return encoder.dimension();
  }

  /**
   * Embeds every query and candidate of {@code examples} not embedded yet, in length-sorted batches,
   * with progress lines; returns how many texts that was.
   */
  public synchronized int prepare(Collection<BridgeExample> examples) {
    Set<String> newQueries = new LinkedHashSet<>();
    Set<String> newPassages = new LinkedHashSet<>();
    for (BridgeExample e : examples) {
      String q = instructed(e.task(), e.query());
      if (!queries.containsKey(q)) newQueries.add(q);
      for (BridgeExample.Passage p : e.candidates()) if (!passages.containsKey(p.embeddingText())) newPassages.add(p.embeddingText());
    }
    Progress progress = Progress.every("bridge embeddings", newQueries.size() + newPassages.size(), 10_000);
    store(queries, new ArrayList<>(newQueries), maxQueryTokens, progress);
    store(passages, new ArrayList<>(newPassages), maxPassageTokens, progress);
    return newQueries.size() + newPassages.size();
  }

  private void store(Map<String, float[]> into, List<String> texts, int maxTokens, Progress progress) {
    float[][] vectors = encoder.embed(texts, maxTokens, BATCH, progress);
    for (int i = 0; i < texts.size(); i++) into.put(texts.get(i), vectors[i]);
  }

  public synchronized float[] query(String task, String query) {
    return queries.computeIfAbsent(instructed(task, query), q -> encoder.embedBatch(List.of(q), maxQueryTokens)[0]);
  }

  public synchronized float[] passage(String text) {
    return passages.computeIfAbsent(text, t -> encoder.embedBatch(List.of(t), maxPassageTokens)[0]);
  }

  private String instructed(String task, String query) {
    String instruction = instructions.get(task);
    if (instruction == null) throw new IllegalArgumentException("unknown task '" + task + "'; known: " + instructions.keySet());
    return instruction + query;
  }

  /** The encoder's version, e.g. {@code retriever-v0}. */
  public String encoderVersion() {
    return encoder.version();
  }

  @Override
  public void close() {
    if (ownsEncoder) encoder.close();
  }
}
