package dev.attune.serving.store;

import java.util.Set;

/**
 * Restricts a search to passages whose title is one of {@code titles} and whose id is one of
 * {@code ids}; an empty set does not restrict.
 */
public record SearchFilter(Set<String> titles, Set<String> ids) {
  public static final SearchFilter NONE = new SearchFilter(Set.of(), Set.of());

  public SearchFilter {
    titles = titles == null ? Set.of() : Set.copyOf(titles);
    ids = ids == null ? Set.of() : Set.copyOf(ids);
  }

  public boolean isEmpty() {
    return titles.isEmpty() && ids.isEmpty();
  }
}
