package dev.attune.streams.mining.rules;

import dev.attune.schemas.SignalKind;
import dev.attune.schemas.TeacherCandidate;
import dev.attune.schemas.TeacherDistribution;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Aggregates the observations of one (task, query, LLM, signal kind) over a window: the mean score
 * per passage, then probabilities softmax(mean / temperature) over the passages.
 */
public class TeacherAccumulator {
  public String key;
  public String task;
  public String instruction;
  public String query;
  public String llmId;
  public String signalKind;
  public long windowStartMs;
  public List<String> requestIds = new ArrayList<>();
  public Map<String, Candidate> candidates = new LinkedHashMap<>();
  /** Upper bound of the encoded distribution's size: every observation's bytes, counted in full. */
  public long bytes;

  /** Running sum of one passage's scores. */
  public static class Candidate {
    public String title;
    public String text;
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
    bytes += o.bytes();
    for (int i = 0; i < o.passageIds.size(); i++) {
      Candidate c = candidates.computeIfAbsent(o.passageIds.get(i), k -> new Candidate());
      c.title = o.titles.get(i);
      c.text = o.texts.get(i);
      c.sum += o.scores.get(i);
      c.count++;
    }
  }

  public TeacherDistribution toRecord(double temperature, long nowMs) {
    List<Map.Entry<String, Candidate>> entries = new ArrayList<>(candidates.entrySet());
    entries.sort(Comparator.comparingDouble((Map.Entry<String, Candidate> e) -> e.getValue().sum / e.getValue().count).reversed());
    double max = entries.isEmpty() ? 0 : mean(entries.get(0).getValue()) / temperature;
    double z = 0;
    for (var e : entries) z += Math.exp(mean(e.getValue()) / temperature - max);
    List<TeacherCandidate> out = new ArrayList<>();
    for (var e : entries) {
      Candidate c = e.getValue();
      double p = Math.exp(mean(c) / temperature - max) / z;
      out.add(new TeacherCandidate(e.getKey(), c.title, c.text, mean(c), c.count, p));
    }
    return TeacherDistribution.newBuilder()
        .setDistributionKey(key)
        .setTask(task)
        .setInstruction(instruction)
        .setQuery(query)
        .setLlmId(llmId)
        .setSignalKind(SignalKind.valueOf(signalKind))
        .setWindowStartMs(windowStartMs)
        .setWindowEndMs(nowMs)
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
