package dev.attune.infra.demo;

import dev.attune.streams.mining.rules.SilverSearchConfig;
import dev.attune.testkit.StageCounts;

import dev.attune.client.AttuneClient;
import dev.attune.infra.data.BeirDataset;
import dev.attune.infra.data.QuerySplit;
import dev.attune.infra.replay.ScorerReward;
import dev.attune.trainers.bridge.BridgeService;
import dev.attune.trainers.bridge.BridgeServiceConfig;
import dev.attune.trainers.train.RetrieverTrainer;
import dev.attune.infra.replay.Replayer;
import dev.attune.infra.replay.UnigramLmScorer;
import dev.attune.schemas.ModelStatus;
import dev.attune.schemas.ModelVersion;
import dev.attune.serving.Corpus;
import dev.attune.serving.IndexManager;
import dev.attune.serving.RetrievalService;
import dev.attune.trainers.eval.Bm25Baseline;
import dev.attune.trainers.eval.LlmJudge;
import dev.attune.trainers.eval.LlmScorer;
import dev.attune.trainers.eval.RetrievalMetrics;
import dev.attune.models.encoder.Progress;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code attune demo}: the whole loop on embedded defaults. Replays SQuAD questions as traffic,
 * waits for the trainer's decision and the swap, then reports quality on held-out questions that
 * were never replayed, and counts the events of every stage.
 */
public final class Demo {
  static final String BM25 = "bm25 (lexical)";

  /** What a demo run produced; {@link #print} renders it. */
  public record Report(Map<String, Map<String, Double>> qualityByModel, List<ModelVersion> decisions,
      List<IndexManager.Swap> swaps, Replayer.Summary replay, StageCounts counts, double seconds, BridgeReport bridge) {}

  /** The bridge round's outcome (null: no round) and what a bridged request to the API answered (null: not served). */
  public record BridgeReport(BridgeService.Outcome outcome, AttuneClient.Retrieval served) {}

  private final DemoConfig config;

  public Demo(DemoConfig config) {
    this.config = config;
  }

  public Report run() throws Exception {
    long start = System.nanoTime();
    BeirDataset data = BeirDataset.bundled();
    if (config.articles() > 0) data = data.firstArticles(config.articles());
    QuerySplit split = QuerySplit.of(data.queries(), config.evalQueries(), config.referenceQueries(), config.replayQueries());
    List<RetrievalMetrics.Judged> heldOut = split.evaluation();
    List<RetrievalMetrics.Judged> reference = split.reference();
    List<RetrievalMetrics.Judged> replay = split.traffic();
    System.out.printf("data: %d passages, %d questions replayed as traffic, %d held out for evaluation, %d as the trainer's reference set%n",
        data.corpus().passages().size(), replay.size(), heldOut.size(), reference.size());
    Map<String, List<List<String>>> rankings = new ConcurrentHashMap<>();
    List<Corpus.Passage> passages = data.corpus().passages();
    UnigramLmScorer scorer = new UnigramLmScorer(passages.stream().map(Corpus.Passage::text).toList(), UnigramLmScorer.DEFAULT_MU);
    rankings.put(BM25, Bm25Baseline.rank(passages.stream().map(Corpus.Passage::id).toList(),
        passages.stream().map(Corpus.Passage::embeddingText).toList(), heldOut));
    try (LocalStack stack = new LocalStack(config)) {
      stack.start(data.corpus(), reference, config.qdrant(), scorer, swap -> rankings.put(swap.to(), rank(stack.service(), heldOut)));
      // Two users at once: one alone leaves a core idle whenever its request waits on another stage.
      Replayer.Summary summary = Replayer.answering(stack.serviceUri(), stack.adminToken(), scorer.llmId(), config.k())
          .withConcurrency(2).replay(replay, Progress.every("replay", replay.size(), 10_000));
      System.out.println("waiting for the trainer's decision ...");
      long deadline = System.currentTimeMillis() + 30 * 60_000L;
      while (!(stack.decisions().size() >= config.rounds() && swapsDone(stack))) {
        if (!stack.trainerAlive() && stack.decisions().size() < config.rounds()) {
          throw new IllegalStateException("trainer stopped before deciding; see its output above");
        }
        if (System.currentTimeMillis() > deadline) throw new IllegalStateException("no training decision within 30 minutes");
        java.util.concurrent.locks.LockSupport.parkNanos(200_000_000L);
      }
      StageCounts counts = StageCounts.read(stack.kafka(), stack.topics());
      BridgeReport bridge = config.bridge() == null ? null : bridge(stack, scorer, heldOut.get(0).text());
      return new Report(quality(heldOut, rankings, passages, scorer), List.copyOf(stack.decisions()), List.copyOf(stack.swaps()), summary, counts,
          (System.nanoTime() - start) / 1e9, bridge);
    }
  }

