package dev.attune.streams.scoring;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Scores of pairs scored lately, by a hash of (LLM, question, passage text, answer): the same pair
 * within the TTL is not sent again. Least recently used entries go first. Per task and in memory
 * only: a restart costs re-scoring, nothing else. Thread-safe: scores are put from the HTTP client's threads.
 */
final class ScoreCache {
  private record Entry(double score, long atMs) {}

  private final int capacity;
  private final long ttlMs;
  private final Map<String, Entry> entries;

  ScoreCache(int capacity, long ttlMs) {
    this.capacity = capacity;
    this.ttlMs = ttlMs;
    this.entries = new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Entry> eldest) {
        return size() > ScoreCache.this.capacity;
      }
    };
  }

  static String key(String llm, String question, String passage, String answer) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      for (String part : new String[] {llm, question, passage, answer}) {
        byte[] bytes = part.getBytes(StandardCharsets.UTF_8);
        // Length-prefixed, so ("ab", "c") and ("a", "bc") differ.
        sha.update(java.nio.ByteBuffer.allocate(4).putInt(bytes.length).array());
        sha.update(bytes);
      }
      return HexFormat.of().formatHex(sha.digest(), 0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The remembered score, or null when unknown or older than the TTL. */
  synchronized Double get(String key, long nowMs) {
    if (capacity == 0) return null;
    Entry e = entries.get(key);
    if (e == null) return null;
    if (nowMs - e.atMs() > ttlMs) {
      entries.remove(key);
      return null;
    }
    return e.score();
  }

  synchronized void put(String key, double score, long nowMs) {
    if (capacity > 0) entries.put(key, new Entry(score, nowMs));
  }
}
