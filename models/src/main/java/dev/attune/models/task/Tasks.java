package dev.attune.models.task;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.TreeSet;

/**
 * The task catalogue: one instruction and one distillation loss per task, shared by the trainer and
 * the serving layer so a query is embedded the same way in both. Instructions are LLM-Embedder's,
 * except {@code qa}, which has none by default: on SQuAD the BGE query instruction costs about one
 * nDCG point for the pretrained base.
 */
public final class Tasks {
  private final Map<String, TaskSpec> byName;

  private Tasks(Map<String, TaskSpec> byName) {
    this.byName = Collections.unmodifiableMap(new LinkedHashMap<>(byName));
  }

  public static Tasks of(TaskSpec... specs) {
    Map<String, TaskSpec> map = new LinkedHashMap<>();
    for (TaskSpec s : specs) {
      if (map.put(s.name(), s) != null) throw new IllegalArgumentException("task '" + s.name() + "' is declared twice");
    }
    return new Tasks(map);
  }

  public static Tasks defaults() {
    return of(
        new TaskSpec("qa", "", Distillation.STABILISED),
        new TaskSpec("icl", "Convert this example into vector to look for useful examples: ", Distillation.STABILISED),
        new TaskSpec("tool", "Transform this user request for fetching helpful tool descriptions: ", Distillation.NONE),
        new TaskSpec("chat", "Embed this dialogue to find useful historical dialogues: ", Distillation.KL),
        new TaskSpec("convsearch", "Encode this query and context for searching relevant passages: ", Distillation.NONE),
        new TaskSpec("memory", "Embed this text chunk for finding useful historical chunks: ", Distillation.KL));
  }

  /**
   * Reads {@code <task>.instruction} and {@code <task>.distillation} (NONE, KL, STABILISED) from a
   * properties file; tasks it names replace or extend the defaults.
   */
  public static Tasks load(Path file) throws IOException {
    Properties p = new Properties();
    try (Reader in = Files.newBufferedReader(file)) {
      p.load(in);
    }
    Map<String, TaskSpec> map = new LinkedHashMap<>(defaults().byName);
    TreeSet<String> names = new TreeSet<>();
    for (String key : p.stringPropertyNames()) {
      int dot = key.lastIndexOf('.');
      String field = dot < 0 ? "" : key.substring(dot + 1);
      if (!field.equals("instruction") && !field.equals("distillation")) {
        throw new IllegalArgumentException(file + ": key '" + key + "' is not <task>.instruction or <task>.distillation");
      }
      names.add(key.substring(0, dot));
    }
    for (String name : names) {
      TaskSpec base = map.getOrDefault(name, new TaskSpec(name, "", Distillation.KL));
      String distillation = p.getProperty(name + ".distillation", base.distillation().name());
      try {
        map.put(name, new TaskSpec(name, p.getProperty(name + ".instruction", base.queryInstruction()), Distillation.valueOf(distillation.trim())));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(file + ": " + name + ".distillation is '" + distillation + "'; expected NONE, KL or STABILISED", e);
      }
    }
    return new Tasks(map);
  }

  /** The task's spec; unknown tasks get no instruction and KL distillation. */
  public TaskSpec get(String task) {
    TaskSpec spec = byName.get(task);
    return spec != null ? spec : new TaskSpec(task, "", Distillation.KL);
  }

  public boolean contains(String task) {
    return byName.containsKey(task);
  }

  /** Task name to query instruction, as serving uses it. */
  public Map<String, String> instructions() {
    Map<String, String> out = new LinkedHashMap<>();
    byName.forEach((k, v) -> out.put(k, v.queryInstruction()));
    return out;
  }

  public Map<String, TaskSpec> all() {
    return byName;
  }
}
