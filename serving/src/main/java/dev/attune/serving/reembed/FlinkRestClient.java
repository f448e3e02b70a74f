package dev.attune.serving.reembed;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The few calls of Flink's REST API the indexer needs (upload a job jar, run it, watch the job),
 * over plain HTTP: serving stays free of Flink's own client and its dependencies.
 */
public final class FlinkRestClient {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final URI base;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  public FlinkRestClient(URI base) {
    this.base = URI.create(base.toString().replaceAll("/+$", "") + "/");
  }

  /** Uploads {@code jar}; returns the id the cluster knows it by. */
  public String upload(Path jar) throws IOException {
    String boundary = "attune-" + UUID.randomUUID();
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"jarfile\"; filename=\"" + jar.getFileName()
        + "\"\r\nContent-Type: application/x-java-archive\r\n\r\n").getBytes(StandardCharsets.UTF_8));
    body.write(Files.readAllBytes(jar));
    body.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
    JsonNode answer = send(HttpRequest.newBuilder(base.resolve("jars/upload")).header("Content-Type", "multipart/form-data; boundary=" + boundary)
        .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())), "upload " + jar.getFileName());
    String file = answer.path("filename").asText();
    if (file.isEmpty()) throw new IOException("Flink did not accept " + jar + ": " + answer);
    return Path.of(file).getFileName().toString();
  }

  /** Runs the uploaded jar's main class with {@code args}; returns the job id. */
  public String run(String jarId, List<String> args, int parallelism) throws IOException {
    String body = JSON.writeValueAsString(Map.of("programArgsList", args, "parallelism", parallelism));
    JsonNode answer = send(HttpRequest.newBuilder(base.resolve("jars/" + jarId + "/run")).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)), "run " + jarId);
    String job = answer.path("jobid").asText();
    if (job.isEmpty()) throw new IOException("Flink did not start a job from " + jarId + ": " + answer);
    return job;
  }

  /** The job's state as Flink names it (RUNNING, FINISHED, FAILED, ...). */
  public String state(String jobId) throws IOException {
    return send(HttpRequest.newBuilder(base.resolve("jobs/" + jobId)).GET(), "status of " + jobId).path("state").asText();
  }

  /** Records the job's vertex named {@code *vertexNamePart*} has read so far (0 before it starts). */
  public long recordsRead(String jobId, String vertexNamePart) throws IOException {
    long read = 0;
    for (JsonNode v : send(HttpRequest.newBuilder(base.resolve("jobs/" + jobId)).GET(), "status of " + jobId).path("vertices")) {
      if (v.path("name").asText().contains(vertexNamePart)) read += v.path("metrics").path("read-records").asLong();
    }
    return read;
  }

  /** How long the job ran on the cluster, from its start to its end (or to now). */
  public long durationMillis(String jobId) throws IOException {
    return send(HttpRequest.newBuilder(base.resolve("jobs/" + jobId)).GET(), "status of " + jobId).path("duration").asLong();
  }

  /** The job's most recent failure, in a line, for an error message. */
  public String failure(String jobId) {
    try {
      JsonNode answer = send(HttpRequest.newBuilder(base.resolve("jobs/" + jobId + "/exceptions")).GET(), "exceptions of " + jobId);
      JsonNode latest = answer.path("exceptionHistory").path("entries").path(0);
      String trace = latest.path("stacktrace").asText(answer.path("root-exception").asText(""));
      return trace.lines().findFirst().orElse("no exception recorded");
    } catch (IOException e) {
      return "its exceptions could not be read: " + e.getMessage();
    }
  }

  public void cancel(String jobId) throws IOException {
    send(HttpRequest.newBuilder(base.resolve("jobs/" + jobId + "?mode=cancel")).method("PATCH", HttpRequest.BodyPublishers.noBody()),
        "cancel " + jobId);
  }

  private JsonNode send(HttpRequest.Builder request, String what) throws IOException {
    HttpResponse<String> response;
    try {
      response = http.send(request.timeout(Duration.ofMinutes(2)).build(), HttpResponse.BodyHandlers.ofString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(what + " interrupted", e);
    }
    if (response.statusCode() / 100 != 2) {
      throw new IOException("Flink at " + base + " refused to " + what + " (HTTP " + response.statusCode() + "): " + response.body());
    }
    return response.body().isBlank() ? JSON.createObjectNode() : JSON.readTree(response.body());
  }
}
