package dev.attune.infra.cli;

import dev.attune.streams.mining.rules.MiningConfig;
import dev.attune.infra.offline.OfflineExamples;
import dev.attune.infra.bench.PeakMemory;
import dev.attune.infra.data.BeirDataset;
import dev.attune.infra.data.QuerySplit;
import dev.attune.infra.demo.DemoConfig;
import dev.attune.infra.offline.OfflineReplay;
import dev.attune.schemas.TrainingExample;
import dev.attune.serving.Corpus;
import dev.attune.trainers.eval.Bm25Baseline;
import dev.attune.trainers.eval.LlmJudge;
import dev.attune.trainers.eval.LlmScorer;
import dev.attune.trainers.eval.RetrievalMetrics;
import dev.attune.trainers.eval.RetrieverEvaluator;
import dev.attune.trainers.index.IndexCache;
import dev.attune.models.index.IndexSnapshot;
import dev.attune.trainers.model.BertEncoder;
import dev.attune.models.encoder.Encoder;
import dev.attune.models.encoder.ModelSpec;
import dev.attune.models.encoder.OnnxEncoder;
import dev.attune.models.encoder.Progress;
import dev.attune.models.encoder.Truncation;
import dev.attune.models.task.Tasks;
import dev.attune.models.registry.ModelRegistry;
import dev.attune.trainers.train.RetrieverTrainer;
import dev.attune.trainers.train.RoundKind;
import dev.attune.trainers.train.TrainerConfig;
import dev.attune.trainers.train.TrainerServiceConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code attune eval-trainer}: retriever rounds offline, side by side, with no broker, to compare
 * round kinds and try settings. The demo's traffic is replayed without a service ({@link
 * OfflineReplay}: the base's exact top 10, scored by the LLM), mined by the mining job's rules
 * ({@link OfflineExamples}), and the trainer's 10% kept back. Each round kind asked for then trains
 * from the base on the same examples: a query-side round against the base index's own embeddings
 * (nothing re-embedded), a full round on both towers (its index embedded once here, as the trainer
 * does for its decision, and again by serving). BM25, the base and each round's model are scored on
 * evaluation questions that were never traffic: recall@5, nDCG@10 and answer recall@5 on their
 * labels, and LLM utility@5 over one pool, every model's top 10, all scored by the LLM ({@link
 * LlmJudge#pool}). Each round's cost is printed: training time, embedding time, peak resident
 * memory of the round.
 */
@Command(name = "eval-trainer", description = "Train retriever rounds offline (query-side and/or full) on replayed questions; print BM25, base and each round's model on evaluation questions, with each round's time and peak memory.")
public final class EvalTrainerCommand implements Callable<Integer> {
  @Option(names = "--queries", description = "BEIR directory; default: the bundled SQuAD dev.") Path queries;
  @Option(names = "--articles", description = "Only the first N articles (0 = all) (default: the default demo's).") Integer articles;
  @Option(names = "--traffic", description = "Questions replayed as traffic (default: the default demo's).") Integer traffic;
  @Option(names = "--eval", description = "Evaluation questions, never traffic (default: the default demo's).") Integer eval;
  @Option(names = "--rounds", defaultValue = "query,full", split = ",", description = "Round kinds to train side by side: query, full (default: ${DEFAULT-VALUE}).")
  List<String> rounds;
  @CommandLine.Mixin BaseModelOption baseModel;
  @Option(names = "--tasks", description = "Properties file with <task>.instruction and <task>.distillation (NONE, KL, STABILISED); default: the built-in catalogue.")
  Path tasksFile;
  @Option(names = "--work-dir", defaultValue = ".attune/eval-trainer") Path workDir;
  @Option(names = "--index-cache", defaultValue = ".attune/index-cache", description = "Where the base index's embeddings are kept between runs, as the trainer keeps its copy of an index (default: ${DEFAULT-VALUE}).")
  Path indexCache;
  @Mixin TrainingOptions training;
  @Mixin LlmOptions llm;

  /** One line of the table: a model's top 10 per evaluation question and, for a trained one, what its round cost. */
  private record Row(String name, List<List<String>> rankings, double trainSeconds, double embedSeconds, int embedded, long peakRssMb,
      RetrieverTrainer.Result result) {}

