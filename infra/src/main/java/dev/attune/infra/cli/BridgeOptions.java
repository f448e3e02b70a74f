package dev.attune.infra.cli;

import dev.attune.trainers.bridge.BridgeConfig;
import picocli.CommandLine.Option;

/** Bridge training settings on the command line; defaults are {@link BridgeConfig#defaults()}. */
public final class BridgeOptions {
  @Option(names = "--sl-epochs", description = "Supervised passes over the silver sequences (default: 30).") Integer supervisedEpochs;
  @Option(names = "--rl-epochs", description = "REINFORCE passes over the queries (default: 60).") Integer reinforceEpochs;
  @Option(names = "--encoder-learning-rate", defaultValue = "0", description = "Fine-tune the retriever encoder with the bridge at this rate, e.g. 2e-5; 0 keeps it frozen (default: ${DEFAULT-VALUE}).") float encoderLearningRate;
  @Option(names = "--top-k", defaultValue = "5", description = "k of the retriever top-k reference, which bridge version 0 serves (default: ${DEFAULT-VALUE}).") int topK;

  public int topK() {
    return topK;
  }

  public BridgeConfig config() {
    BridgeConfig d = BridgeConfig.defaults();
    return d.withEpochs(supervisedEpochs != null ? supervisedEpochs : d.supervisedEpochs(), reinforceEpochs != null ? reinforceEpochs : d.reinforceEpochs())
        .withEncoderLearningRate(encoderLearningRate);
  }
}
