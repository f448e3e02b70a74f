package dev.attune.models.encoder;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TextTokenizerTest {
  @TempDir static Path dir;
  static Path json;

  @BeforeAll
  static void unpack() throws Exception {
    json = dir.resolve("tokenizer.json");
    try (InputStream in = TextTokenizerTest.class.getClassLoader().getResourceAsStream(ModelSpec.BGE_SMALL_EN_V15.name() + "-tokenizer.json")) {
      Files.copy(in, json);
    }
  }

  private static List<String> texts(int from, int to) {
    return IntStream.range(from, to).mapToObj(i -> "question " + i + " about " + "Normandy ".repeat(1 + i % 37)).toList();
  }

  @Test
  void a_long_text_is_cut_to_the_limit_with_its_closing_separator_kept() throws Exception {
    try (TextTokenizer tokenizer = new TextTokenizer(json, 512)) {
      TokenBatch batch = tokenizer.tokenize(List.of("short", "Normandy ".repeat(40)), 16);
      assertThat(batch.length()).isEqualTo(16);
      assertThat(batch.ids()[1][15]).isEqualTo(batch.ids()[0][2]); // [SEP], as after "short"
      assertThat(batch.mask()[0]).containsExactly(1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    }
  }

  @Test
  void a_batch_encoded_in_parts_keeps_its_order() throws Exception {
    List<String> texts = texts(0, 1000); // lengths differ from text to text, so a part out of place would show
    try (TextTokenizer tokenizer = new TextTokenizer(json, 64)) {
      TokenBatch whole = tokenizer.tokenize(texts, 48);
      for (int i = 0; i < texts.size(); i += 50) {
        TokenBatch piece = tokenizer.tokenize(texts.subList(i, i + 50), 48); // below the size worth splitting
        for (int r = 0; r < piece.size(); r++) assertThat(unpadded(whole, i + r)).as("text %d", i + r).isEqualTo(unpadded(piece, r));
      }
    }
  }

  private static long[] unpadded(TokenBatch batch, int row) {
    return Arrays.copyOf(batch.ids()[row], (int) Arrays.stream(batch.mask()[row]).sum());
  }

  @Test
  void prefetched_texts_tokenize_as_they_would_have_and_the_rest_are_tokenized_on_the_spot() throws Exception {
    try (TextTokenizer plain = new TextTokenizer(json, 64); TextTokenizer ahead = new TextTokenizer(json, 64)) {
      ahead.prefetch(texts(0, 200), 48);
      ahead.prefetch(texts(200, 300), 48);
      ahead.prefetch(texts(0, 50), 24); // another length: not used for 48
      List<String> mixed = texts(150, 350); // half from each prefetch, 50 never prefetched
      assertThat(ahead.tokenize(mixed, 48)).usingRecursiveComparison().isEqualTo(plain.tokenize(mixed, 48));
      assertThat(ahead.tokenize(texts(0, 50), 24)).usingRecursiveComparison().isEqualTo(plain.tokenize(texts(0, 50), 24));
    }
  }
}
