package dev.attune.models.encoder;

/** Token ids, attention mask and token types of a batch, padded to its longest member. */
public record TokenBatch(long[][] ids, long[][] mask, long[][] types) {
  public int size() {
    return ids.length;
  }

  public int length() {
    return ids.length == 0 ? 0 : ids[0].length;
  }

  public long[] flat(long[][] rows) {
    long[] flat = new long[size() * length()];
    for (int i = 0; i < rows.length; i++) System.arraycopy(rows[i], 0, flat, i * length(), length());
    return flat;
  }
}