  @Override
  public Integer call() throws Exception {
    DemoConfig demo = DemoConfig.standard(workDir);
    BeirDataset data = BeirDataset.fromDirectoryOrBundled(queries);
    int keptArticles = articles != null ? articles : demo.articles();
    if (keptArticles > 0) data = data.firstArticles(keptArticles);
    QuerySplit split = QuerySplit.of(data.queries(), eval != null ? eval : demo.evalQueries(), 0, traffic != null ? traffic : demo.replayQueries());
    TrainerConfig config = training.over(demo.training());
    List<RoundKind> kinds = rounds.stream().map(EvalTrainerCommand::kind).toList();
    ModelSpec spec = baseModel.spec();
    Lifecycle.deleteTree(workDir);
    ModelRegistry registry = new ModelRegistry(workDir.resolve("models"), spec);
    Tasks tasks = tasksFile == null ? Tasks.defaults() : Tasks.load(tasksFile);
    Truncation serving = Truncation.SERVING;
    List<Corpus.Passage> passages = data.corpus().passages();
    List<String> ids = passages.stream().map(Corpus.Passage::id).toList();
    List<String> texts = passages.stream().map(Corpus.Passage::embeddingText).toList();
    RetrieverEvaluator evaluator = new RetrieverEvaluator(ids, texts, serving.queryTokens(), serving.passageTokens());
    System.out.printf("%d passages, %d questions as traffic, %d for evaluation; rounds %s; %s%n", passages.size(), split.traffic().size(),
        split.evaluation().size(), kinds, TrainingOptions.describe(config));
    List<Row> rows = new ArrayList<>();
    try (LlmScorer scorer = llm.open(passages.stream().map(Corpus.Passage::text).toList())) {
      List<RetrievalMetrics.Judged> evaluation = split.evaluation();
      rows.add(new Row("bm25", Bm25Baseline.rank(ids, texts, evaluation), Double.NaN, Double.NaN, 0, -1, null));
      List<TrainingExample> examples;
      IndexSnapshot baseIndex;
      try (OnnxEncoder encoder = new OnnxEncoder(ModelRegistry.name(0), registry.dir(0), spec, serving.passageTokens())) {
        long start = System.nanoTime();
        Map<String, String> corpus = new java.util.LinkedHashMap<>();
        for (int i = 0; i < ids.size(); i++) corpus.put(ids.get(i), texts.get(i));
        // Keyed by the base's name and each passage's text: another base model, or changed passages, are embedded anew.
        baseIndex = new IndexCache(indexCache.resolve(spec.name()), null, name -> open(registry, spec, serving), serving.passageTokens())
            .snapshot(encoder.version(), corpus);
        System.out.printf(Locale.ROOT, "base index: %d passages in %.0f s (embedding it is what serving pays once, at its first start)%n", ids.size(),
            (System.nanoTime() - start) / 1e9);
        rows.add(new Row(encoder.version(), evaluator.rank(encoder, baseIndex.vectors(), evaluation, tasks), Double.NaN, Double.NaN, 0, -1, null));
        var replayed = OfflineReplay.of(data, baseIndex.vectors(), split.traffic(), encoder, scorer, demo.k(), serving.queryTokens());
        OfflineExamples.Mined mined = OfflineExamples.of(replayed, passages, scorer.llmId(), scorer.signalKind(), encoder.version(),
            MiningConfig.defaults());
        examples = mined.examples().stream().filter(e -> !TrainerServiceConfig.heldOut(e.getExampleId(), 10)).toList();
        System.out.printf("mined %d examples (%d kept back as the trainer's held-out slice), no example for %s%n",
            mined.examples().size(), mined.examples().size() - examples.size(), mined.rejections());
      }
      int version = 0;
      for (RoundKind kind : kinds) {
        version++;
        rows.add(round(kind, version, registry, spec, config, tasks, examples, baseIndex, evaluator, evaluation));
      }
      Map<String, String> llmTexts = new java.util.HashMap<>();
      passages.forEach(p -> llmTexts.put(p.id(), p.text()));
      LlmJudge.Filled judged = new LlmJudge(scorer, Integer.MAX_VALUE, 0).pool(evaluation, rows.stream().map(Row::rankings).toList(), llmTexts, 10);
      print(rows, judged.queries(), evaluator.texts(), passages.size());
    }
    return 0;
  }

