package dev.attune.schemas;

import java.util.List;
import java.util.Map;

/**
 * Every topic Attune reads or writes, declared once. Names can be prefixed (e.g. per environment or
 * per test) with {@link #withPrefix(String)}; the default prefix is {@code attune.}.
 */
public record Topics(
    Topic<QueryEvent> queries,
    Topic<RetrievalEvent> retrievals,
    Topic<LlmFeedbackEvent> llmFeedback,
    Topic<HumanFeedbackEvent> humanFeedback,
    Topic<PassageEvent> corpus,
    Topic<FeedbackEpisode> episodes,
    Topic<TrainingExample> trainingExamples,
    Topic<SilverSequence> silverSequences,
    Topic<TeacherDistribution> teacherDistributions,
    Topic<PreferenceStats> preferenceStats,
    Topic<ModelVersion> modelVersions,
    Topic<DeadLetter> deadLetters,
    Topic<AnswerEvent> answers) {

  public static final String DEFAULT_PREFIX = "attune.";

  private static final Map<String, String> COMPACTED = Map.of("cleanup.policy", "compact");
  private static final Map<String, String> KEEP_FOREVER = Map.of("retention.ms", "-1");

  public static Topics defaults() {
    return withPrefix(DEFAULT_PREFIX);
  }

  public static Topics withPrefix(String prefix) {
    return new Topics(
        new Topic<>(prefix + "queries", QueryEvent.class, Map.of()),
        new Topic<>(prefix + "retrievals", RetrievalEvent.class, Map.of()),
        new Topic<>(prefix + "llm-feedback", LlmFeedbackEvent.class, Map.of()),
        new Topic<>(prefix + "human-feedback", HumanFeedbackEvent.class, Map.of()),
        new Topic<>(prefix + "corpus", PassageEvent.class, COMPACTED),
        new Topic<>(prefix + "episodes", FeedbackEpisode.class, Map.of()),
        new Topic<>(prefix + "training-examples", TrainingExample.class, KEEP_FOREVER),
        new Topic<>(prefix + "silver-sequences", SilverSequence.class, KEEP_FOREVER),
        new Topic<>(prefix + "teacher-distributions", TeacherDistribution.class, KEEP_FOREVER),
        new Topic<>(prefix + "preference-stats", PreferenceStats.class, Map.of()),
        new Topic<>(prefix + "model-versions", ModelVersion.class, KEEP_FOREVER),
        new Topic<>(prefix + "dead-letter", DeadLetter.class, KEEP_FOREVER),
        new Topic<>(prefix + "answers", AnswerEvent.class, Map.of()));
  }

  /** The topics the scoring stage consumes besides the corpus: a request's query, retrieval and answers. */
  public List<Topic<?>> scoringInputs() {
    return List.of(queries, retrievals, answers);
  }

  /** The topics the EpisodeAssembler consumes. */
  public List<Topic<?>> assemblerInputs() {
    return List.of(queries, retrievals, llmFeedback, humanFeedback);
  }

  public List<Topic<?>> all() {
    return List.of(
        queries, retrievals, llmFeedback, humanFeedback, corpus, episodes, trainingExamples,
        silverSequences, teacherDistributions, preferenceStats, modelVersions, deadLetters, answers);
  }
}
