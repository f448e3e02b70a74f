package dev.attune.models.encoder;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** WordPiece tokenizer from a Hugging Face {@code tokenizer.json}, truncating per call. */
public final class TextTokenizer implements AutoCloseable {
  private final HuggingFaceTokenizer tokenizer;

  public TextTokenizer(Path tokenizerJson, int maxLength) throws IOException {
    this.tokenizer =
        HuggingFaceTokenizer.newInstance(
            tokenizerJson,
            Map.of(
                "maxLength", String.valueOf(maxLength),
                "truncation", "true",
                "padding", "false",
                "addSpecialTokens", "true"));
  }

  /** Tokenizes, truncating each text to {@code maxLength} tokens (special tokens included). */
  public TokenBatch tokenize(List<String> texts, int maxLength) {
    Encoding[] encodings = tokenizer.batchEncode(texts);
    int longest = 1;
    for (Encoding e : encodings) longest = Math.max(longest, Math.min(e.getIds().length, maxLength));
    long[][] ids = new long[texts.size()][longest];
    long[][] mask = new long[texts.size()][longest];
    long[][] types = new long[texts.size()][longest];
    for (int i = 0; i < encodings.length; i++) {
      long[] source = encodings[i].getIds();
      int n = Math.min(source.length, longest);
      System.arraycopy(source, 0, ids[i], 0, n);
      if (source.length > n) ids[i][n - 1] = source[source.length - 1]; // keep [SEP] when cut
      for (int j = 0; j < n; j++) mask[i][j] = 1;
    }
    return new TokenBatch(ids, mask, types);
  }

  @Override
  public void close() {
    tokenizer.close();
  }
}
