package dev.attune.trainers.train;

import ai.djl.Device;
import ai.djl.util.cuda.CudaUtils;
import dev.attune.models.encoder.ModelSpec;
import dev.attune.trainers.model.BertEncoder;
import java.util.Locale;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sizes a full round's batch by the memory a device has free, so a GPU is filled rather than run at
 * the CPU's batch. A step's memory is what autograd keeps per text and layer (the layer input, q, k,
 * v, the attention context, the two LayerNorm inputs and the feed-forward's input: 8 × hidden per
 * token; GELU's input and output: 2 × 4 × hidden; the attention probabilities: heads × tokens) plus
 * the weights' gradients and AdamW's two moments. On an H200 the estimate was about 1.1× what a step
 * took (trainers/README.md, GPU); only a share of the free memory is planned, as the caching allocator
 * fragments.
 */
public final class TrainingMemory {
  /** Share of the free memory a sized batch plans to use. */
  static final double PLANNED_SHARE = 0.7;
  private static final Logger LOG = LoggerFactory.getLogger(TrainingMemory.class);
  private static final int FLOAT_BYTES = 4;

  private TrainingMemory() {}

  /** Bytes autograd holds for one text of {@code tokens} tokens through the whole encoder. */
  public static long bytesPerText(ModelSpec spec, int tokens) {
    long hidden = spec.hidden(), inner = 4L * spec.hidden(), t = tokens;
    long perLayer = t * (8 * hidden + 2 * inner) + spec.heads() * t * t;
    return FLOAT_BYTES * (spec.layers() * perLayer + 2 * t * hidden);
  }

  /** Bytes a step adds for the weights themselves: their gradients and AdamW's two moments. */
  public static long optimiserBytes(long parameters) {
    return 3 * FLOAT_BYTES * parameters;
  }

  /**
   * The most queries a full round's step can take in {@code freeBytes} (already net of the loaded
   * weights) under {@code config}'s lengths, positives and negatives, never fewer than 2; 0 when
   * not even two fit.
   */
  public static int queriesThatFit(long freeBytes, ModelSpec spec, long parameters, TrainerConfig config) {
    long perQuery = bytesPerText(spec, config.maxQueryTokens())
        + (long) (config.positivesPerQuery() + config.negativesPerQuery()) * bytesPerText(spec, config.maxPassageTokens());
    long usable = (long) (freeBytes * PLANNED_SHARE) - optimiserBytes(parameters);
    long queries = usable / perQuery;
    return queries < 2 ? 0 : (int) Math.min(queries, Integer.MAX_VALUE);
  }

  /**
   * {@code config} with its batch sized by {@code model}'s device when it asks for that ({@link
   * TrainerConfig#batchByMemory}) and the model is on a GPU; unchanged otherwise.
   */
  public static TrainerConfig sized(TrainerConfig config, BertEncoder model) {
    Device device = model.manager().getDevice();
    OptionalLong free = config.batchByMemory() ? freeBytes(device) : OptionalLong.empty();
    if (free.isEmpty()) return config;
    long parameters = model.parameters().values().stream().mapToLong(p -> p.getShape().size()).sum();
    int queries = queriesThatFit(free.getAsLong(), model.spec(), parameters, config);
    if (queries < 2) {
      throw new IllegalStateException(device + " has " + (free.getAsLong() >> 20) + " MB free: not even 2 queries of a full round fit");
    }
    LOG.info(String.format(Locale.ROOT, "batch by memory: %d MB free on %s, %d queries a step", free.getAsLong() >> 20, device, queries));
    return config.toBuilder().batchQueries(queries).build();
  }

  /** Free memory of a GPU now (CUDA's own count, other processes' use included); empty on the CPU. */
  public static OptionalLong freeBytes(Device device) {
    if (!device.isGpu()) return OptionalLong.empty();
    java.lang.management.MemoryUsage usage = CudaUtils.getGpuMemory(device);
    return OptionalLong.of(usage.getMax() - usage.getCommitted());
  }
}
