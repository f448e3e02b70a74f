package dev.attune.streams.scoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The budget's parts: sampling, the pair rate and the score cache (time passed in, so nothing waits). */
class BudgetTest {
  private static final long SECOND = 1_000_000_000L;

  @Test
  void sampling_keeps_about_its_fraction_the_same_requests_every_time_and_every_uncertain_one() {
    ScoringBudget budget = ScoringBudget.unlimited().withSampleFraction(0.25);
    long kept = IntStream.range(0, 20_000).filter(i -> budget.samples("req-" + i, false)).count();

    assertThat(kept / 20_000.0).isCloseTo(0.25, within(0.02));
    assertThat(budget.samples("req-7", false)).isEqualTo(budget.samples("req-7", false));
    assertThat(IntStream.range(0, 1_000).allMatch(i -> budget.samples("req-" + i, true))).isTrue();
    assertThatThrownBy(() -> ScoringBudget.unlimited().withSampleFraction(0)).hasMessageContaining("sampleFraction");
  }

  @Test
  void the_rate_passes_a_seconds_burst_then_its_rate_and_keeps_a_reserve_for_uncertain_requests() {
    PairRate rate = new PairRate(10, 0.25, 0);

    assertThat(rate.tryTake(5, false, 0)).isTrue();
    assertThat(rate.tryTake(5, false, 0)).as("5 left, 2.5 of them reserved").isFalse();
    assertThat(rate.tryTake(5, true, 0)).as("the reserve is for uncertain requests").isTrue();
    assertThat(rate.tryTake(1, true, 0)).isFalse();
    assertThat(rate.tryTake(5, true, SECOND / 2)).as("refilled at 10/s").isTrue();
    assertThat(rate.tryTake(5, false, 10 * SECOND)).as("never more than a second's worth held").isTrue();
    assertThat(rate.tryTake(5, false, 10 * SECOND)).isFalse();
  }

  @Test
  void a_request_larger_than_a_seconds_budget_passes_on_a_full_bucket_and_leaves_it_in_debt() {
    PairRate rate = new PairRate(4, 0, 0);

    assertThat(rate.tryTake(10, false, 0)).isTrue();
    assertThat(rate.tryTake(1, false, SECOND)).as("6 in debt, 4 refilled").isFalse();
    assertThat(rate.tryTake(4, false, 3 * SECOND)).isTrue();
    assertThat(new PairRate(0, 0.25, 0).tryTake(1_000_000, false, 0)).as("0 = no cap").isTrue();
  }

  @Test
  void the_cache_forgets_after_its_ttl_and_beyond_its_capacity_and_keys_every_part() {
    ScoreCache cache = new ScoreCache(2, 1_000);
    String a = ScoreCache.key("llm", "q", "passage", "answer");
    cache.put(a, -1.5, 0);

    assertThat(cache.get(a, 999)).isEqualTo(-1.5);
    assertThat(cache.get(a, 1_001)).isNull();
    assertThat(ScoreCache.key("llm", "q", "passag", "eanswer")).isNotEqualTo(a);
    assertThat(ScoreCache.key("other", "q", "passage", "answer")).isNotEqualTo(a);
    cache.put("k1", 1, 0);
    cache.put("k2", 2, 0);
    cache.put("k3", 3, 0);
    assertThat(cache.get("k1", 0)).isNull();
    assertThat(cache.get("k3", 0)).isEqualTo(3.0);
    assertThat(new ScoreCache(0, 1_000)).satisfies(none -> {
      none.put(a, 1, 0);
      assertThat(none.get(a, 0)).isNull();
    });
  }
}
