package dev.attune.trainers.bridge;

import dev.attune.models.bridge.Bridge;
import dev.attune.models.bridge.BridgeExample;
import dev.attune.models.bridge.BridgeInputs;
import dev.attune.models.bridge.CandidateEmbeddings;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.attune.trainers.model.BertEncoder;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the bridge trainer trains: the decoder, and, when configured, the retriever encoder that
 * represents queries and candidates for it. Frozen, the embeddings come from {@link
 * CandidateEmbeddings} (computed once under ONNX Runtime); fine-tuned, every step runs the DJL BERT
 * with gradients and the encoder is saved with the bridge ({@value Bridge#ENCODER_DIR}/, same ONNX graph,
 * new weights), so serving reads the bridge's own encoder.
 */
public final class BridgeModel implements AutoCloseable {
  private final PointerDecoder decoder;
  private final BertEncoder encoder;
  private final Path encoderTemplate;
  private final Map<String, String> instructions;

  private BridgeModel(PointerDecoder decoder, BertEncoder encoder, Path encoderTemplate, Map<String, String> instructions) {
    this.decoder = decoder;
    this.encoder = encoder;
    this.encoderTemplate = encoderTemplate;
    this.instructions = instructions;
  }

  /** The decoder alone, over frozen embeddings. */
  public static BridgeModel frozen(PointerDecoder decoder) {
    return new BridgeModel(decoder, null, null, Map.of());
  }

  /**
   * The decoder with a trainable encoder loaded from {@code encoderTemplate} (whose ONNX graph the
   * fine-tuned weights are written back into); queries get their task's instruction.
   */
  public static BridgeModel fineTuned(PointerDecoder decoder, BertEncoder encoder, Path encoderTemplate, Map<String, String> instructions) {
    return new BridgeModel(decoder, encoder, encoderTemplate, Map.copyOf(instructions));
  }

  public PointerDecoder decoder() {
    return decoder;
  }

  public boolean fineTunesEncoder() {
    return encoder != null;
  }

  /** Decoder and (when fine-tuned) encoder parameters; their names do not overlap. */
  public Map<String, NDArray> parameters() {
    Map<String, NDArray> all = new LinkedHashMap<>(decoder.parameters());
    if (encoder != null) all.putAll(encoder.parameters());
    return Collections.unmodifiableMap(all);
  }

  public boolean isEncoderParameter(String name) {
    return encoder != null && encoder.parameters().containsKey(name);
  }

  public void loadWeights(Map<String, float[]> weights) {
    decoder.loadWeights(weights);
    if (encoder != null) encoder.loadWeights(weights);
  }

  public void setTrainable(boolean trainable) {
    decoder.setTrainable(trainable);
    if (encoder != null) encoder.setTrainable(trainable);
  }

  /**
   * Query [B, D] and candidate [B, N, D] embeddings for a batch, in {@code scope}: from the frozen
   * cache, or through the trainable encoder (recording gradients inside a collector).
   */
  public NDArray[] embed(NDManager scope, List<BridgeExample> batch, CandidateEmbeddings frozen, BridgeConfig config) {
    int n = config.candidates();
    if (encoder == null) return decoder.arrays(scope, BridgeInputs.of(batch, frozen, n));
    List<String> queries = new ArrayList<>();
    List<String> passages = new ArrayList<>();
    for (BridgeExample e : batch) {
      String instruction = instructions.get(e.task());
      if (instruction == null) throw new IllegalArgumentException("unknown task '" + e.task() + "'; known: " + instructions.keySet());
      queries.add(instruction + e.query());
      // Padded slots get an empty text; the decoder's mask never lets them be chosen.
      for (int j = 0; j < n; j++) passages.add(j < e.candidates().size() ? e.candidates().get(j).embeddingText() : "");
    }
    NDArray q = encoder.forward(scope, encoder.tokenizer().tokenize(queries, config.maxQueryTokens()));
    NDArray c = encoder.forward(scope, encoder.tokenizer().tokenize(passages, config.maxPassageTokens()));
    return new NDArray[] {q, c.reshape(batch.size(), n, encoder.dimension())};
  }

  /** Writes the decoder, and the fine-tuned encoder into {@code dir}/{@value Bridge#ENCODER_DIR}. */
  public void save(Path dir) throws IOException {
    decoder.save(dir);
    if (encoder != null) encoder.save(encoderTemplate, dir.resolve(Bridge.ENCODER_DIR));
  }

  @Override
  public void close() {
    decoder.close();
    if (encoder != null) encoder.close();
  }
}
