package dev.attune.infra.cli;

import dev.attune.infra.data.BeirDataset;
import dev.attune.infra.replay.Replayer;
import dev.attune.trainers.eval.LlmScorer;
import dev.attune.models.encoder.Progress;
import java.net.URI;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * {@code attune replay}: drives a running service with a BEIR query set, posting either the LLM's
 * per-passage scores or, with {@code --answers-only}, the answers for {@code attune score}.
 */
@Command(name = "replay", description = "Drive a running service with a BEIR query set: post the LLM's per-passage scores, or with --answers-only the answers, for `attune score` to score.")
final class ReplayCommand implements Callable<Integer> {
  @Option(names = "--service", defaultValue = "http://localhost:8080") URI service;
  @Option(names = "--queries", description = "BEIR directory; default: the bundled SQuAD dev.") Path queries;
  @Option(names = "--limit", defaultValue = "500") int limit;
  @Option(names = "--k", defaultValue = "10") int k;
  @Option(names = "--articles", defaultValue = "0", description = "Only questions about the first N articles, as `corpus load --articles N` loaded (0 = all).") int articles;
  @Option(names = "--token", description = "The API's bearer token; default: $ATTUNE_API_TOKEN.") String token;
  @Option(names = "--concurrency", defaultValue = "1", description = "Questions in flight at once, as that many users would send them.") int concurrency;
  @Option(names = "--answers-only", description = "Post each question's answer instead of scoring passages here: `attune score` computes the LLM's likelihoods.") boolean answersOnly;
  @CommandLine.Mixin LlmOptions llm;

  @Override
  public Integer call() throws Exception {
    BeirDataset data = BeirDataset.fromDirectoryOrBundled(queries);
    if (articles > 0) data = data.firstArticles(articles);
    String bearer = token != null ? token : System.getenv("ATTUNE_API_TOKEN");
    var sample = data.queries().subList(0, Math.min(limit, data.queries().size()));
    try (LlmScorer scorer = answersOnly ? null : llm.open(data.corpus().passages().stream().map(p -> p.text()).toList())) {
      Replayer replayer = answersOnly ? Replayer.answering(service, bearer, llm.llmModel, k) : Replayer.scoring(service, bearer, scorer, k);
      var summary = replayer.withConcurrency(concurrency).replay(sample, Progress.every("replay", sample.size(), 10_000));
      System.out.printf("replayed %d queries, %d feedback events, %d failures%n", summary.queries(), summary.feedbackEvents(), summary.failures());
      return summary.failures() == 0 ? 0 : 1;
    }
  }
}
