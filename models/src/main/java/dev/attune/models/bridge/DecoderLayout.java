package dev.attune.models.bridge;

import dev.attune.models.TensorFile;
import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * Shape of a bridge's pointer decoder and how a saved bridge holds it ({@value #CONFIG_FILE} and
 * {@value #WEIGHTS_FILE}): what the trainer's DJL decoder writes and {@link GreedyDecoder} reads.
 *
 * @param encoder the retriever version whose embeddings the decoder reads, e.g. {@code retriever-v0}
 */
public record DecoderLayout(int dimension, int candidates, int maxLength, int maxRepeats, int hidden, String encoder) {
  public static final String WEIGHTS_FILE = "bridge.bin";
  public static final String CONFIG_FILE = "bridge.properties";

  public static DecoderLayout read(Path dir) throws IOException {
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(dir.resolve(CONFIG_FILE))) {
      p.load(r);
    }
    return new DecoderLayout(integer(p, "dimension"), integer(p, "candidates"), integer(p, "maxLength"), integer(p, "maxRepeats"),
        integer(p, "hidden"), p.getProperty("encoder"));
  }

  private static int integer(Properties p, String key) {
    String value = p.getProperty(key);
    if (value == null) throw new IllegalArgumentException(CONFIG_FILE + " has no " + key);
    return Integer.parseInt(value.trim());
  }

  /** Writes the layout and {@code weights} into {@code dir} (created if needed). */
  public void write(Path dir, Map<String, float[]> weights) throws IOException {
    Files.createDirectories(dir);
    TensorFile.write(dir.resolve(WEIGHTS_FILE), weights);
    Properties p = new Properties();
    p.setProperty("dimension", String.valueOf(dimension));
    p.setProperty("candidates", String.valueOf(candidates));
    p.setProperty("maxLength", String.valueOf(maxLength));
    p.setProperty("maxRepeats", String.valueOf(maxRepeats));
    p.setProperty("hidden", String.valueOf(hidden));
    p.setProperty("encoder", encoder);
    try (Writer w = Files.newBufferedWriter(dir.resolve(CONFIG_FILE))) {
      p.store(w, "Attune bridge: pointer decoder over retrieved candidates");
    }
  }

  /** The saved weights, each checked against its shape. */
  public Map<String, float[]> readWeights(Path dir) throws IOException {
    Map<String, float[]> weights = TensorFile.read(dir.resolve(WEIGHTS_FILE));
    shapes().forEach((name, shape) -> {
      float[] values = weights.get(name);
      if (values == null || values.length != size(shape)) {
        throw new IllegalArgumentException("bridge weights in " + dir + " have no tensor of size " + size(shape) + " for " + name);
      }
    });
    return weights;
  }

  /** Every weight tensor's name and shape (row-major), in a fixed order. */
  public Map<String, int[]> shapes() {
    int d = dimension, h = hidden;
    Map<String, int[]> out = new LinkedHashMap<>();
    out.put("candidate.weight", new int[] {2 * d, h});
    out.put("candidate.similarity", new int[] {h});
    out.put("candidate.rank", new int[] {candidates, h});
    out.put("candidate.bias", new int[] {h});
    out.put("stop", new int[] {h});
    out.put("state.query", new int[] {d, h});
    out.put("state.prefix", new int[] {h, h});
    out.put("state.step", new int[] {maxLength + 1, h});
    out.put("state.bias", new int[] {h});
    out.put("score.option", new int[] {h, h});
    out.put("score.state", new int[] {h, h});
    out.put("score.copies", new int[] {h});
    out.put("score.last", new int[] {h});
    out.put("score.v", new int[] {h, 1});
    return out;
  }

  public static int size(int[] shape) {
    int n = 1;
    for (int s : shape) n = Math.multiplyExact(n, s);
    return n;
  }
}
