package dev.attune.streams.mining.rules;

import dev.attune.schemas.SignalKind;
import dev.attune.schemas.TeacherCandidate;
import dev.attune.schemas.TeacherDistribution;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Aggregates the observations of one (task, query, LLM, signal kind) over a window: the mean score
 * per passage, then probabilities softmax(mean / temperature) over the passages. It holds passage ids
 * and scores only: the record's texts are the corpus's when the window closes, looked up then, so
 * open windows (checkpointed with the job) stay small however long the texts.
 */
public class TeacherAccumulator {
  public String key;
  public String task;
  public String instruction;
  public String query;
  public String llmId;
  public String signalKind;
  public long windowStartMs;
  /** When the window closed (0 while open). */
  public long windowEndMs;
  public List<String> requestIds = new ArrayList<>();
  public Map<String, Candidate> candidates = new LinkedHashMap<>();
  /** Upper bound of the encoded distribution's size: every observation's bytes, counted in full. */
  public long bytes;

  /** Running sum of one passage's scores. */
  public static class Candidate {
    public double sum;
    public int count;
  }

  public TeacherAccumulator() {}

  public static TeacherAccumulator start(TeacherObservation first, long nowMs) {
    TeacherAccumulator acc = new TeacherAccumulator();
    acc.key = first.key;
    acc.task = first.task;
    acc.instruction = first.instruction;
    acc.query = first.query;
    acc.llmId = first.llmId;
    acc.signalKind = first.signalKind;
    acc.windowStartMs = nowMs;
    return acc;
  }

  /** Adds an observation; a request already counted (a duplicate) is ignored. */
  public void add(TeacherObservation o) {
    if (requestIds.contains(o.requestId)) return;
    requestIds.add(o.requestId);
    bytes += o.bytes;
    for (int i = 0; i < o.passageIds.size(); i++) {
      Candidate c = candidates.computeIfAbsent(o.passageIds.get(i), k -> new Candidate());
      c.sum += o.scores.get(i);
      c.count++;
    }
  }

  /** Closes the window at {@code nowMs}. */
  public TeacherAccumulator close(long nowMs) {
    windowEndMs = nowMs;
    return this;
  }

  /** Names this window among all windows of all keys: its key, when it opened and its first request. */
  public String id() {
    return String.join("\u001f", key, Long.toString(windowStartMs), requestIds.get(0));
  }

  /**
   * The distribution over the passages {@code passages} still holds (deleted or unknown ones left out,
   * the probabilities over the rest), with their texts; null when none is left.
   */
  public TeacherDistribution toRecord(double temperature, Function<String, CorpusUpdate> passages) {
    List<Map.Entry<String, Candidate>> entries = new ArrayList<>();
    for (var e : candidates.entrySet()) {
      CorpusUpdate passage = passages.apply(e.getKey());
      if (passage != null && !passage.deleted) entries.add(e);
    }
    if (entries.isEmpty()) return null;
    entries.sort(Comparator.comparingDouble((Map.Entry<String, Candidate> e) -> e.getValue().sum / e.getValue().count).reversed());
    double max = entries.isEmpty() ? 0 : mean(entries.get(0).getValue()) / temperature;
    double z = 0;
    for (var e : entries) z += Math.exp(mean(e.getValue()) / temperature - max);
    List<TeacherCandidate> out = new ArrayList<>();
    for (var e : entries) {
      Candidate c = e.getValue();
      double p = Math.exp(mean(c) / temperature - max) / z;
      CorpusUpdate passage = passages.apply(e.getKey());
      out.add(new TeacherCandidate(e.getKey(), passage.title(), passage.text(), mean(c), c.count, p));
    }
    return TeacherDistribution.newBuilder()
        .setDistributionKey(key)
        .setTask(task)
        .setInstruction(instruction)
        .setQuery(query)
        .setLlmId(llmId)
        .setSignalKind(SignalKind.valueOf(signalKind))
        .setWindowStartMs(windowStartMs)
        .setWindowEndMs(windowEndMs)
        .setEpisodes(requestIds.size())
        .setRequestIds(new ArrayList<>(requestIds))
        .setTemperature(temperature)
        .setCandidates(out)
        .build();
  }

  private static double mean(Candidate c) {
    return c.sum / c.count;
  }
}
