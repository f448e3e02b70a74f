package dev.attune.models.artifact;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.attune.models.encoder.Encoder;
import dev.attune.models.encoder.ModelSpec;
import dev.attune.models.encoder.OnnxEncoder;
import dev.attune.models.registry.ModelRegistry;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import org.eclipse.jetty.util.component.AbstractLifeCycle;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Model artifacts through a real S3-compatible server: S3Proxy 2.6.0 (Maven Central) over its
 * filesystem backend, started in the test's process on a free loopback port, SigV4 authentication,
 * reached by the AWS SDK v2 exactly as AWS would be (path-style). A published bge-small version
 * comes back byte for byte and embeds as the original; a corrupted or incomplete artifact is
 * refused; a verified copy is reused.
 */
class S3ArtifactStoreIT {
  private static final String BUCKET = "attune-models";
  @TempDir static Path dir;
  private static BlobStoreContext blobs;
  private static S3Proxy proxy;
  private static URI endpoint;

  @BeforeAll
  static void startServer() throws Exception {
    Properties backend = new Properties();
    backend.setProperty("jclouds.filesystem.basedir", Files.createDirectories(dir.resolve("s3-data")).toString());
    blobs = ContextBuilder.newBuilder("filesystem").credentials("unused", "unused").overrides(backend).build(BlobStoreContext.class);
    proxy = S3Proxy.builder().blobStore(blobs.getBlobStore()).endpoint(URI.create("http://127.0.0.1:0"))
        .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, "attune-access", "attune-secret").build();
    proxy.start();
    await().atMost(Duration.ofSeconds(30)).until(() -> AbstractLifeCycle.STARTED.equals(proxy.getState()));
    endpoint = URI.create("http://127.0.0.1:" + proxy.getPort());
    // The AWS default credentials chain reads these first, as it would read the environment in production.
    System.setProperty("aws.accessKeyId", "attune-access");
    System.setProperty("aws.secretAccessKey", "attune-secret");
    blobs.getBlobStore().createContainerInLocation(null, BUCKET);
  }

  @AfterAll
  static void stopServer() throws Exception {
    if (proxy != null) proxy.stop();
    if (blobs != null) blobs.close();
  }

  private static S3ArtifactStore store(Path cache) {
    return S3ArtifactStore.connect(URI.create("s3://" + BUCKET + "/prod"), endpoint, "us-east-1", cache);
  }

  @Test
  void a_published_version_comes_back_verified_and_runs_as_the_original() throws Exception {
    ModelRegistry trainer = new ModelRegistry(dir.resolve("trainer-models"), ModelSpec.BGE_SMALL_EN_V15, store(dir.resolve("trainer-cache")));
    Path written = trainer.cloneBase(1);

    String uri = trainer.publish("retriever-v1", written);
    ModelRegistry serving = new ModelRegistry(dir.resolve("serving-models"), ModelSpec.BGE_SMALL_EN_V15, store(dir.resolve("serving-cache")));
    Path fetched = serving.fetch(uri);

    assertThat(uri).isEqualTo("s3://" + BUCKET + "/prod/retriever-v1/");
    assertThat(fetched).startsWith(dir.resolve("serving-cache"));
    assertThat(Manifest.of(fetched)).isEqualTo(Manifest.of(written));
    try (Encoder original = new OnnxEncoder("retriever-v1", written, ModelSpec.BGE_SMALL_EN_V15, 64);
        Encoder copy = new OnnxEncoder("retriever-v1", fetched, ModelSpec.of(fetched, ModelSpec.BGE_SMALL_EN_V15), 64)) {
      List<String> texts = List.of("Which team won Super Bowl 50?");
      assertThat(Encoder.cosine(original.embedBatch(texts, 64)[0], copy.embedBatch(texts, 64)[0])).isGreaterThan(0.99999);
    }

    long before = Files.getLastModifiedTime(fetched.resolve(ModelSpec.ONNX_FILE)).toMillis();
    assertThat(serving.fetch(uri)).as("a verified copy is reused").isEqualTo(fetched);
    assertThat(Files.getLastModifiedTime(fetched.resolve(ModelSpec.ONNX_FILE)).toMillis()).isEqualTo(before);
  }

  @Test
  void a_corrupted_object_is_refused() throws Exception {
    Path artifact = Files.createDirectories(dir.resolve("small"));
    Files.writeString(artifact.resolve("bridge.properties"), "hidden=128\n");
    Files.writeString(artifact.resolve("bridge.bin"), "0123456789");
    S3ArtifactStore store = store(dir.resolve("corrupt-cache"));
    URI uri = store.publish("bridge-v7", artifact);
    // Same length, other bytes: only the checksum can tell.
    blobs.getBlobStore().putBlob(BUCKET, blobs.getBlobStore().blobBuilder("prod/bridge-v7/bridge.bin").payload("9876543210".getBytes()).build());

    assertThatThrownBy(() -> store.fetch(uri)).hasMessageContaining("bridge.bin has SHA-256");
    assertThat(dir.resolve("corrupt-cache").resolve("bridge-v7")).doesNotExist();
  }

  @Test
  void an_artifact_without_its_manifest_is_incomplete() throws Exception {
    S3ArtifactStore store = store(dir.resolve("torn-cache"));
    S3Client s3 = S3Client.builder().httpClient(UrlConnectionHttpClient.create()).region(Region.US_EAST_1).endpointOverride(endpoint)
        .forcePathStyle(true).requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED).build();
    // A publisher killed before its last upload: the files are there, the manifest is not.
    s3.putObject(b -> b.bucket(BUCKET).key("prod/retriever-v9/model.onnx"), RequestBody.fromString("partial"));

    assertThatThrownBy(() -> store.fetch(URI.create("s3://" + BUCKET + "/prod/retriever-v9/"))).hasMessageContaining("has no manifest");
  }

  @Test
  void a_version_published_to_a_directory_stays_readable_after_the_move_to_the_object_store() throws Exception {
    Path old = Files.createDirectories(dir.resolve("before-the-move").resolve("retriever-v4"));
    Files.writeString(old.resolve("model.onnx"), "weights");
    String uri = new LocalArtifactStore().publish("retriever-v4", old).toString();
    ModelRegistry moved = new ModelRegistry(dir.resolve("moved-models"), ModelSpec.BGE_SMALL_EN_V15, store(dir.resolve("moved-cache")));

    assertThat(moved.fetch(uri)).isEqualTo(old);
  }
}
