package dev.attune.trainers.bridge;

import ai.djl.Device;
import dev.attune.trainers.model.ModelSpec;
import dev.attune.trainers.model.OnnxEncoder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * A trained bridge ready to use: its decoder and the frozen retriever embeddings it reads. Turns
 * retrieved candidates into the passage sequence the LLM should read (greedy decoding). Serving holds
 * one and swaps it whole; evaluation uses the same path.
 */
public final class Bridge implements AutoCloseable {
  private static final int BATCH = 32;
  private static final int CACHED_TEXTS = 50_000;
  private final String version;
  private final PointerDecoder decoder;
  private final CandidateEmbeddings embeddings;

  public Bridge(String version, PointerDecoder decoder, CandidateEmbeddings embeddings) {
    this.version = version;
    this.decoder = decoder;
    this.embeddings = embeddings;
  }

  /**
   * Opens a saved bridge. Its own fine-tuned encoder ({@link BridgeModel#ENCODER_DIR}) is loaded under
   * ONNX Runtime and owned by the bridge; otherwise {@code frozen} gives the embeddings of the
   * retriever the decoder names.
   */
  public static Bridge open(String version, Path dir, ModelSpec spec, Function<String, CandidateEmbeddings> frozen,
      Map<String, String> instructions, int maxQueryTokens, int maxPassageTokens, Device device) throws IOException {
    PointerDecoder decoder = PointerDecoder.load(dir, device);
    try {
      Path own = dir.resolve(BridgeModel.ENCODER_DIR);
      CandidateEmbeddings embeddings = Files.isDirectory(own)
          ? CandidateEmbeddings.owning(new OnnxEncoder(version + "-encoder", own, ModelSpec.of(own, spec), maxPassageTokens), instructions, maxQueryTokens,
              maxPassageTokens, CACHED_TEXTS)
          : frozen.apply(decoder.layout().encoder());
      return new Bridge(version, decoder, embeddings);
    } catch (IOException | RuntimeException e) {
      decoder.close();
      throw e;
    }
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

  /** Closes the decoder, and the encoder when the bridge owns it. */
  @Override
  public void close() {
    decoder.close();
    embeddings.close();
  }
}
