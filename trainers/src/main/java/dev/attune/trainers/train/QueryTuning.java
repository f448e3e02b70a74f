package dev.attune.trainers.train;

import dev.attune.trainers.model.BertEncoder;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Which weights of the query tower a query-side round trains:
 *
 * <ul>
 *   <li>{@code all}: every weight;
 *   <li>{@code top:N}: the top N transformer layers; embeddings and lower layers stay frozen, so
 *       no graph is recorded below them and their backward pass never runs;
 *   <li>{@code lora:R}: rank-R adapters on every layer's attention query and value projections
 *       (LoRA, scale α/R = 2), merged into the weights when the model is saved, so serving runs one
 *       ONNX graph whichever was chosen.
 * </ul>
 */
public record QueryTuning(Kind kind, int size) {
  public enum Kind { ALL, TOP_LAYERS, LORA }

  public static final QueryTuning ALL = new QueryTuning(Kind.ALL, 0);
  static final float LORA_SCALE = 2f;

  public QueryTuning {
    if (kind == null) throw new IllegalArgumentException("kind is required");
    if (kind != Kind.ALL && size < 1) throw new IllegalArgumentException(kind + " needs a size >= 1, not " + size);
  }

  /** {@code all}, {@code top:N} or {@code lora:R}. */
  public static QueryTuning parse(String text) {
    String t = text.trim().toLowerCase(Locale.ROOT);
    try {
      if (t.equals("all")) return ALL;
      if (t.startsWith("top:")) return new QueryTuning(Kind.TOP_LAYERS, Integer.parseInt(t.substring(4)));
      if (t.startsWith("lora:")) return new QueryTuning(Kind.LORA, Integer.parseInt(t.substring(5)));
    } catch (NumberFormatException e) {
      // falls through to the message below
    }
    throw new IllegalArgumentException("query tuning must be all, top:N or lora:R, not '" + text + "'");
  }

  /** Marks the chosen weights of {@code model} (with {@code layers} transformer layers) trainable, adding adapters for LoRA. */
  void apply(BertEncoder model, int layers, long seed) {
    switch (kind) {
      case ALL -> model.setTrainable(true);
      case TOP_LAYERS -> {
        if (size > layers) throw new IllegalArgumentException("top:" + size + " but the encoder has " + layers + " layers");
        List<String> trained = new ArrayList<>();
        for (int layer = layers - size; layer < layers; layer++) trained.add("encoder.layer." + layer + ".");
        model.setTrainable(name -> trained.stream().anyMatch(name::startsWith));
      }
      case LORA -> {
        List<String> adapted = new ArrayList<>();
        for (int layer = 0; layer < layers; layer++) {
          adapted.add("encoder.layer." + layer + ".attention.self.query");
          adapted.add("encoder.layer." + layer + ".attention.self.value");
        }
        model.addAdapters(adapted, size, LORA_SCALE, seed);
        model.setTrainable(name -> name.endsWith(".lora_down") || name.endsWith(".lora_up"));
      }
    }
  }

  @Override
  public String toString() {
    return switch (kind) {
      case ALL -> "all";
      case TOP_LAYERS -> "top:" + size;
      case LORA -> "lora:" + size;
    };
  }
}
