package dev.attune.models.encoder;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Serving encoder: the model directory's ONNX graph under ONNX Runtime, pooled as its spec says. */
public final class OnnxEncoder implements Encoder {
  private final String version;
  private final ModelSpec spec;
  private final TextTokenizer tokenizer;
  private final OrtSession session;

  public OnnxEncoder(String version, Path modelDir, ModelSpec spec, int maxLength) throws IOException {
    this(version, modelDir, spec, maxLength, 0);
  }

  /** @param threads ONNX Runtime's intra-op threads (0: one per core), e.g. one per Flink slot when several share a machine */
  public OnnxEncoder(String version, Path modelDir, ModelSpec spec, int maxLength, int threads) throws IOException {
    this.version = version;
    this.spec = spec;
    this.tokenizer = new TextTokenizer(modelDir.resolve(ModelSpec.TOKENIZER_FILE), maxLength);
    try {
      OrtSession.SessionOptions options = new OrtSession.SessionOptions();
      options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      if (threads > 0) options.setIntraOpNumThreads(threads);
      this.session = OrtEnvironment.getEnvironment().createSession(modelDir.resolve(ModelSpec.ONNX_FILE).toString(), options);
    } catch (OrtException e) {
      throw new IOException("cannot load ONNX model from " + modelDir + ": " + e.getMessage(), e);
    }
  }

  @Override
  public String version() {
    return version;
  }

  @Override
  public int dimension() {
    return spec.hidden();
  }

  @Override
  public float[][] embedBatch(List<String> texts, int maxLength) {
    TokenBatch batch = tokenizer.tokenize(texts, maxLength);
    long[] shape = {batch.size(), batch.length()};
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OnnxTensor ids = OnnxTensor.createTensor(env, LongBuffer.wrap(batch.flat(batch.ids())), shape);
        OnnxTensor mask = OnnxTensor.createTensor(env, LongBuffer.wrap(batch.flat(batch.mask())), shape);
        OnnxTensor types = OnnxTensor.createTensor(env, LongBuffer.wrap(batch.flat(batch.types())), shape);
        OrtSession.Result result =
            session.run(Map.of("input_ids", ids, "attention_mask", mask, "token_type_ids", types))) {
      float[][][] hidden = (float[][][]) result.get(0).getValue();
      float[][] out = new float[texts.size()][];
      long[][] attention = batch.mask();
      for (int i = 0; i < out.length; i++) {
        out[i] = pool(hidden[i], attention[i]);
        Encoder.normalize(out[i]);
      }
      return out;
    } catch (OrtException e) {
      throw new IllegalStateException("ONNX Runtime failed on a batch of " + texts.size() + ": " + e.getMessage(), e);
    }
  }

  private float[] pool(float[][] states, long[] mask) {
    if (spec.pooling() == ModelSpec.Pooling.CLS) return states[0].clone();
    float[] sum = new float[spec.hidden()];
    int n = 0;
    for (int t = 0; t < states.length; t++) {
      if (mask[t] == 0) continue;
      n++;
      for (int d = 0; d < sum.length; d++) sum[d] += states[t][d];
    }
    for (int d = 0; d < sum.length; d++) sum[d] /= Math.max(1, n);
    return sum;
  }

  @Override
  public void close() {
    try {
      session.close();
    } catch (OrtException e) {
      throw new IllegalStateException(e);
    }
    tokenizer.close();
  }
}
