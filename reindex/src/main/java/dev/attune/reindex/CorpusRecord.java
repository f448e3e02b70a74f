package dev.attune.reindex;

/**
 * One change read from the corpus topic: a passage's text, or its deletion, at its offset (the
 * latest offset of a passage id wins; a passage id always lands on the same partition).
 */
public record CorpusRecord(String passageId, long offset, String title, String text, boolean deleted) {
  /** Whichever of two changes of the same passage came later. */
  static CorpusRecord later(CorpusRecord a, CorpusRecord b) {
    return b.offset() > a.offset() ? b : a;
  }
}
