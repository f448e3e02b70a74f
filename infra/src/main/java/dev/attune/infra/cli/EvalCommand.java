package dev.attune.infra.cli;

import dev.attune.infra.data.BeirDataset;
import dev.attune.trainers.eval.Bm25Baseline;
import dev.attune.trainers.eval.RetrievalMetrics;
import dev.attune.trainers.eval.RetrieverEvaluator;
import dev.attune.models.encoder.ModelSpec;
import dev.attune.models.encoder.OnnxEncoder;
import dev.attune.models.encoder.Progress;
import dev.attune.models.task.Tasks;
import dev.attune.models.registry.ModelRegistry;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code attune eval}: retrieval quality of model versions and BM25 on a BEIR-layout set, exact search. */
@Command(name = "eval", description = "Print recall@5, nDCG@10 and answer recall@5 of a model and of BM25 on a BEIR-layout query set (exact search).")
final class EvalCommand implements Callable<Integer> {
  @Option(names = "--queries", description = "BEIR directory (corpus.jsonl, queries.jsonl, qrels/dev.tsv); default: the bundled SQuAD dev.") Path queries;
  @Option(names = "--model", defaultValue = "0", split = ",", description = "Model version numbers, e.g. 0,3 (default: ${DEFAULT-VALUE}, the pretrained base).") List<Integer> models;
  @CommandLine.Mixin ModelsDirOption modelsDir;
  @CommandLine.Mixin BaseModelOption baseModel;
  @Option(names = "--tasks", description = "Task catalogue (properties); default: the built-in one.") Path tasksFile;
  @Option(names = "--articles", defaultValue = "0", description = "Only the first N articles (0 = all).") int articles;
  @Option(names = "--max-passage-tokens", defaultValue = "512") int maxPassageTokens;

  @Override
  public Integer call() throws Exception {
    BeirDataset data = BeirDataset.fromDirectoryOrBundled(queries);
    if (articles > 0) data = data.firstArticles(articles);
    ModelSpec spec = baseModel.spec();
    ModelRegistry registry = modelsDir.registry(spec);
    Tasks tasks = tasksFile == null ? Tasks.defaults() : Tasks.load(tasksFile);
    var passages = data.corpus().passages();
    List<String> ids = passages.stream().map(p -> p.id()).toList();
    List<String> texts = passages.stream().map(p -> p.embeddingText()).toList();
    RetrieverEvaluator evaluator = new RetrieverEvaluator(ids, texts, 64, maxPassageTokens);
    System.out.printf("%d queries, %d passages (exact search)%n", data.queries().size(), passages.size());
    print("bm25 (lexical)", Bm25Baseline.evaluate(ids, texts, data.queries()));
    for (int model : models) {
      // A query-side version searches the index of the version it was trained against: passages come from that one's encoder.
      Path queryDir = registry.dir(model);
      Path passageDir = ModelRegistry.recordedIndex(queryDir)
          .map(index -> registry.dir(Integer.parseInt(index.substring(ModelRegistry.RETRIEVER.length())))).orElse(queryDir);
      try (OnnxEncoder queries = new OnnxEncoder(ModelRegistry.name(model), queryDir, ModelSpec.of(queryDir, spec), maxPassageTokens);
          OnnxEncoder passageEncoder = new OnnxEncoder("index of " + queries.version(), passageDir, ModelSpec.of(passageDir, spec), maxPassageTokens)) {
        float[][] corpus = evaluator.embedCorpus(passageEncoder, Progress.every("embed " + passageEncoder.version(), passages.size(), 10_000));
        print(queries.version(), evaluator.evaluate(queries, corpus, data.queries(), tasks));
      }
    }
    return 0;
  }

  private static void print(String name, Map<String, Double> metrics) {
    System.out.printf("%-16s recall@5 %.4f  nDCG@10 %.4f  answer recall@5 %.4f%n", name, metrics.get(RetrievalMetrics.RECALL_5),
        metrics.get(RetrievalMetrics.NDCG_10), metrics.get(RetrievalMetrics.ANSWER_RECALL_5));
  }
}
