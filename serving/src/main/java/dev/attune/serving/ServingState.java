package dev.attune.serving;

import dev.attune.models.encoder.Encoder;

/** The encoder and the index it built, swapped as one reference so no request mixes versions. */
public record ServingState(Encoder encoder, String modelVersion, String indexVersion) {}