  /**
   * Trains a bridge on the silver sequences the miner wrote (once every replayed event is mined), and
   * when it is promoted waits for serving to swap it in and asks the API for a bridged retrieval.
   */
  private BridgeReport bridge(LocalStack stack, UnigramLmScorer scorer, String question) throws Exception {
    long deadline = System.currentTimeMillis() + 5 * 60_000L;
    while (true) {
      StageCounts now = StageCounts.read(stack.kafka(), stack.topics());
      if (now.assemblerBalanced(stack.topics()) && now.minerBalanced(stack.topics())) break;
      if (System.currentTimeMillis() > deadline) throw new IllegalStateException("episodes not all mined within 5 minutes");
      java.util.concurrent.locks.LockSupport.parkNanos(500_000_000L);
    }
    BridgeServiceConfig bridgeConfig = new BridgeServiceConfig(stack.kafka(), stack.topics(), 10, 20,
        BridgeServiceConfig.defaultPromotion(), 5, config.bridge(), config.tasks());
    var outcome = new BridgeService(bridgeConfig, stack.registry(), new ScorerReward(scorer, SilverSearchConfig.defaults().distraction()), RetrieverTrainer.StepListener.NONE).runRound();
    if (outcome.isEmpty() || outcome.get().decision().getStatus() != ModelStatus.PROMOTED) return new BridgeReport(outcome.orElse(null), null);
    String name = outcome.get().decision().getName();
    long swapDeadline = System.currentTimeMillis() + 60_000L;
    while (!stack.service().bridgeVersion().equals(name)) {
      if (System.currentTimeMillis() > swapDeadline) throw new IllegalStateException("serving did not swap in " + name + " within a minute");
      java.util.concurrent.locks.LockSupport.parkNanos(200_000_000L);
    }
    AttuneClient client = new AttuneClient(stack.serviceUri(), stack.adminToken(), java.time.Duration.ofSeconds(30));
    return new BridgeReport(outcome.get(), client.retrieve(AttuneClient.RetrieveRequest.of(question, 5).bridged()));
  }

  private static boolean swapsDone(LocalStack stack) {
    long promoted = stack.decisions().stream().filter(d -> d.getStatus() == ModelStatus.PROMOTED).count();
    return stack.swaps().size() >= 1 + promoted;
  }

  /** Each question's top 10 as the service answers it now; in parallel, as concurrent requests would be. */
  static List<List<String>> rank(RetrievalService service, List<RetrievalMetrics.Judged> queries) {
    return queries.parallelStream()
        .map(q -> service.search(q.text(), q.task(), 10).hits().stream().map(h -> h.id()).toList())
        .toList();
  }

