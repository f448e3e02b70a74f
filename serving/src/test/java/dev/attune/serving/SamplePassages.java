package dev.attune.serving;

import java.util.List;

/** A small hand-written corpus of distinct topics, for serving's tests that need a real index but not the data set. */
public final class SamplePassages {
  private SamplePassages() {}

  public static Corpus corpus() {
    return new Corpus(List.of(
        new Corpus.Passage("nile", "Rivers", "The Nile is the longest river in Africa. It flows north into the Mediterranean Sea."),
        new Corpus.Passage("etna", "Volcanoes", "Mount Etna is an active volcano on the east coast of Sicily. It erupts often."),
        new Corpus.Passage("chess", "Chess", "Chess is a board game for two players on a checkered board of 64 squares. It is old."),
        new Corpus.Passage("bees", "Bees", "Honey bees live in colonies with a single queen and thousands of workers. They dance."),
        new Corpus.Passage("sb50", "Super Bowl 50", "The Denver Broncos defeated the Carolina Panthers 24 to 10 to win Super Bowl 50 in February 2016."),
        new Corpus.Passage("tea", "Tea", "Green tea is made from leaves that have not been withered and oxidised. It is popular in East Asia."),
        new Corpus.Passage("piano", "Piano", "The piano was invented in Italy around 1700 by Bartolomeo Cristofori, a maker of harpsichords."),
        new Corpus.Passage("moon", "Moon", "The Moon orbits the Earth about once every 27 days and always shows the same face to it."),
        new Corpus.Passage("rust", "Rust", "Iron rusts when it reacts with oxygen and water, forming a reddish-brown iron oxide."),
        new Corpus.Passage("penguin", "Penguins", "Emperor penguins breed in the Antarctic winter; the males keep the eggs warm on their feet.")));
  }
}
