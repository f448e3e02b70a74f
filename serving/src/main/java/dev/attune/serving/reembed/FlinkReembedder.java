package dev.attune.serving.reembed;

import dev.attune.models.encoder.Progress;
import dev.attune.schemas.KafkaSettings;
import dev.attune.schemas.Limits;
import dev.attune.serving.store.QdrantVectorStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Has a Flink cluster embed a full round's index: the indexer creates the collection, this submits
 * the re-embedding job (the {@code reindex} module's job jar) with the corpus positions the
 * indexer's snapshot reflects and waits for it to finish; the indexer then catches the index up,
 * verifies it and swaps, as after a build of its own. Embedding runs on every TaskManager slot
 * instead of in the serving process.
 */
public final class FlinkReembedder implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(FlinkReembedder.class);
  private static final Set<String> ENDED = Set.of("FINISHED", "FAILED", "CANCELED", "SUSPENDED");
  private static final Duration POLL = Duration.ofSeconds(1);
  /** The job's embedding stage, by the name {@code ReembedJob} gives it. */
  private static final String EMBED_VERTEX = "embed-into-";

  /**
   * The cluster and how the job runs on it.
   *
   * @param rest the JobManager's REST endpoint, e.g. {@code http://jobmanager:8081}
   * @param jobJar the re-embedding job jar ({@code reindex/target/attune-reindex-*-job.jar})
   * @param kafkaConfigOnCluster a Kafka client properties file present on the cluster's machines (security settings), or empty
   * @param artifacts the store trained versions are fetched from ({@code local} or {@code s3://bucket[/prefix]}), as the indexer's
   * @param s3Endpoint an S3-compatible server's URL, or empty for AWS
   */
  public record Config(URI rest, Path jobJar, int parallelism, int threadsPerSlot, Duration timeout, String kafkaConfigOnCluster,
      String artifacts, String s3Endpoint, String s3Region) {
    public Config {
      if (!Files.isRegularFile(jobJar)) throw new IllegalArgumentException("no re-embedding job jar at " + jobJar + " (build the reindex module)");
      if (parallelism < 1 || threadsPerSlot < 1) throw new IllegalArgumentException("parallelism and threads per slot must be >= 1");
    }
  }

  /** One finished job. */
  public record Run(String jobId, double seconds) {}

  private final Config config;
  private final FlinkRestClient flink;
  private final KafkaSettings kafka;
  private final String corpusTopic;
  private final Limits limits;
  private final QdrantVectorStore.Config qdrant;
  private final String baseModel;
  private final int maxPassageTokens;
  private final int embedBatch;
  private String jarId;
  /** The job being waited for, so a stopping indexer can cancel it rather than leave it writing. */
  private volatile String running;
  private volatile boolean closed;

  public FlinkReembedder(Config config, KafkaSettings kafka, String corpusTopic, Limits limits, QdrantVectorStore.Config qdrant, String baseModel,
      int maxPassageTokens, int embedBatch) {
    this.config = config;
    this.flink = new FlinkRestClient(config.rest());
    this.kafka = kafka;
    this.corpusTopic = corpusTopic;
    this.limits = limits;
    this.qdrant = qdrant;
    this.baseModel = baseModel;
    this.maxPassageTokens = maxPassageTokens;
    this.embedBatch = embedBatch;
    if (!kafka.client().isEmpty() && config.kafkaConfigOnCluster().isEmpty()) {
      LOG.warn("this indexer's Kafka client properties are not sent to the Flink cluster (they may hold secrets);"
          + " give the re-embedding job a properties file on the cluster's machines if the broker needs them");
    }
  }

  /** The request for {@code index}: the corpus up to {@code corpusPositions}, embedded by the artifact at {@code artifactUri}. */
  public ReembedRequest request(String index, String artifactUri, String corpusPositions) {
    return new ReembedRequest(kafka.bootstrapServers(), config.kafkaConfigOnCluster(), corpusTopic, corpusPositions, limits, index, artifactUri,
        baseModel, config.artifacts(), config.s3Endpoint(), config.s3Region(), qdrant.host(), qdrant.grpcPort(), qdrant.alias(), qdrant.tls(),
        maxPassageTokens, embedBatch, config.threadsPerSlot(), config.parallelism());
  }

  /**
   * Runs the job for {@code request} to its end, showing how many of the {@code passages} expected
   * its writers have taken; throws, naming the job's failure, unless it finished.
   */
  public synchronized Run embed(ReembedRequest request, int passages) {
    long start = System.nanoTime();
    String job;
    try {
      job = submit(request);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot submit the re-embedding job for " + request.index() + " to " + config.rest() + ": " + e.getMessage(), e);
    }
    running = job;
    try {
      if (closed) cancelQuietly(job);
      return awaitEnd(request, job, start, Progress.every("embed " + request.index() + " on the cluster", passages, 15_000));
    } finally {
      running = null;
    }
  }

  /**
   * The indexer is stopping: the job {@link #embed} waits for, if any, is cancelled (its wait then
   * ends with the job CANCELED), and so is one submitted from now on. A restarted indexer drops the
   * unfinished index and asks for a new build.
   */
  @Override
  public void close() {
    closed = true;
    String job = running;
    if (job != null) cancelQuietly(job);
  }

  private Run awaitEnd(ReembedRequest request, String job, long start, Progress progress) {
    LOG.info(String.format(Locale.ROOT, "re-embedding %s on the Flink cluster at %s: job %s, parallelism %d", request.index(), config.rest(), job,
        config.parallelism()));
    long deadline = System.nanoTime() + config.timeout().toNanos();
    String state = "";
    while (!ENDED.contains(state)) {
      if (System.nanoTime() > deadline) {
        cancelQuietly(job);
        throw new IllegalStateException("the re-embedding job " + job + " for " + request.index() + " did not finish within " + config.timeout()
            + " (cancelled)");
      }
      try {
        Thread.sleep(POLL.toMillis());
        state = flink.state(job);
        long taken = flink.recordsRead(job, EMBED_VERTEX) - progress.done();
        if (taken > 0) progress.advance(taken);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        cancelQuietly(job);
        throw new IllegalStateException("interrupted while re-embedding " + request.index(), e);
      } catch (IOException e) {
        // The JobManager may be restarting; the deadline bounds the wait.
        LOG.warn("cannot read the state of re-embedding job {}: {}", job, e.getMessage());
      }
    }
    if (closed && !state.equals("FINISHED")) {
      throw new IllegalStateException("the re-embedding job " + job + " for " + request.index() + " was cancelled: the indexer is stopping");
    }
    if (!state.equals("FINISHED")) {
      throw new IllegalStateException("the re-embedding job " + job + " for " + request.index() + " ended " + state + ": " + flink.failure(job));
    }
    return new Run(job, (System.nanoTime() - start) / 1e9);
  }

  /** Uploads the jar once per process; again if the cluster forgot it (a JobManager restart). */
  private String submit(ReembedRequest request) throws IOException {
    if (jarId == null) jarId = flink.upload(config.jobJar());
    try {
      return flink.run(jarId, request.toArgs(), config.parallelism());
    } catch (IOException e) {
      if (!e.getMessage().contains("HTTP 404") && !e.getMessage().contains("could not be found")) throw e;
      jarId = flink.upload(config.jobJar());
      return flink.run(jarId, request.toArgs(), config.parallelism());
    }
  }

  private void cancelQuietly(String job) {
    try {
      flink.cancel(job);
    } catch (IOException e) {
      LOG.warn("cannot cancel re-embedding job {}: {}", job, e.getMessage());
    }
  }
}