  /** Every model's figures on the evaluation questions; LLM utility@5 over one pool, every model's top 10, scored by the LLM. */
  static Map<String, Map<String, Double>> quality(List<RetrievalMetrics.Judged> questions, Map<String, List<List<String>>> rankings,
      List<Corpus.Passage> passages, LlmScorer llm) {
    Map<String, String> llmTexts = new java.util.HashMap<>();
    Map<String, String> texts = new java.util.HashMap<>();
    passages.forEach(p -> {
      llmTexts.put(p.id(), p.text());
      texts.put(p.id(), p.embeddingText());
    });
    List<String> models = new ArrayList<>(rankings.keySet());
    List<RetrievalMetrics.Judged> judged = new LlmJudge(llm, Integer.MAX_VALUE, 0)
        .pool(questions, models.stream().map(rankings::get).toList(), llmTexts, 10).queries();
    Map<String, Map<String, Double>> out = new java.util.TreeMap<>();
    for (String m : models) out.put(m, RetrievalMetrics.evaluate(judged, rankings.get(m), texts));
    return out;
  }

  /** How the best trained model compares with the base and with BM25 on the evaluation questions. */
  static java.util.Optional<String> qualityBar(Map<String, Map<String, Double>> quality) {
    Map<String, Double> base = quality.get("retriever-v0");
    Map<String, Double> bm25 = quality.get(BM25);
    return quality.entrySet().stream()
        .filter(e -> e.getKey().startsWith("retriever-v") && !e.getKey().equals("retriever-v0"))
        .max(java.util.Comparator.comparingDouble(e -> e.getValue().get(RetrievalMetrics.NDCG_10)))
        .map(best -> {
          double n = best.getValue().get(RetrievalMetrics.NDCG_10), a = best.getValue().get(RetrievalMetrics.ANSWER_RECALL_5);
          return String.format(java.util.Locale.ROOT,
              "quality bar: %s nDCG@10 %+.4f, answer recall@5 %+.4f vs the base (%s); vs BM25 %+.4f, %+.4f (%s)",
              best.getKey(), n - base.get(RetrievalMetrics.NDCG_10), a - base.get(RetrievalMetrics.ANSWER_RECALL_5),
              n > base.get(RetrievalMetrics.NDCG_10) && a > base.get(RetrievalMetrics.ANSWER_RECALL_5) ? "beats the base" : "does not beat the base",
              n - bm25.get(RetrievalMetrics.NDCG_10), a - bm25.get(RetrievalMetrics.ANSWER_RECALL_5),
              n > bm25.get(RetrievalMetrics.NDCG_10) && a > bm25.get(RetrievalMetrics.ANSWER_RECALL_5) ? "passes BM25" : "below BM25");
        });
  }

