package dev.attune.infra.cli;

import dev.attune.infra.data.BeirDataset;
import dev.attune.infra.llm.CompletionsServer;
import dev.attune.infra.llm.EndpointFaults;
import dev.attune.infra.replay.UnigramLmScorer;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code attune llm-serve}: the offline stand-in LLM behind the OpenAI-compatible completions protocol. */
@Command(name = "llm-serve", description = "Serve the offline stand-in LLM (unigram answer likelihood) as an OpenAI-compatible completions endpoint with echo + logprobs.")
final class LlmServeCommand implements Callable<Integer> {
  @Option(names = "--corpus", description = "BEIR directory whose corpus fits the model's background statistics; default: the bundled SQuAD dev.") Path corpus;
  @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to listen on (default: ${DEFAULT-VALUE}).") String host;
  @Option(names = "--port", defaultValue = "8090", description = "Port (default: ${DEFAULT-VALUE}).") int port;

  @Override
  public Integer call() throws Exception {
    BeirDataset data = BeirDataset.fromDirectoryOrBundled(corpus);
    UnigramLmScorer model = new UnigramLmScorer(data.corpus().passages().stream().map(p -> p.text()).toList(), UnigramLmScorer.DEFAULT_MU);
    CompletionsServer server = new CompletionsServer(model, host, port, new EndpointFaults());
    System.out.println("llm-serve: " + CompletionsServer.MODEL + " on http://" + host + ":" + server.port() + "/v1/completions");
    Lifecycle.blockUntilInterrupted(() -> {
      server.close();
      System.out.println("llm-serve: " + server.prompts() + " prompts scored, at most " + server.peakInFlight() + " requests at once");
    });
    return 0;
  }
}
