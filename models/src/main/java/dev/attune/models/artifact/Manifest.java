package dev.attune.models.artifact;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * What an artifact holds: every file's path (relative, '/'-separated), size and SHA-256, written as
 * {@value #FILE} next to the files. A copy is only used once every file matches it, so a torn upload
 * or a corrupted download is refused, never served.
 *
 * @param files relative path → entry
 */
public record Manifest(Map<String, Entry> files) {
  public static final String FILE = "attune-artifact.sha256";

  /** One file: its size in bytes and its SHA-256, hex. */
  public record Entry(long size, String sha256) {}

  public Manifest {
    files = Map.copyOf(files);
  }

  /** The manifest of every regular file under {@code dir} (the manifest itself excluded). */
  public static Manifest of(Path dir) throws IOException {
    Map<String, Entry> files = new TreeMap<>();
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path f : walk.filter(Files::isRegularFile).toList()) {
        String name = relative(dir, f);
        if (!name.equals(FILE) && !name.endsWith(".part")) files.put(name, new Entry(Files.size(f), sha256(f)));
      }
    }
    if (files.isEmpty()) throw new IOException("artifact directory " + dir + " holds no files");
    return new Manifest(files);
  }

  static String relative(Path dir, Path file) {
    return dir.relativize(file).toString().replace('\\', '/');
  }

  public static String sha256(Path file) throws IOException {
    try (InputStream in = new DigestInputStream(Files.newInputStream(file), digest())) {
      in.transferTo(java.io.OutputStream.nullOutputStream());
      return HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
    }
  }

  private static MessageDigest digest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** {@code sha256  size  path} per line, as {@code sha256sum} prints (plus the size). */
  public String render() {
    StringBuilder out = new StringBuilder();
    files.entrySet().stream().sorted(Map.Entry.comparingByKey())
        .forEach(e -> out.append(e.getValue().sha256()).append("  ").append(e.getValue().size()).append("  ").append(e.getKey()).append('\n'));
    return out.toString();
  }

  public static Manifest parse(String text, String where) {
    Map<String, Entry> files = new TreeMap<>();
    for (String line : text.split("\n")) {
      if (line.isBlank()) continue;
      String[] f = line.split(" {2}", 3);
      if (f.length != 3 || f[0].length() != 64) throw new IllegalArgumentException(where + " is not an artifact manifest: '" + line + "'");
      if (f[2].startsWith("/") || List.of(f[2].split("/")).contains("..")) throw new IllegalArgumentException(where + " names a path outside the artifact: " + f[2]);
      files.put(f[2], new Entry(Long.parseLong(f[1]), f[0]));
    }
    if (files.isEmpty()) throw new IllegalArgumentException(where + " lists no files");
    return new Manifest(files);
  }

  /** Writes this manifest into {@code dir}, atomically. */
  public void writeTo(Path dir) throws IOException {
    Path tmp = dir.resolve(FILE + ".part");
    Files.writeString(tmp, render(), StandardCharsets.UTF_8);
    Files.move(tmp, dir.resolve(FILE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  public static Manifest read(Path dir) throws IOException {
    Path file = dir.resolve(FILE);
    return parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
  }

  /** Checks every listed file under {@code dir}: present, of its size and hash. */
  public void verify(Path dir) {
    try {
      for (Map.Entry<String, Entry> e : files.entrySet()) {
        Path f = dir.resolve(e.getKey());
        if (!Files.isRegularFile(f)) throw new IllegalStateException("artifact " + dir + " lacks " + e.getKey());
        if (Files.size(f) != e.getValue().size()) {
          throw new IllegalStateException("artifact file " + f + " has " + Files.size(f) + " bytes, its manifest says " + e.getValue().size());
        }
        String actual = sha256(f);
        if (!actual.equals(e.getValue().sha256())) {
          throw new IllegalStateException("artifact file " + f + " has SHA-256 " + actual + ", its manifest says " + e.getValue().sha256());
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot verify artifact " + dir, e);
    }
  }
}
