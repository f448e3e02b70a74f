package dev.attune.infra.cli;

import dev.attune.models.artifact.ArtifactStore;
import dev.attune.models.encoder.ModelSpec;
import dev.attune.models.registry.ModelRegistry;
import java.net.URI;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The models directory and the artifact store, declared once with one default for every command
 * that takes them: on one machine, serving, the trainers and {@code eval} meet in the same place
 * (the unpacked base, every trained version, the trainers' state); across machines they meet in
 * an object store.
 */
final class ModelsDirOption {
  static final String DEFAULT = ".attune/models";

  @Option(names = "--models-dir", defaultValue = DEFAULT,
      description = "Models directory: the unpacked base, each trained version, the trainers' state (default: ${DEFAULT-VALUE};"
          + " attune demo keeps its own in .attune/demo/models).")
  Path path;
  @Option(names = "--artifacts", defaultValue = "local", description = "Where trained versions are published and fetched from: local"
      + " (they stay in --models-dir; one machine or a shared disk) or s3://bucket[/prefix] (credentials from the AWS default chain:"
      + " AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a profile, a role) (default: ${DEFAULT-VALUE}).")
  String artifacts;
  @Option(names = "--s3-endpoint", description = "An S3-compatible server's URL (MinIO, S3Proxy, Ceph...); default: AWS itself.") URI endpoint;
  @Option(names = "--s3-region", defaultValue = "us-east-1", description = "(default: ${DEFAULT-VALUE}).") String region;

  /** The registry of the models directory, publishing to and fetching from the chosen store (fetched copies under {@code artifacts/}). */
  ModelRegistry registry(ModelSpec spec) {
    return new ModelRegistry(path, spec, ArtifactStore.open(artifacts, endpoint, region, path.resolve("artifacts")));
  }
}
