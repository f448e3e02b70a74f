package dev.attune.streams.mining.rules;

import dev.attune.schemas.FeedbackEpisode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * One LLM's scores for one episode's live passages, on their way to the {@code TeacherAggregation}:
 * ids and scores only (a window holds no texts; they are attached when it closes), and the bytes
 * the passages will add to the distribution record.
 */
public class TeacherObservation {
  private static final Pattern WHITESPACE = Pattern.compile("\\s+");
  public String key;
  public String requestId;
  public String task;
  public String instruction;
  public String query;
  public String llmId;
  public String signalKind;
  public List<String> passageIds = new ArrayList<>();
  public List<Double> scores = new ArrayList<>();
  /** Bytes this observation can add to a distribution record: its ids, texts and query in UTF-8, plus scores. */
  public long bytes;

  public TeacherObservation() {}

  /** One observation per LLM of the episode's teacher signal, over the passages the corpus still holds. */
  public static List<TeacherObservation> of(
      FeedbackEpisode episode, TeacherSignal signal, Function<String, CorpusUpdate> passages) {
    List<TeacherObservation> out = new ArrayList<>();
    var query = episode.getQuery();
    for (Map.Entry<String, Map<String, Double>> llm : signal.perLlm().entrySet()) {
      TeacherObservation o = new TeacherObservation();
      o.key = key(query.getTask(), query.getQuery(), llm.getKey(), signal.kind().name());
      o.requestId = episode.getRequestId();
      o.task = query.getTask();
      o.instruction = query.getInstruction();
      o.query = query.getQuery();
      o.llmId = llm.getKey();
      o.signalKind = signal.kind().name();
      o.bytes = utf8(o.requestId) + utf8(o.query) + utf8(o.instruction) + 64;
      llm.getValue().forEach((id, score) -> {
        CorpusUpdate entry = passages.apply(id);
        if (entry.deleted) return;
        o.passageIds.add(id);
        o.scores.add(score);
        o.bytes += utf8(id) + entry.textBytes() + 32;
      });
      if (!o.passageIds.isEmpty()) out.add(o);
    }
    return out;
  }

  /** UTF-8 length without encoding it: a pair of surrogates counts 4, a lone one 2 (encoded as 1), so never less. */
  static long utf8(String s) {
    if (s == null) return 0;
    long bytes = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      bytes += c < 0x80 ? 1 : c < 0x800 || Character.isSurrogate(c) ? 2 : 3;
    }
    return bytes;
  }

  /** Distributions are per task, normalised query text, LLM and signal kind. */
  public static String key(String task, String query, String llmId, String signalKind) {
    String normalised = WHITESPACE.matcher(query.toLowerCase(Locale.ROOT).trim()).replaceAll(" ");
    return String.join("\u001f", task, normalised, llmId, signalKind);
  }
}
