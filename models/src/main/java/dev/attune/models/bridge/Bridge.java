package dev.attune.models.bridge;

import dev.attune.models.encoder.ModelSpec;
import dev.attune.models.encoder.OnnxEncoder;
import dev.attune.models.encoder.ModelSpec;
import dev.attune.models.encoder.OnnxEncoder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * A trained bridge ready to use: its decoder and the frozen retriever embeddings it reads. Turns
 * retrieved candidates into the passage sequence the LLM should read (greedy decoding, in plain
 * Java). Serving holds one and swaps it whole; the trainer's evaluation uses the same path.
 */
public final class Bridge implements AutoCloseable {
  /** Subdirectory of a bridge holding its own fine-tuned encoder. */
  public static final String ENCODER_DIR = "encoder";
  private static final int BATCH = 32;
  private static final int CACHED_TEXTS = 50_000;
  private final String version;
  private final GreedyDecoder decoder;
  private final CandidateEmbeddings embeddings;

  public Bridge(String version, GreedyDecoder decoder, CandidateEmbeddings embeddings) {
    this.version = version;
    this.decoder = decoder;
    this.embeddings = embeddings;
  }

  /**
   * Opens a saved bridge. Its own fine-tuned encoder ({@value #ENCODER_DIR}/) is loaded under
   * ONNX Runtime and owned by the bridge; otherwise {@code frozen} gives the embeddings of the
   * retriever the decoder names.
   */
  public static Bridge open(String version, Path dir, ModelSpec spec, Function<String, CandidateEmbeddings> frozen,
      Map<String, String> instructions, int maxQueryTokens, int maxPassageTokens) throws IOException {
    GreedyDecoder decoder = GreedyDecoder.load(dir);
    Path own = dir.resolve(ENCODER_DIR);
    CandidateEmbeddings embeddings = Files.isDirectory(own)
        ? CandidateEmbeddings.owning(new OnnxEncoder(version + "-encoder", own, ModelSpec.of(own, spec), maxPassageTokens), instructions, maxQueryTokens,
            maxPassageTokens, CACHED_TEXTS)
        : frozen.apply(decoder.layout().encoder());
    return new Bridge(version, decoder, embeddings);
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
      out.addAll(decoder.decode(BridgeInputs.of(batch, embeddings, candidates())));
    }
    return out;
  }

  public List<Integer> select(BridgeExample example) {
    return select(List.of(example)).get(0);
  }

  /** Closes the encoder when the bridge owns it. */
  @Override
  public void close() {
    embeddings.close();
  }
}
