package dev.attune.infra.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.attune.trainers.eval.RetrievalMetrics;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class QuerySplitTest {

  private static String article(RetrievalMetrics.Judged q) {
    String passage = q.relevant().iterator().next();
    return passage.substring(0, passage.lastIndexOf('#'));
  }

  @Test
  void evaluation_and_reference_never_become_traffic_and_every_part_spans_the_corpus() throws Exception {
    BeirDataset data = BeirDataset.bundled().firstArticles(6);
    QuerySplit split = QuerySplit.of(data.queries(), 100, 50, 200);
    assertEquals(100, split.evaluation().size());
    assertEquals(50, split.reference().size());
    assertEquals(200, split.traffic().size());
    Set<String> seen = new HashSet<>();
    for (List<RetrievalMetrics.Judged> part : List.of(split.evaluation(), split.reference(), split.traffic())) {
      for (RetrievalMetrics.Judged q : part) assertTrue(seen.add(q.queryId()), q.queryId() + " is in two parts");
      // The file lists questions article by article; the first 200 would cover about two of the six.
      assertEquals(6, part.stream().map(QuerySplitTest::article).distinct().count());
    }
    assertEquals(split, QuerySplit.of(data.queries(), 100, 50, 200), "the split is fixed");
  }
}
