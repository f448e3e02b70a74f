package dev.attune.serving.reembed;

import dev.attune.schemas.Limits;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What the indexer asks of the re-embedding job (the {@code reindex} module's job jar): embed the
 * corpus topic up to {@code stopOffsets} with the passage encoder of {@code index} (the artifact at
 * {@code artifactUri}) and write it into the index's collection, which the indexer has created.
 * It travels as the job's program arguments, so it holds no secret: the Kafka client properties
 * come from a file on the cluster's machines ({@code kafkaConfig}), the Qdrant API key from the
 * TaskManagers' {@value #QDRANT_API_KEY_ENV}.
 *
 * @param stopOffsets the corpus positions the indexer's snapshot reflects, {@code partition:offset,...}
 * @param artifacts where the artifact is fetched from: {@code local} or {@code s3://bucket[/prefix]}
 * @param s3Endpoint an S3-compatible server's URL, or empty for AWS
 * @param threadsPerSlot ONNX Runtime threads of each parallel embedder
 */
public record ReembedRequest(String bootstrapServers, String kafkaConfig, String corpusTopic, String stopOffsets, Limits limits,
    String index, String artifactUri, String baseModel, String artifacts, String s3Endpoint, String s3Region,
    String qdrantHost, int qdrantGrpcPort, String qdrantAlias, boolean qdrantTls,
    int maxPassageTokens, int embedBatch, int threadsPerSlot, int parallelism) implements Serializable {
  public static final String QDRANT_API_KEY_ENV = "QDRANT_API_KEY";

  /** The job's program arguments. */
  public List<String> toArgs() {
    List<String> out = new ArrayList<>();
    Map<String, String> values = new java.util.LinkedHashMap<>();
    values.put("bootstrap-servers", bootstrapServers);
    values.put("kafka-config", kafkaConfig);
    values.put("corpus-topic", corpusTopic);
    values.put("stop-offsets", stopOffsets);
    values.put("limits", limits.maxEventBytes() + "," + limits.maxRecordBytes() + "," + limits.maxQueryChars() + ","
        + limits.maxPassageChars() + "," + limits.maxListSize());
    values.put("index", index);
    values.put("artifact-uri", artifactUri);
    values.put("base-model", baseModel);
    values.put("artifacts", artifacts);
    values.put("s3-endpoint", s3Endpoint);
    values.put("s3-region", s3Region);
    values.put("qdrant-host", qdrantHost);
    values.put("qdrant-grpc-port", String.valueOf(qdrantGrpcPort));
    values.put("qdrant-alias", qdrantAlias);
    values.put("qdrant-tls", String.valueOf(qdrantTls));
    values.put("max-passage-tokens", String.valueOf(maxPassageTokens));
    values.put("embed-batch", String.valueOf(embedBatch));
    values.put("threads-per-slot", String.valueOf(threadsPerSlot));
    values.put("parallelism", String.valueOf(parallelism));
    values.forEach((k, v) -> {
      out.add("--" + k);
      out.add(v == null ? "" : v);
    });
    return out;
  }

  /** Reads what {@link #toArgs} wrote; a missing argument is an error that names it. */
  public static ReembedRequest parse(String[] args) {
    Map<String, String> v = new HashMap<>();
    for (int i = 0; i < args.length; i++) {
      if (!args[i].startsWith("--") || i + 1 >= args.length) throw new IllegalArgumentException("expected --name value pairs, got " + List.of(args));
      v.put(args[i].substring(2), args[++i]);
    }
    String[] limits = required(v, "limits").split(",");
    if (limits.length != 5) throw new IllegalArgumentException("--limits takes five numbers, got " + v.get("limits"));
    return new ReembedRequest(required(v, "bootstrap-servers"), v.getOrDefault("kafka-config", ""), required(v, "corpus-topic"),
        v.getOrDefault("stop-offsets", ""),
        new Limits(Integer.parseInt(limits[0]), Integer.parseInt(limits[1]), Integer.parseInt(limits[2]), Integer.parseInt(limits[3]),
            Integer.parseInt(limits[4])),
        required(v, "index"), required(v, "artifact-uri"), required(v, "base-model"), v.getOrDefault("artifacts", "local"),
        v.getOrDefault("s3-endpoint", ""), v.getOrDefault("s3-region", "us-east-1"), required(v, "qdrant-host"),
        Integer.parseInt(required(v, "qdrant-grpc-port")), required(v, "qdrant-alias"), Boolean.parseBoolean(v.getOrDefault("qdrant-tls", "false")),
        Integer.parseInt(required(v, "max-passage-tokens")), Integer.parseInt(v.getOrDefault("embed-batch", "32")),
        Integer.parseInt(v.getOrDefault("threads-per-slot", "1")), Integer.parseInt(v.getOrDefault("parallelism", "1")));
  }

  private static String required(Map<String, String> values, String name) {
    String value = values.get(name);
    if (value == null || value.isBlank()) throw new IllegalArgumentException("missing --" + name);
    return value;
  }
}