  public static void print(Report r, PrintStream out) {
    out.println();
    out.println("== Attune demo summary ==");
    out.printf("%-16s %10s %10s %16s %15s%n", "model", "recall@5", "nDCG@10", "answer recall@5", "LLM utility@5");
    r.qualityByModel().entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> out.printf("%-16s %10.4f %10.4f %16.4f %15.4f%n",
        e.getKey(), e.getValue().get(RetrievalMetrics.RECALL_5), e.getValue().get(RetrievalMetrics.NDCG_10),
        e.getValue().get(RetrievalMetrics.ANSWER_RECALL_5), e.getValue().getOrDefault(RetrievalMetrics.LLM_UTILITY_5, Double.NaN)));
    out.println("(evaluation questions never replayed; LLM utility@5 over the pool of every model's top 10, all scored by the LLM)");
    out.println();
    for (ModelVersion d : r.decisions()) {
      out.printf("trained %-14s %s: %s round, %d examples, %d steps, loss %.3f -> %.3f, %.0f s (training %.0f s), lineage %s%n", d.getName(),
          d.getStatus(), d.getIndexVersion() == null ? "full" : "query-side (index retriever-v" + d.getIndexVersion() + ")",
          d.getTrainingExamples(), d.getTrainingSteps(), d.getMetrics().get("first_loss"), d.getMetrics().get("last_loss"),
          d.getMetrics().getOrDefault("round_seconds", Double.NaN), d.getMetrics().getOrDefault("train_seconds", Double.NaN),
          d.getLineage().stream().map(l -> l.getTopic() + "-" + l.getPartition() + "[" + l.getFromOffset() + ".." + l.getUntilOffset() + ")").toList());
      out.printf("  decision: %s%n", d.getReason());
    }
    qualityBar(r.qualityByModel()).ifPresent(out::println);
    for (IndexManager.Swap s : r.swaps()) {
      if (s.kind() == IndexManager.SwapKind.QUERY_ENCODER) {
        out.printf("swap %s -> %s: query encoder only, on index %s (%d passages, none re-embedded), verified and live in %.2fs (smoke recall %.2f)%n",
            s.from(), s.to(), s.index(), s.passages(), s.seconds(), s.smokeRecall());
      } else {
        out.printf("swap %s -> %s: index %s built, %d passages embedded, indexed and verified in %.1fs (smoke recall %.2f, %d corpus changes caught up)%n",
            s.from(), s.to(), s.index(), s.embedded(), s.seconds(), s.smokeRecall(), s.caughtUp());
      }
    }
    out.println();
    out.println("events per topic (committed):");
    r.counts().records().forEach((topic, n) -> out.printf("  %-28s %8d%n", topic, n));
    out.printf("dead letters by stage/reason: %s%n", r.counts().deadLettersByStageAndReason());
    var topics = dev.attune.schemas.Topics.defaults();
    out.printf("assembler: %d in = %d in episodes + %d dead-lettered (%s)%n", r.counts().assemblerInputs(topics),
        r.counts().eventsInEpisodes(), r.counts().assemblerDeadLetters(), r.counts().assemblerBalanced(topics) ? "balanced" : "NOT balanced");
    out.printf("scorer: %d answers = %d scored + %d dead-lettered (%s)%n", r.counts().records().get(topics.answers().name()),
        r.counts().scoredAnswers(), r.counts().scorerAnswerDeadLetters(), r.counts().scorerBalanced(topics) ? "balanced" : "NOT balanced");
    out.printf("miner: %d episodes = %d examples + %d dead-lettered (%s)%n", r.counts().records().get(topics.episodes().name()),
        r.counts().records().get(topics.trainingExamples().name()), r.counts().minerEpisodeDeadLetters(),
        r.counts().minerBalanced(topics) ? "balanced" : "NOT balanced");
    out.printf("replay: %d queries, %d failures; total %.0fs%n", r.replay().queries(), r.replay().failures(), r.seconds());
    if (r.bridge() != null) printBridge(r.bridge(), out);
  }

  private static void printBridge(BridgeReport b, PrintStream out) {
    out.println();
    if (b.outcome() == null) {
      out.println("bridge: not enough silver sequences for a round");
      return;
    }
    ModelVersion d = b.outcome().decision();
    BridgeTable.print(String.format(java.util.Locale.ROOT, "bridge on held-out silver sequences (%s):", d.getReason()), b.outcome().table(), out);
    out.printf("trained %s %s: %d silver sequences, %d steps, loss %.3f -> %.3f, mean sampled reward %.3f -> %.3f, lineage %s%n", d.getName(),
        d.getStatus(), d.getTrainingExamples(), d.getTrainingSteps(), d.getMetrics().get("first_loss"), d.getMetrics().get("last_loss"),
        d.getMetrics().get("first_reward"), d.getMetrics().get("last_reward"),
        d.getLineage().stream().map(l -> l.getTopic() + "-" + l.getPartition() + "[" + l.getFromOffset() + ".." + l.getUntilOffset() + ")").toList());
    if (b.served() != null) {
      out.printf("served: POST /v1/retrieve {\"bridge\": true} -> %s + %s, sequence of retrieval ranks %s (top 5 returned alongside)%n",
          b.served().modelVersion(), b.served().bridgeVersion(), b.served().sequence().stream().map(AttuneClient.Passage::rank).toList());
    }
  }
}
