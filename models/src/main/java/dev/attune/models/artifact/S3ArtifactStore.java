package dev.attune.models.artifact;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.core.sync.ResponseTransformer;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/**
 * Artifacts on an S3-compatible object store ({@code s3://bucket/prefix/name/}), so trainer and
 * serving share no disk. Publishing uploads every file, then the manifest last: an artifact without
 * a manifest is incomplete and cannot be fetched. Fetching downloads into {@code cache/name}
 * through a temporary directory, checks every file against the manifest, and only then moves it in;
 * a verified copy already there is reused.
 */
public final class S3ArtifactStore implements ArtifactStore {
  private final S3Client s3;
  private final String bucket;
  private final String prefix;
  private final Path cache;

  /** {@code prefix} may be empty; {@code cache} is where fetched artifacts are kept on this machine. */
  public S3ArtifactStore(S3Client s3, String bucket, String prefix, Path cache) {
    this.s3 = s3;
    this.bucket = bucket;
    this.prefix = prefix == null || prefix.isEmpty() ? "" : prefix.endsWith("/") ? prefix : prefix + "/";
    this.cache = cache;
  }

  /**
   * A store at {@code location} ({@code s3://bucket[/prefix]}) through {@code endpoint} (null: AWS
   * itself; an S3-compatible server's URL otherwise, addressed path-style), credentials from the AWS
   * default chain (environment, profile, instance role).
   */
  public static S3ArtifactStore connect(URI location, URI endpoint, String region, Path cache) {
    if (!"s3".equals(location.getScheme()) || location.getHost() == null) {
      throw new IllegalArgumentException("an S3 artifact location is s3://bucket[/prefix], not " + location);
    }
    S3ClientBuilder builder = S3Client.builder().httpClient(UrlConnectionHttpClient.create()).region(Region.of(region))
        .credentialsProvider(DefaultCredentialsProvider.builder().build());
    if (endpoint != null) {
      // S3-compatible servers lag AWS: many refuse the SDK's default trailing checksums (aws-chunked
      // uploads); ask for them only where an operation requires one. Integrity is the manifest's job.
      builder.endpointOverride(endpoint).forcePathStyle(true)
          .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
          .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
    }
    return new S3ArtifactStore(builder.build(), location.getHost(), location.getPath().replaceFirst("^/", ""), cache);
  }

  @Override
  public URI publish(String name, Path dir) throws IOException {
    Manifest manifest = Manifest.of(dir);
    String base = prefix + name + "/";
    for (String file : manifest.files().keySet()) s3.putObject(b -> b.bucket(bucket).key(base + file), RequestBody.fromFile(dir.resolve(file)));
    s3.putObject(b -> b.bucket(bucket).key(base + Manifest.FILE), RequestBody.fromString(manifest.render(), StandardCharsets.UTF_8));
    return URI.create("s3://" + bucket + "/" + base);
  }

  @Override
  public Path fetch(URI uri) throws IOException {
    if (!"s3".equals(uri.getScheme()) || !bucket.equals(uri.getHost())) {
      throw new IllegalArgumentException("artifact " + uri + " is not in s3://" + bucket + "/");
    }
    String base = uri.getPath().replaceFirst("^/", "");
    if (!base.endsWith("/")) base += "/";
    String name = Path.of(base).getFileName().toString();
    Manifest manifest;
    try {
      manifest = Manifest.parse(s3.getObjectAsBytes(b -> b.bucket(bucket).key(baseKey(uri) + Manifest.FILE)).asUtf8String(), uri + Manifest.FILE);
    } catch (NoSuchKeyException e) {
      throw new IOException("artifact " + uri + " has no manifest: it is incomplete or was never published", e);
    }
    Path target = cache.resolve(name);
    if (Files.exists(target.resolve(Manifest.FILE)) && Manifest.read(target).equals(manifest)) {
      manifest.verify(target);
      return target;
    }
    Files.createDirectories(cache);
    Path tmp = cache.resolve(name + ".download-" + UUID.randomUUID());
    try {
      for (Map.Entry<String, Manifest.Entry> e : manifest.files().entrySet()) {
        Path file = tmp.resolve(e.getKey());
        Files.createDirectories(file.getParent());
        s3.getObject(b -> b.bucket(bucket).key(baseKey(uri) + e.getKey()), ResponseTransformer.toFile(file));
      }
      manifest.verify(tmp);
      manifest.writeTo(tmp);
      deleteTree(target);
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
      return target;
    } finally {
      deleteTree(tmp);
    }
  }

  private static String baseKey(URI uri) {
    String path = uri.getPath().replaceFirst("^/", "");
    return path.endsWith("/") ? path : path + "/";
  }

  private static void deleteTree(Path dir) {
    if (!Files.exists(dir)) return;
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + dir, e);
    }
  }
}
