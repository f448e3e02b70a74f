package dev.attune.testkit;

import dev.attune.schemas.AvroCodec;
import dev.attune.schemas.DeadLetter;
import dev.attune.schemas.EventDecodingException;
import dev.attune.schemas.FeedbackEpisode;
import dev.attune.schemas.LlmFeedbackEvent;
import dev.attune.schemas.Topic;
import dev.attune.schemas.KafkaAccess;
import dev.attune.schemas.KafkaSettings;
import dev.attune.schemas.Topics;
import java.util.Map;
import java.util.TreeMap;

/**
 * Committed records per topic, and the accounting the demo prints and the pipeline tests assert:
 * every input event is in an episode or dead-lettered; every episode an example or dead-lettered;
 * every answer scored (LLM feedback the scoring stage wrote) or dead-lettered by it.
 */
public record StageCounts(Map<String, Long> records, long eventsInEpisodes, Map<String, Long> deadLettersByStageAndReason,
    long assemblerDeadLetters, long minerEpisodeDeadLetters, long minerCorpusDeadLetters, long scoredAnswers,
    long scorerAnswerDeadLetters) {
  /** The event id prefix of the LLM feedback the scoring stage writes. */
  private static final String SCORED = "scored:";

  public static StageCounts read(KafkaSettings kafka, Topics topics) {
    Map<String, Long> records = new TreeMap<>();
    for (Topic<?> t : topics.all()) records.put(t.name(), (long) KafkaAccess.readAll(kafka, t.name(), v -> {}));
    long[] inEpisodes = {0};
    AvroCodec<FeedbackEpisode> episodes = AvroCodec.of(FeedbackEpisode.class);
    KafkaAccess.readAll(kafka, topics.episodes().name(), v -> {
      // Foreign bytes on the episodes topic are the miner's to dead-letter; they hold no joined events.
      try {
        inEpisodes[0] += episodes.decode(v).getEventIds().size();
      } catch (EventDecodingException e) {
        // counted by the miner's dead letters
      }
    });
    long[] scored = {0};
    AvroCodec<LlmFeedbackEvent> feedback = AvroCodec.of(LlmFeedbackEvent.class);
    KafkaAccess.readAll(kafka, topics.llmFeedback().name(), v -> {
      try {
        if (feedback.decode(v).getEventId().startsWith(SCORED)) scored[0]++;
      } catch (EventDecodingException e) {
        // the assembler's to dead-letter
      }
    });
    Map<String, Long> byReason = new TreeMap<>();
    long[] assembler = {0}, minerEpisodes = {0}, minerCorpus = {0}, scorerAnswers = {0};
    AvroCodec<DeadLetter> letters = AvroCodec.of(DeadLetter.class);
    KafkaAccess.readAll(kafka, topics.deadLetters().name(), v -> {
      DeadLetter d = letters.decode(v);
      byReason.merge(d.getStage() + "/" + d.getReason(), 1L, Long::sum);
      switch (d.getStage()) {
        case "assembler" -> assembler[0]++;
        case "miner" -> {
          if (d.getSourceTopic().equals(topics.corpus().name())) minerCorpus[0]++;
          else minerEpisodes[0]++;
        }
        case "scorer" -> {
          if (d.getSourceTopic().equals(topics.answers().name())) scorerAnswers[0]++;
        }
        default -> { }
      }
    });
    return new StageCounts(records, inEpisodes[0], byReason, assembler[0], minerEpisodes[0], minerCorpus[0], scored[0], scorerAnswers[0]);
  }

  /** Answers in = scored + dead-lettered by the scoring stage (true only where no budget skipped any). */
  public boolean scorerBalanced(Topics topics) {
    return records.get(topics.answers().name()) == scoredAnswers + scorerAnswerDeadLetters;
  }

  /** Events written to the four assembler inputs. */
  public long assemblerInputs(Topics topics) {
    return topics.assemblerInputs().stream().mapToLong(t -> records.get(t.name())).sum();
  }

  public boolean assemblerBalanced(Topics topics) {
    return assemblerInputs(topics) == eventsInEpisodes + assemblerDeadLetters;
  }

  public boolean minerBalanced(Topics topics) {
    return records.get(topics.episodes().name()) == records.get(topics.trainingExamples().name()) + minerEpisodeDeadLetters;
  }
}
