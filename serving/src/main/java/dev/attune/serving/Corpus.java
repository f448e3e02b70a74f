package dev.attune.serving;

import java.util.List;

/** A passage as served: id, title, text. */
public record Corpus(List<Passage> passages) {
  public record Passage(String id, String title, String text) {
    /** What the encoder embeds. */
    public String embeddingText() {
      return title == null || title.isBlank() ? text : title + ". " + text;
    }
  }
}
