package dev.attune.models.task;

/** How a task's examples learn from the LLM's teacher scores, next to the contrastive loss on positives. */
public enum Distillation {
  /** Contrastive loss on positives only (human labels and the LLM's top picks as hard targets). */
  NONE,
  /** KL(softmax(teacher / T) ‖ softmax(student / τ)) over each query's own candidates (LLM-Embedder). */
  KL,
  /**
   * LLM-Embedder's rank-based stabilised distillation: one cross-entropy term per teacher rank,
   * higher-ranked own candidates masked, weighted by the teacher's softmax. Robust to noisy absolute
   * rewards; the paper uses it for QA and in-context examples.
   */
  STABILISED
}