  private Row round(RoundKind kind, int version, ModelRegistry registry, ModelSpec spec, TrainerConfig config, Tasks tasks,
      List<TrainingExample> examples, IndexSnapshot baseIndex, RetrieverEvaluator evaluator, List<RetrievalMetrics.Judged> evaluation) throws Exception {
    String name = ModelRegistry.name(version);
    String label = kind == RoundKind.QUERY_SIDE ? "query-side (" + config.queryTuning() + ")" : "full";
    boolean measured = PeakMemory.reset();
    long start = System.nanoTime();
    Path dir = registry.dir(version);
    RetrieverTrainer.Result result;
    try (BertEncoder model = BertEncoder.load(name, registry.dir(0), spec, config.maxPassageTokens(), BertEncoder.defaultDevice())) {
      RetrieverTrainer trainer = new RetrieverTrainer(config, tasks);
      if (kind == RoundKind.QUERY_SIDE) {
        result = trainer.trainQuerySide(model, examples, baseIndex, null, RetrieverTrainer.StepListener.NONE,
            Progress.every("training " + name + " " + label, trainer.plannedSteps(examples, baseIndex), 10_000));
      } else {
        result = trainer.train(model, examples, null, RetrieverTrainer.StepListener.NONE,
            Progress.every("training " + name + " " + label, trainer.plannedSteps(examples), 10_000));
      }
      model.save(registry.dir(0), dir);
    }
    double trainSeconds = (System.nanoTime() - start) / 1e9;
    try (OnnxEncoder encoder = new OnnxEncoder(name, dir, spec, Truncation.SERVING.passageTokens())) {
      long embedStart = System.nanoTime();
      // A query-side model searches the base index as it stands; a full one needs its own.
      float[][] vectors = kind == RoundKind.QUERY_SIDE ? baseIndex.vectors() : embed(evaluator, encoder);
      double embedSeconds = kind == RoundKind.QUERY_SIDE ? 0 : (System.nanoTime() - embedStart) / 1e9;
      List<List<String>> rankings = evaluator.rank(encoder, vectors, evaluation, tasks);
      long peak = measured ? PeakMemory.rssMb() : -1;
      System.out.printf(Locale.ROOT, "%s %s: %d steps on %d examples in %.0f s (loss %.3f -> %.3f), index embedding %.0f s, peak RSS %d MB%n", name,
          label, result.steps(), result.examples(), trainSeconds, result.firstLoss(), result.lastLoss(), embedSeconds, peak);
      return new Row(name + " " + label, rankings, trainSeconds, embedSeconds, kind == RoundKind.QUERY_SIDE ? 0 : evaluator.size(), peak, result);
    }
  }

  private static Encoder open(ModelRegistry registry, ModelSpec spec, Truncation serving) {
    try {
      return new OnnxEncoder(ModelRegistry.name(0), registry.dir(0), spec, serving.passageTokens());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static RoundKind kind(String name) {
    return switch (name.trim()) {
      case "query" -> RoundKind.QUERY_SIDE;
      case "full" -> RoundKind.FULL;
      default -> throw new IllegalArgumentException("--rounds takes query and full, not " + name);
    };
  }

  private static float[][] embed(RetrieverEvaluator evaluator, Encoder encoder) {
    return evaluator.embedCorpus(encoder, Progress.every("embedding corpus (" + encoder.version() + ")", evaluator.size(), 15_000));
  }

  private static void print(List<Row> rows, List<RetrievalMetrics.Judged> judged, Map<String, String> texts, int passages) {
    System.out.printf("%non %d evaluation questions, never traffic (exact search over %d passages, <= %d tokens; LLM utility@5 over the pool of every model's top 10):%n",
        judged.size(), passages, Truncation.SERVING.passageTokens());
    System.out.printf("  %-26s %9s %8s %15s %14s %9s %10s %10s %8s%n", "model", "recall@5", "nDCG@10", "answer recall@5", "LLM utility@5",
        "train s", "embed s", "embedded", "peak MB");
    for (Row r : rows) {
      Map<String, Double> m = RetrievalMetrics.evaluate(judged, r.rankings(), texts);
      System.out.printf(Locale.ROOT, "  %-26s %9.4f %8.4f %15.4f %14.4f %9s %10s %10s %8s%n", r.name(), m.get(RetrievalMetrics.RECALL_5),
          m.get(RetrievalMetrics.NDCG_10), m.get(RetrievalMetrics.ANSWER_RECALL_5), m.getOrDefault(RetrievalMetrics.LLM_UTILITY_5, Double.NaN),
          Double.isNaN(r.trainSeconds()) ? "-" : String.format(Locale.ROOT, "%.0f", r.trainSeconds()),
          Double.isNaN(r.embedSeconds()) ? "-" : String.format(Locale.ROOT, "%.0f", r.embedSeconds()),
          r.result() == null ? "-" : String.valueOf(r.embedded()), r.peakRssMb() < 0 ? "-" : String.valueOf(r.peakRssMb()));
    }
    System.out.println("  (a full round's index is embedded again by serving before it is served; a query-side model is served on the live index as is)");
  }
}
