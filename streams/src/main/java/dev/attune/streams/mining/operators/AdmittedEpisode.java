package dev.attune.streams.mining.operators;

/**
 * An episode the {@link EpisodeIntake} let through, with how many passages it asked the corpus for:
 * the {@link PreferenceMiner} waits for that many answers without decoding the episode to count them.
 */
public class AdmittedEpisode {
  public RawRecord record;
  public int passages;

  public AdmittedEpisode() {}

  public AdmittedEpisode(RawRecord record, int passages) {
    this.record = record;
    this.passages = passages;
  }
}
