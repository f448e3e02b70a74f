package dev.attune.serving.store;

import java.util.List;

/** Hits read through the active pointer, with the version that answered ({@code null} when no hit says). */
public record VersionedHits(String version, List<SearchHit> hits) {}
