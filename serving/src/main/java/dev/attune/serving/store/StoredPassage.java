package dev.attune.serving.store;

/** A passage with its embedding, as written to a store. */
public record StoredPassage(String id, String title, String text, float[] vector) {}
