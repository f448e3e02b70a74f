package dev.attune.infra.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.attune.serving.Corpus;
import dev.attune.trainers.eval.RetrievalMetrics;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.GZIPInputStream;

/**
 * A BEIR-layout data set ({@code corpus.jsonl}, {@code queries.jsonl} with {@code metadata.answers},
 * {@code qrels/<split>.tsv}), plain or gzipped, from a directory or from the bundled copy of SQuAD
 * v1.1 dev (CC BY-SA 4.0, see datasets/squad11-dev/ATTRIBUTION.md).
 */
public record BeirDataset(Corpus corpus, List<RetrievalMetrics.Judged> queries) {
  public static final String BUNDLED = "datasets/squad11-dev";
  private static final ObjectMapper JSON = new ObjectMapper();

  private interface Opener {
    InputStream open(String name) throws IOException;
  }

  public static BeirDataset bundled() throws IOException {
    return load(name -> {
      InputStream in = BeirDataset.class.getClassLoader().getResourceAsStream(BUNDLED + "/" + name + ".gz");
      if (in == null) throw new IOException("bundled data set has no " + name);
      return new GZIPInputStream(in);
    });
  }

  /** The BEIR set in {@code dir}, or the bundled SQuAD dev when {@code dir} is null. */
  public static BeirDataset fromDirectoryOrBundled(Path dir) throws IOException {
    return dir == null ? bundled() : fromDirectory(dir);
  }

  public static BeirDataset fromDirectory(Path dir) throws IOException {
    return load(name -> {
      Path plain = dir.resolve(name);
      if (Files.exists(plain)) return Files.newInputStream(plain);
      Path gz = dir.resolve(name + ".gz");
      if (Files.exists(gz)) return new GZIPInputStream(Files.newInputStream(gz));
      throw new IOException("BEIR directory " + dir + " has no " + name + " (or " + name + ".gz)");
    });
  }

  /**
   * A corpus alone, from {@code source}: a BEIR directory (its {@code corpus.jsonl}), or a JSON-lines
   * file of {@code {"_id", "title", "text"}} passages, plain or gzipped.
   */
  public static Corpus corpus(Path source) throws IOException {
    if (Files.isDirectory(source)) return fromDirectory(source).corpus();
    InputStream in = Files.newInputStream(source);
    return readCorpus(source.getFileName().toString().endsWith(".gz") ? new GZIPInputStream(in) : in, source.toString());
  }

  private static Corpus readCorpus(InputStream in, String where) throws IOException {
    List<Corpus.Passage> passages = new ArrayList<>();
    int[] line = {0};
    forEachLine(in, text -> {
      line[0]++;
      JsonNode n;
      try {
        n = JSON.readTree(text);
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        throw new IOException(where + " line " + line[0] + " is not JSON: " + e.getOriginalMessage(), e);
      }
      if (!n.hasNonNull("_id") || !n.hasNonNull("text")) throw new IOException(where + " line " + line[0] + " has no _id or text");
      passages.add(new Corpus.Passage(n.get("_id").asText(), n.path("title").asText(null), n.get("text").asText()));
    });
    return new Corpus(passages);
  }

  private static BeirDataset load(Opener opener) throws IOException {
    List<Corpus.Passage> passages = readCorpus(opener.open("corpus.jsonl"), "corpus.jsonl").passages();
    Map<String, Set<String>> qrels = new LinkedHashMap<>();
    forEachLine(opener.open("qrels/dev.tsv"), line -> {
      String[] f = line.split("\t");
      if (f.length >= 3 && !f[0].equals("query-id") && Integer.parseInt(f[2].trim()) > 0) {
        qrels.computeIfAbsent(f[0], k -> new LinkedHashSet<>()).add(f[1]);
      }
    });
    List<RetrievalMetrics.Judged> queries = new ArrayList<>();
    forEachLine(opener.open("queries.jsonl"), line -> {
      JsonNode n = JSON.readTree(line);
      String id = n.get("_id").asText();
      if (!qrels.containsKey(id)) return;
      List<String> answers = new ArrayList<>(new LinkedHashSet<>(
          JSON.convertValue(n.path("metadata").path("answers"), JSON.getTypeFactory().constructCollectionType(List.class, String.class))));
      queries.add(new RetrievalMetrics.Judged(id, n.get("text").asText(), qrels.get(id), answers));
    });
    return new BeirDataset(new Corpus(passages), queries);
  }

  /** The first {@code articles} articles of a corpus (passage ids {@code Title#n}); 0 keeps all. */
  public static Corpus firstArticles(Corpus corpus, int articles) {
    return articles <= 0 ? corpus : new BeirDataset(corpus, List.of()).firstArticles(articles).corpus();
  }

  private interface LineHandler {
    void accept(String line) throws IOException;
  }

  private static void forEachLine(InputStream in, LineHandler handler) throws IOException {
    try (BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      for (String line; (line = reader.readLine()) != null; ) {
        if (!line.isBlank()) handler.accept(line);
      }
    }
  }

  /** The passages of the first {@code articles} articles (ids are {@code Title#n}) and their queries. */
  public BeirDataset firstArticles(int articles) {
    Set<String> titles = new LinkedHashSet<>();
    List<Corpus.Passage> kept = new ArrayList<>();
    for (Corpus.Passage p : corpus.passages()) {
      String article = p.id().contains("#") ? p.id().substring(0, p.id().lastIndexOf('#')) : p.id();
      if (titles.size() < articles) titles.add(article);
      if (titles.contains(article)) kept.add(p);
    }
    Set<String> ids = new LinkedHashSet<>();
    kept.forEach(p -> ids.add(p.id()));
    List<RetrievalMetrics.Judged> q = queries.stream().filter(j -> ids.containsAll(j.relevant())).toList();
    return new BeirDataset(new Corpus(kept), q);
  }

  public Map<String, String> texts() {
    Map<String, String> texts = new LinkedHashMap<>();
    corpus.passages().forEach(p -> texts.put(p.id(), p.text()));
    return texts;
  }
}
