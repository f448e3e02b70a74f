package dev.attune.trainers.bridge;

import java.util.ArrayList;
import java.util.List;

/**
 * A trained bridge ready to use: its decoder and the frozen retriever embeddings it reads. Turns
 * retrieved candidates into the passage sequence the LLM should read (greedy decoding). Serving holds
 * one and swaps it whole; evaluation uses the same path.
 */
public final class Bridge implements AutoCloseable {
  private static final int BATCH = 32;
  private final String version;
  private final PointerDecoder decoder;
  private final CandidateEmbeddings embeddings;

  public Bridge(String version, PointerDecoder decoder, CandidateEmbeddings embeddings) {
    this.version = version;
    this.decoder = decoder;
    this.embeddings = embeddings;
  }

  /** Model version name, e.g. {@code bridge-v2}. */
  public String version() {
    return version;
  }

  /** Candidates the bridge reads; more are ignored. */
  public int candidates() {
    return decoder.layout().candidates();
  }

  /** Greedy sequences for each example, in batches. */
  public List<List<Integer>> select(List<BridgeExample> examples) {
    List<List<Integer>> out = new ArrayList<>();
    for (int start = 0; start < examples.size(); start += BATCH) {
      List<BridgeExample> batch = examples.subList(start, Math.min(examples.size(), start + BATCH));
      out.addAll(decoder.decode(BridgeInputs.of(batch, embeddings, candidates()), null));
    }
    return out;
  }

  public List<Integer> select(BridgeExample example) {
    return select(List.of(example)).get(0);
  }

  @Override
  public void close() {
    decoder.close();
  }
}
