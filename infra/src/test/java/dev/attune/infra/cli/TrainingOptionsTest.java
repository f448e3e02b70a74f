package dev.attune.infra.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.attune.trainers.train.QueryTuning;
import dev.attune.trainers.train.TrainerConfig;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class TrainingOptionsTest {

  private static TrainerConfig parse(TrainerConfig base, String... args) {
    TrainingOptions options = new TrainingOptions();
    new CommandLine(options).parseArgs(args);
    return options.over(base);
  }

  @Test
  void options_left_out_keep_the_commands_settings() {
    TrainerConfig base = TrainerConfig.defaults().withBatch(16, 1, 1).withMaxSteps(40);
    assertEquals(base, parse(base));
  }

  @Test
  void options_given_replace_their_setting_only() {
    TrainerConfig base = TrainerConfig.defaults();
    TrainerConfig c = parse(base, "--batch", "12", "--negatives", "4", "--learning-rate", "5e-5", "--temperature", "0.02",
        "--passage-tokens", "128", "--epochs", "2", "--steps", "90", "--query-tuning", "top:4", "--positive-order", "LLM_FIRST",
        "--distillation-weight", "0.5", "--gradient-chunk", "8");
    assertEquals(new TrainerConfig(12, base.positivesPerQuery(), 4, 90, 2, 5e-5f, base.warmupShare(), base.weightDecay(), 0.02f,
        base.teacherTemperature(), 0.5f, base.maxQueryTokens(), 128, base.checkpointEvery(), base.seed(), TrainerConfig.PositiveOrder.LLM_FIRST,
        QueryTuning.parse("top:4"), base.corpusKeys(), base.neighbourKeys(), 8, false), c);
  }

  @Test
  void batch_auto_sizes_by_memory_and_keeps_the_batch_for_the_cpu() {
    TrainerConfig base = TrainerConfig.defaults();
    TrainerConfig c = parse(base, "--batch", "auto");
    assertEquals(base.toBuilder().batchByMemory(true).build(), c);
    assertThrows(IllegalArgumentException.class, () -> parse(base, "--batch", "lots"));
  }
}
