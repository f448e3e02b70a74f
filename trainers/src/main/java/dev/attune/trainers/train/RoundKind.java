package dev.attune.trainers.train;

/** What a retriever round trains, and so what serving must do to serve its candidate. */
public enum RoundKind {
  /** Only the query tower, against the live index's passage embeddings: served by loading one ONNX model, no re-embedding. */
  QUERY_SIDE,
  /** Both towers (one shared encoder): the corpus is re-embedded before the candidate is served. */
  FULL
}
