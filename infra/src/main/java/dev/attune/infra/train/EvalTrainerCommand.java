package dev.attune.infra.train;

import dev.attune.infra.AttuneCli;
import dev.attune.infra.data.BeirDataset;
import dev.attune.infra.data.QuerySplit;
import dev.attune.infra.demo.DemoConfig;
import dev.attune.infra.replay.LlmOptions;
import dev.attune.infra.replay.LlmScorer;
import dev.attune.infra.replay.OfflineReplay;
import dev.attune.schemas.TrainingExample;
import dev.attune.serving.Corpus;
import dev.attune.serving.ServingNode;
import dev.attune.streams.mining.MiningConfig;
import dev.attune.trainers.eval.Bm25Baseline;
import dev.attune.trainers.eval.RetrievalMetrics;
import dev.attune.trainers.eval.RetrieverEvaluator;
import dev.attune.trainers.model.BertEncoder;
import dev.attune.trainers.model.Encoder;
import dev.attune.trainers.model.ModelSpec;
import dev.attune.trainers.model.OnnxEncoder;
import dev.attune.trainers.model.Progress;
import dev.attune.trainers.task.Tasks;
import dev.attune.trainers.train.ModelRegistry;
import dev.attune.trainers.train.RetrieverTrainer;
import dev.attune.trainers.train.TrainerConfig;
import dev.attune.trainers.train.TrainerServiceConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code attune eval-trainer}: one training round offline, with no broker, to try fine-tuning
 * settings. The demo's traffic is replayed without a service ({@link OfflineReplay}), mined by the
 * mining job's rules ({@link OfflineExamples}), trained on as the trainer service would (the same 10%
 * kept back), and base, trained model and BM25 are compared on evaluation questions that were never
 * traffic. Defaults are the default demo's; retrieval and evaluation use serving's truncation.
 */
@Command(name = "eval-trainer", description = "Train a retriever round offline on replayed questions and print BM25, base and trained model on evaluation questions.")
public final class EvalTrainerCommand implements Callable<Integer> {
  @Option(names = "--queries", description = "BEIR directory; default: the bundled SQuAD dev.") Path queries;
  @Option(names = "--articles", description = "Only the first N articles (0 = all) (default: the default demo's).") Integer articles;
  @Option(names = "--traffic", description = "Questions replayed as traffic (default: the default demo's).") Integer traffic;
  @Option(names = "--eval", description = "Evaluation questions, never traffic (default: the default demo's).") Integer eval;
  @Option(names = "--base-model", defaultValue = "bge-small-en-v1.5", description = AttuneCli.BASE_MODEL) String baseModel;
  @Option(names = "--work-dir", defaultValue = ".attune/eval-trainer") Path workDir;
  @Mixin TrainingOptions training;
  @Mixin LlmOptions llm;

  @Override
  public Integer call() throws Exception {
    DemoConfig demo = DemoConfig.standard(workDir);
    BeirDataset data = BeirDataset.fromDirectoryOrBundled(queries);
    int keptArticles = articles != null ? articles : demo.articles();
    if (keptArticles > 0) data = data.firstArticles(keptArticles);
    QuerySplit split = QuerySplit.of(data.queries(), eval != null ? eval : demo.evalQueries(), 0,
        traffic != null ? traffic : demo.replayQueries());
    TrainerConfig config = training.over(demo.training());
    ModelSpec spec = ModelSpec.resolve(baseModel);
    AttuneCli.deleteTree(workDir);
    ModelRegistry registry = new ModelRegistry(workDir.resolve("models"), spec);
    Tasks tasks = Tasks.defaults();
    List<Corpus.Passage> passages = data.corpus().passages();
    List<String> ids = passages.stream().map(Corpus.Passage::id).toList();
    List<String> texts = passages.stream().map(Corpus.Passage::embeddingText).toList();
    RetrieverEvaluator evaluator = new RetrieverEvaluator(ids, texts, ServingNode.MAX_QUERY_TOKENS, ServingNode.MAX_PASSAGE_TOKENS);
    System.out.printf("%d passages, %d questions as traffic, %d for evaluation; %s%n", passages.size(), split.traffic().size(),
        split.evaluation().size(), TrainingOptions.describe(config));
    Map<String, Double> bm25 = Bm25Baseline.evaluate(ids, texts, split.evaluation());
    List<TrainingExample> examples;
    Map<String, Double> base;
    try (LlmScorer scorer = llm.open(passages.stream().map(Corpus.Passage::text).toList());
        OnnxEncoder encoder = new OnnxEncoder(ModelRegistry.name(0), registry.dir(0), spec, ServingNode.MAX_PASSAGE_TOKENS)) {
      float[][] corpus = embed(evaluator, encoder);
      base = evaluator.evaluate(encoder, corpus, split.evaluation(), tasks);
      print("bm25", bm25);
      print("retriever-v0", base);
      var replayed = OfflineReplay.of(data, corpus, split.traffic(), encoder, scorer, demo.k(), ServingNode.MAX_QUERY_TOKENS);
      OfflineExamples.Mined mined = OfflineExamples.of(replayed, passages, scorer.llmId(), scorer.signalKind(), encoder.version(),
          MiningConfig.defaults());
      examples = mined.examples().stream().filter(e -> !TrainerServiceConfig.heldOut(e.getExampleId(), 10)).toList();
      System.out.printf("mined %d examples (%d kept back as the trainer's held-out slice), no example for %s%n",
          mined.examples().size(), mined.examples().size() - examples.size(), mined.rejections());
    }
    Path trainedDir = registry.dir(1);
    long start = System.nanoTime();
    RetrieverTrainer.Result result;
    try (BertEncoder model = BertEncoder.load(ModelRegistry.name(1), registry.dir(0), spec, config.maxPassageTokens(), BertEncoder.defaultDevice())) {
      RetrieverTrainer trainer = new RetrieverTrainer(config, tasks);
      result = trainer.train(model, examples, null, RetrieverTrainer.StepListener.NONE,
          Progress.every("training", trainer.plannedSteps(examples), 10_000));
      model.save(registry.dir(0), trainedDir);
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    Map<String, Double> trained;
    try (OnnxEncoder encoder = new OnnxEncoder(ModelRegistry.name(1), trainedDir, spec, ServingNode.MAX_PASSAGE_TOKENS)) {
      trained = evaluator.evaluate(encoder, embed(evaluator, encoder), split.evaluation(), tasks);
    }
    System.out.printf(Locale.ROOT, "trained %d steps on %d examples in %.0f s (loss %.3f -> %.3f)%n", result.steps(), result.examples(), seconds,
        result.firstLoss(), result.lastLoss());
    System.out.printf("on %d evaluation questions (exact search, passages <= %d tokens):%n", split.evaluation().size(), ServingNode.MAX_PASSAGE_TOKENS);
    print("bm25", bm25);
    print("retriever-v0", base);
    print("trained", trained);
    return 0;
  }

  private static float[][] embed(RetrieverEvaluator evaluator, Encoder encoder) {
    return evaluator.embedCorpus(encoder, Progress.every("embedding corpus (" + encoder.version() + ")", evaluator.size(), 15_000));
  }

  private static void print(String name, Map<String, Double> m) {
    System.out.printf(Locale.ROOT, "  %-14s recall@5 %.4f  nDCG@10 %.4f  answer recall@5 %.4f%n", name, m.get(RetrievalMetrics.RECALL_5),
        m.get(RetrievalMetrics.NDCG_10), m.get(RetrievalMetrics.ANSWER_RECALL_5));
  }
}
