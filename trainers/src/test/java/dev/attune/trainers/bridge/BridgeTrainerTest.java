package dev.attune.trainers.bridge;

import dev.attune.models.bridge.Bridge;
import dev.attune.models.bridge.DecoderLayout;
import dev.attune.models.bridge.GreedyDecoder;
import dev.attune.models.bridge.BridgeExample;
import dev.attune.models.bridge.CandidateEmbeddings;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.attune.trainers.model.BertEncoder;
import dev.attune.models.encoder.ModelSpec;
import dev.attune.models.encoder.OnnxEncoder;
import dev.attune.models.task.Tasks;
import dev.attune.trainers.train.RetrieverTrainer;
import dev.attune.trainers.train.TrainingCheckpoint;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Both training stages on real bge-small embeddings of a small hand-made question set, and resumption
 * after an injected crash.
 */
class BridgeTrainerTest {
  static final String[][] FACTS = {
      {"Where is the Eiffel Tower?", "The Eiffel Tower is located in Paris, France.", "Paris"},
      {"What is the highest mountain on Earth?", "Mount Everest, in the Himalayas, is the highest mountain on Earth.", "Mount Everest"},
      {"Which ocean is the largest?", "The Pacific is the largest and deepest ocean.", "Pacific"},
      {"At what temperature does water boil at sea level?", "At sea level water boils at 100 degrees Celsius.", "100 degrees"},
      {"In which country is most of the Amazon rainforest?", "Most of the Amazon rainforest lies in Brazil.", "Brazil"},
      {"Who wrote Hamlet?", "The tragedy Hamlet was written by William Shakespeare.", "Shakespeare"},
      {"How many chambers does the human heart have?", "The human heart has four chambers.", "four"},
      {"What is the capital of Japan?", "Tokyo is the capital city of Japan.", "Tokyo"}};
  /** 1 when the first passage holds the answer, less a quarter per extra passage: prefers the answer alone. */
  static final SequenceReward REWARD = new SequenceReward() {
    @Override
    public String name() {
      return "answer-first";
    }

    @Override
    public double reward(BridgeExample e, List<Integer> s) {
      boolean hit = !s.isEmpty() && e.candidates().get(s.get(0)).text().contains(e.answers().get(0));
      return (hit ? 1 : 0) - 0.25 * Math.max(0, s.size() - 1);
    }
  };

  @TempDir static Path dir;
  static OnnxEncoder encoder;
  static CandidateEmbeddings embeddings;

  @BeforeAll
  static void load() throws Exception {
    Path base = ModelSpec.BGE_SMALL_EN_V15.materializeBase(dir.resolve("base"));
    encoder = new OnnxEncoder("retriever-v0", base, ModelSpec.BGE_SMALL_EN_V15, 64);
    embeddings = new CandidateEmbeddings(encoder, Tasks.defaults().instructions(), 32, 64, 10_000);
  }

  @AfterAll
  static void close() {
    encoder.close();
  }

  /** Question i with four candidates, its own fact at rank i mod 4; the silver sequence is that fact. */
  static List<BridgeExample> examples() {
    List<BridgeExample> out = new ArrayList<>();
    for (int i = 0; i < FACTS.length; i++) {
      List<BridgeExample.Passage> candidates = new ArrayList<>();
      for (int j = 1; j <= 3; j++) candidates.add(passage((i + j) % FACTS.length));
      candidates.add(i % 4, passage(i));
      out.add(new BridgeExample("q" + i, "qa", FACTS[i][0], candidates, List.of(i % 4), 1.0, List.of(FACTS[i][2])));
    }
    return out;
  }

  static BridgeExample.Passage passage(int i) {
    return new BridgeExample.Passage("p" + i, null, FACTS[i][1]);
  }

  static BridgeConfig config(int supervised, int reinforce, int checkpointEvery) {
    return new BridgeConfig(4, 3, 2, 32, 4, supervised, 1e-2f, reinforce, 4, 1e-2f, 0.8, 0f, 32, 64, checkpointEvery, 11);
  }

  @Test
  void supervised_stage_learns_the_silver_sequences() throws Exception {
    List<BridgeExample> examples = examples();
    BridgeConfig config = config(40, 0, 0);
    try (PointerDecoder decoder = PointerDecoder.create(encoder.dimension(), config, "retriever-v0", Device.cpu())) {
      BridgeTrainer.Result result = new BridgeTrainer(config).train(BridgeModel.frozen(decoder), examples, embeddings, REWARD, null, null, RetrieverTrainer.StepListener.NONE);
      List<List<Integer>> chosen = new Bridge("bridge-v1", new GreedyDecoder(decoder.layout(), decoder.weights()), embeddings).select(examples);

      assertThat(result.supervisedSteps()).isEqualTo(80);
      assertThat(result.lastLoss()).isLessThan(result.firstLoss() / 4);
      assertThat(chosen).isEqualTo(examples.stream().map(BridgeExample::silver).toList());
    }
  }

