package dev.attune.infra.cli;

import dev.attune.streams.mining.rules.SilverSearchConfig;
import dev.attune.infra.demo.BridgeTable;
import dev.attune.infra.offline.OfflineSilver;
import dev.attune.infra.data.BeirDataset;
import dev.attune.trainers.eval.LlmScorer;
import dev.attune.schemas.SilverSequence;
import dev.attune.serving.Corpus;
import dev.attune.trainers.bridge.BridgeConfig;
import dev.attune.models.bridge.BridgeExample;
import dev.attune.trainers.bridge.BridgeModel;
import dev.attune.trainers.bridge.BridgeService;
import dev.attune.trainers.bridge.BridgeTrainer;
import dev.attune.models.bridge.CandidateEmbeddings;
import dev.attune.trainers.bridge.PointerDecoder;
import dev.attune.trainers.model.BertEncoder;
import dev.attune.models.encoder.ModelSpec;
import dev.attune.models.encoder.OnnxEncoder;
import dev.attune.models.task.Tasks;
import dev.attune.models.registry.ModelRegistry;
import dev.attune.trainers.train.RetrieverTrainer;
import dev.attune.trainers.train.TrainerServiceConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code attune eval-bridge}: the BGM comparison offline, with no broker. Silver sequences for data-set
 * questions are searched the miner's way ({@link OfflineSilver}), a share is held out, a bridge is
 * trained in both stages on the rest, and the held-out table compares the retriever's top k, the
 * silver sequences, the supervised bridge and the RL bridge.
 */
@Command(name = "eval-bridge", description = "Train a bridge on offline silver sequences and print the held-out comparison: retriever top-k, silver, supervised, supervised+RL.")
public final class EvalBridgeCommand implements Callable<Integer> {
  @Option(names = "--queries", description = "BEIR directory; default: the bundled SQuAD dev.") Path queries;
  @Option(names = "--articles", defaultValue = "4", description = "Only the first N articles (0 = all) (default: ${DEFAULT-VALUE}).") int articles;
  @Option(names = "--limit", defaultValue = "400", description = "Questions used, train and held out (default: ${DEFAULT-VALUE}).") int limit;
  @Option(names = "--holdout", defaultValue = "20", description = "Percent of questions held out (default: ${DEFAULT-VALUE}).") int holdout;
  @Option(names = "--work-dir", defaultValue = ".attune/eval-bridge") Path workDir;
  @Mixin BridgeOptions bridge;
  @Mixin LlmOptions llm;

  @Override
  public Integer call() throws Exception {
    BeirDataset data = BeirDataset.fromDirectoryOrBundled(queries);
    if (articles > 0) data = data.firstArticles(articles);
    var questions = data.queries().subList(0, Math.min(limit, data.queries().size()));
    BridgeConfig config = bridge.config();
    ModelRegistry registry = new ModelRegistry(workDir.resolve("models"), ModelSpec.BGE_SMALL_EN_V15);
    try (LlmScorer scorer = llm.open(data.corpus().passages().stream().map(Corpus.Passage::text).toList());
        OnnxEncoder encoder = new OnnxEncoder("retriever-v0", registry.dir(0), ModelSpec.BGE_SMALL_EN_V15, config.maxPassageTokens())) {
      List<SilverSequence> silver = OfflineSilver.of(data, questions, encoder, scorer, config.candidates(), SilverSearchConfig.defaults(),
          config.maxQueryTokens(), config.maxPassageTokens());
      List<BridgeExample> train = new ArrayList<>();
      List<BridgeExample> heldOut = new ArrayList<>();
      for (SilverSequence s : silver) {
        BridgeExample e = config.example(s);
        if (!BridgeTrainer.usable(e)) continue;
        (TrainerServiceConfig.heldOut(e.id(), holdout) ? heldOut : train).add(e);
      }
      System.out.printf("%d questions, %d silver sequences: %d to train on, %d held out; reward: %s%n",
          questions.size(), silver.size(), train.size(), heldOut.size(), scorer.llmId());
      CandidateEmbeddings embeddings = new CandidateEmbeddings(encoder, Tasks.defaults().instructions(), config.maxQueryTokens(), config.maxPassageTokens(), 200_000);
      PointerDecoder decoder = PointerDecoder.create(encoder.dimension(), config, encoder.version(), BertEncoder.defaultDevice());
      try (BridgeModel model = config.encoderLearningRate() == 0 ? BridgeModel.frozen(decoder) : BridgeModel.fineTuned(decoder,
          BertEncoder.load(encoder.version(), registry.dir(0), ModelSpec.BGE_SMALL_EN_V15, config.maxPassageTokens(), BertEncoder.defaultDevice()),
          registry.dir(0), Tasks.defaults().instructions())) {
        Path dir = workDir.resolve("bridge-v1");
        Lifecycle.deleteTree(dir);
        BridgeService.Comparison comparison = BridgeService.trainAndCompare(config, "bridge-v1", model, train, heldOut, embeddings,
            llm.reward(scorer), dir, null, RetrieverTrainer.StepListener.NONE, bridge.topK(), Map.of(), ModelSpec.BGE_SMALL_EN_V15,
            Tasks.defaults().instructions());
        var r = comparison.result();
        System.out.printf("trained %d supervised steps (loss %.3f -> %.3f), %d RL steps (mean sampled reward %.3f -> %.3f)%n",
            r.supervisedSteps(), r.firstLoss(), r.lastLoss(), r.reinforceSteps(), r.firstReward(), r.lastReward());
        BridgeTable.print("held-out comparison (" + heldOut.size() + " questions; utility = " + llm.reward(scorer).name() + "):",
            comparison.table(), System.out);
      }
    }
    return 0;
  }
}
