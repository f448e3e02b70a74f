package dev.attune.serving.store;

/** One search result, best first. */
public record SearchHit(String id, String title, String text, float score) {}
