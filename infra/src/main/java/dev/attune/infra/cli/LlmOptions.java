package dev.attune.infra.cli;

import dev.attune.streams.mining.rules.SilverSearchConfig;
import dev.attune.infra.replay.OpenAiCompatibleScorer;
import dev.attune.infra.replay.UnigramLmScorer;
import dev.attune.infra.replay.ScorerReward;
import dev.attune.streams.scoring.CompletionsClient;
import dev.attune.trainers.eval.LlmScorer;

import java.net.URI;
import java.util.List;
import picocli.CommandLine.Option;

/** Which LLM scores passages and sequences: a real one behind an OpenAI-compatible endpoint, or the offline scorer. */
public final class LlmOptions {
  @Option(names = "--llm-endpoint", description = "OpenAI-compatible server (vLLM, llama.cpp) for real answer likelihoods; default: the offline unigram scorer.")
  URI llmEndpoint;

  @Option(names = "--llm-model", defaultValue = "default")
  String llmModel;

  /**
   * The bridge's reward from {@code scorer}: with the offline scorer, the miner's distraction cost per
   * extra passage is added (see {@link ScorerReward}); a real LLM's likelihood stands alone.
   */
  public ScorerReward reward(LlmScorer scorer) {
    return new ScorerReward(scorer, llmEndpoint == null ? SilverSearchConfig.defaults().distraction() : 0);
  }

  /** The chosen scorer; the offline one is fitted on {@code corpusTexts}. The API key comes from {@value CompletionsClient#API_KEY_ENV}. */
  public LlmScorer open(List<String> corpusTexts) {
    return llmEndpoint == null
        ? new UnigramLmScorer(corpusTexts, UnigramLmScorer.DEFAULT_MU)
        : new OpenAiCompatibleScorer(CompletionsClient.Settings.of(llmEndpoint, llmModel));
  }
}