  @Test
  void reinforcement_raises_the_reward_of_sampled_sequences() throws Exception {
    BridgeConfig config = config(0, 100, 0);
    try (PointerDecoder decoder = PointerDecoder.create(encoder.dimension(), config, "retriever-v0", Device.cpu())) {
      BridgeTrainer.Result result = new BridgeTrainer(config).train(BridgeModel.frozen(decoder), examples(), embeddings, REWARD, null, null, RetrieverTrainer.StepListener.NONE);
      Map<String, Double> after = BridgeEvaluation.evaluate(examples(), new Bridge("bridge-v1", new GreedyDecoder(decoder.layout(), decoder.weights()), embeddings).select(examples()), REWARD);

      assertThat(result.reinforceSteps()).isEqualTo(200);
      assertThat(result.lastReward()).isGreaterThan(result.firstReward() + 0.3);
      assertThat(after.get(BridgeEvaluation.UTILITY)).isGreaterThan(0.8);
      assertThat(after.get(BridgeEvaluation.LENGTH)).isLessThan(1.3);
    }
  }

  @Test
  void a_killed_run_resumes_at_its_last_checkpoint_and_ends_where_an_unbroken_run_ends(@TempDir Path state) throws Exception {
    BridgeConfig config = config(3, 2, 2);
    float[] unbroken;
    try (PointerDecoder decoder = PointerDecoder.create(encoder.dimension(), config, "retriever-v0", Device.cpu())) {
      new BridgeTrainer(config).train(BridgeModel.frozen(decoder), examples(), embeddings, REWARD, null, null, RetrieverTrainer.StepListener.NONE);
      unbroken = weights(decoder);
    }
    TrainingCheckpoint checkpoint = new TrainingCheckpoint(state.resolve("checkpoint"));
    try (PointerDecoder decoder = PointerDecoder.create(encoder.dimension(), config, "retriever-v0", Device.cpu())) {
      // Injected fault: the real trainer cannot be made to die at a chosen batch otherwise.
      RetrieverTrainer.StepListener crash = (batch, ids, value) -> {
        if (batch == 7) throw new IllegalStateException("injected crash at batch 7");
      };
      assertThatThrownBy(() -> new BridgeTrainer(config).train(BridgeModel.frozen(decoder), examples(), embeddings, REWARD, checkpoint, state.resolve("supervised"), crash))
          .hasMessageContaining("injected crash");
    }
    List<Integer> seen = new ArrayList<>();
    try (PointerDecoder decoder = PointerDecoder.create(encoder.dimension(), config, "retriever-v0", Device.cpu())) {
      BridgeTrainer.Result resumed = new BridgeTrainer(config).train(BridgeModel.frozen(decoder), examples(), embeddings, REWARD, checkpoint, state.resolve("supervised"),
          (batch, ids, value) -> seen.add(batch));

      assertThat(resumed.resumedAt()).as("the checkpoint after batch 6 (an RL batch)").isEqualTo(6);
      assertThat(seen).containsExactly(6, 7, 8, 9);
      assertThat(state.resolve("supervised").resolve(DecoderLayout.WEIGHTS_FILE)).as("saved as the supervised stage ended").exists();
      assertThat(weights(decoder)).containsExactly(unbroken, org.assertj.core.api.Assertions.within(1e-5f));
    }
  }

  @Test
  void fine_tuning_moves_the_encoder_and_the_saved_bridge_carries_it(@TempDir Path out) throws Exception {
    BridgeConfig config = config(2, 1, 0).withEncoderLearningRate(1e-4f);
    Path base = dir.resolve("base");
    String probe = "encoder.layer.0.attention.self.query.weight";
    try (BridgeModel model = BridgeModel.fineTuned(PointerDecoder.create(encoder.dimension(), config, "retriever-v0", Device.cpu()),
        BertEncoder.load("retriever-v0", base, ModelSpec.BGE_SMALL_EN_V15, 64, Device.cpu()), base, Tasks.defaults().instructions())) {
      float[] before = model.parameters().get(probe).toFloatArray();
      List<Integer> batches = new ArrayList<>();
      BridgeTrainer.Result result = new BridgeTrainer(config).train(model, examples(), embeddings, REWARD, null, null,
          (batch, ids, value) -> batches.add(batch));
      model.save(out);

      assertThat(batches).containsExactly(0, 1, 2, 3, 4, 5);
      // A batch whose gradient is not finite is skipped, as in any round (it happens now and then with the encoder
      // fine-tuned: the note of 2026-12-02 names it); the others are applied.
      assertThat(result.supervisedSteps() + result.reinforceSteps()).isBetween(1, 6);
      assertThat(model.parameters().get(probe).toFloatArray()).isNotEqualTo(before);
      assertThat(out.resolve(Bridge.ENCODER_DIR).resolve(ModelSpec.ONNX_FILE)).exists();
      List<List<Integer>> inMemory;
      try (NDManager scope = model.decoder().manager().newSubManager()) {
        NDArray[] qc = model.embed(scope, examples(), null, config);
        inMemory = model.decoder().decode(qc[0], qc[1], new int[] {4, 4, 4, 4, 4, 4, 4, 4}, null);
      }
      try (Bridge saved = Bridge.open("bridge-v1", out, ModelSpec.BGE_SMALL_EN_V15, name -> {
            throw new AssertionError("a bridge with its own encoder must not ask for " + name);
          }, Tasks.defaults().instructions(), 32, 64)) {
        assertThat(saved.select(examples())).as("ONNX Runtime on the written-back encoder and the plain-Java decoder decode like the DJL model").isEqualTo(inMemory);
      }
    }
  }

  static float[] weights(PointerDecoder decoder) {
    List<Float> all = new ArrayList<>();
    decoder.parameters().values().forEach(p -> { for (float f : p.toFloatArray()) all.add(f); });
    float[] out = new float[all.size()];
    for (int i = 0; i < out.length; i++) out[i] = all.get(i);
    return out;
  }
}
