package dev.attune.streams;

import dev.attune.schemas.HumanFeedbackEvent;
import dev.attune.schemas.LlmFeedbackEvent;
import dev.attune.schemas.PassageEvent;
import dev.attune.schemas.PassageOp;
import dev.attune.schemas.PassageScore;
import dev.attune.schemas.QueryEvent;
import dev.attune.schemas.RankedPassage;
import dev.attune.schemas.RetrievalEvent;
import dev.attune.schemas.SignalKind;
import java.util.ArrayList;
import java.util.List;

/** Test fixtures: one valid event of each kind for a request, over passages p1..p4. */
public final class Events {
  public static final long T0 = 1_700_000_000_000L;

  private Events() {}

  public static QueryEvent query(String requestId) {
    return QueryEvent.newBuilder()
        .setEventId("q-" + requestId)
        .setRequestId(requestId)
        .setTimestampMs(T0)
        .setTask("qa")
        .setQuery("who wrote hamlet")
        .setRetrieverVersion("retriever-v0")
        .setIndexVersion("retriever-v0")
        .build();
  }

  public static RetrievalEvent retrieval(String requestId) {
    return RetrievalEvent.newBuilder()
        .setEventId("r-" + requestId)
        .setRequestId(requestId)
        .setTimestampMs(T0)
        .setRetrieverVersion("retriever-v0")
        .setIndexVersion("retriever-v0")
        .setCandidates(
            new ArrayList<>(
                List.of(
                    new RankedPassage("p1", 1, 0.9f),
                    new RankedPassage("p2", 2, 0.8f),
                    new RankedPassage("p3", 3, 0.7f),
                    new RankedPassage("p4", 4, 0.6f))))
        .build();
  }

  /** The LLM prefers p3, then p1; p2 and p4 are useless to it. */
  public static LlmFeedbackEvent llm(String requestId) {
    return LlmFeedbackEvent.newBuilder()
        .setEventId("l-" + requestId)
        .setRequestId(requestId)
        .setTimestampMs(T0)
        .setLlmId("unigram-lm")
        .setSignalKind(SignalKind.ANSWER_LOG_LIKELIHOOD)
        .setPassageScores(
            new ArrayList<>(
                List.of(
                    new PassageScore("p1", -2.0),
                    new PassageScore("p2", -9.0),
                    new PassageScore("p3", -1.0),
                    new PassageScore("p4", -8.0))))
        .setAnswer("Shakespeare")
        .build();
  }

  public static HumanFeedbackEvent human(String requestId) {
    return HumanFeedbackEvent.newBuilder()
        .setEventId("h-" + requestId)
        .setRequestId(requestId)
        .setTimestampMs(T0)
        .setRelevantPassageIds(new ArrayList<>(List.of("p5")))
        .setAnswers(new ArrayList<>(List.of("William Shakespeare")))
        .build();
  }

  public static PassageEvent passage(String id, String text) {
    return PassageEvent.newBuilder()
        .setPassageId(id)
        .setOp(PassageOp.UPSERT)
        .setTitle("T")
        .setText(text)
        .setTimestampMs(T0)
        .build();
  }
}
