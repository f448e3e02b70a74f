package dev.attune.streams.assembler;

import dev.attune.schemas.AvroCodec;
import dev.attune.schemas.ClosedEpisode;
import dev.attune.schemas.DeadLetterReason;
import dev.attune.schemas.DeadLetters;
import dev.attune.schemas.EpisodeCandidate;
import dev.attune.schemas.FeedbackEpisode;
import dev.attune.schemas.HumanFeedbackEvent;
import dev.attune.schemas.LlmFeedbackEvent;
import dev.attune.schemas.PassageScore;
import dev.attune.schemas.PendingEpisode;
import dev.attune.schemas.QueryEvent;
import dev.attune.schemas.RankedPassage;
import dev.attune.schemas.RetrievalEvent;
import dev.attune.schemas.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Joins a request's query, retrieval, LLM and human feedback into one {@link FeedbackEpisode}.
 *
 * <p>Windows run on event time (the events' {@code timestampMs}): an episode spans window + grace
 * from its earliest event and closes when the task's event clock (the largest event time seen) passes
 * that, or when as long has passed on the wall clock since its first event arrived, whichever comes
 * first; it closes at once when all four kinds are present (if so configured). Events that arrive
 * out of order before the close are joined. After the close, a request is remembered for {@code
 * closedRetention}: a repeat of a joined event is {@code DUPLICATE}, any other event {@code LATE}; an
 * event too old to open a window is {@code LATE} as well.
 *
 * <p>At close an episode with query, retrieval and LLM feedback is emitted; one with query, retrieval
 * and human labels only follows {@link AssemblerConfig.MissingLlmFeedback}; otherwise every event it
 * held is dead-lettered as {@code UNJOINABLE}. So each input event ends in an episode or in the
 * dead-letter topic.
 */
final class EpisodeJoiner implements Processor<String, SpecificRecord, String, SpecificRecord> {
  static final String STORE = "pending-episodes";
  static final String CLOSED_STORE = "closed-episodes";
  static final String CLOCK_STORE = "event-clock";
  private static final String CLOCK_KEY = "max-event-time";

  private final AssemblerConfig config;
  private final String episodeSink;
  private final String deadLetterSink;
  private ProcessorContext<String, SpecificRecord> context;
  /** Encoded by hand, not by a serde: the size check before a put already encodes the episode. */
  private KeyValueStore<String, byte[]> pending;
  /**
   * The pending episodes decoded, mirroring the store entry for entry, so an event does not decode
   * its episode again (about a tenth of the assembler's thread on a 20,000-request burst, JFR).
   * The store stays the truth: this is emptied whenever the task (re)starts, and an entry is dropped
   * whenever its episode was changed without being stored.
   */
  private final Map<String, PendingEpisode> decoded = new HashMap<>();
  private KeyValueStore<String, ClosedEpisode> closed;
  private KeyValueStore<String, Long> clock;
  private final AvroCodec<PendingEpisode> pendingCodec = AvroCodec.of(PendingEpisode.class);

  EpisodeJoiner(AssemblerConfig config, String episodeSink, String deadLetterSink) {
    this.config = config;
    this.episodeSink = episodeSink;
    this.deadLetterSink = deadLetterSink;
  }

  @Override
  public void init(ProcessorContext<String, SpecificRecord> context) {
    this.context = context;
    this.pending = context.getStateStore(STORE);
    this.closed = context.getStateStore(CLOSED_STORE);
    this.clock = context.getStateStore(CLOCK_STORE);
    // Called again when the task is revived after a failure, its store restored from the changelog.
    decoded.clear();
    context.schedule(config.closeCheckInterval(), PunctuationType.WALL_CLOCK_TIME, this::closeExpired);
    Duration purgeEvery = config.closedRetention().dividedBy(4);
    context.schedule(
        purgeEvery.compareTo(config.closeCheckInterval()) < 0 ? config.closeCheckInterval() : purgeEvery,
        PunctuationType.WALL_CLOCK_TIME,
        this::forgetClosed);
  }

  @Override
  public void process(Record<String, SpecificRecord> record) {
    long now = context.currentSystemTimeMs();
    SpecificRecord event = record.value();
    long eventTime = eventTime(event);
    long eventClock = eventClock();
    if (eventTime > eventClock) clock.put(CLOCK_KEY, eventTime);

    ClosedEpisode done = closed.get(record.key());
    if (done != null) {
      if (done.getEventIds().contains(eventId(event))) {
        deadLetter(record.key(), event, DeadLetterReason.DUPLICATE,
            "event " + eventId(event) + " was already joined into the episode closed at " + done.getClosedAtMs(), now);
      } else {
        deadLetter(record.key(), event, DeadLetterReason.LATE,
            "episode of " + record.key() + " closed at " + done.getClosedAtMs() + " (window end "
                + done.getWindowEndMs() + " + grace " + config.grace() + "); event time " + eventTime, now);
      }
      return;
    }
    PendingEpisode episode = pendingEpisode(record.key());
    if (episode == null) {
      if (eventTime + config.openMs() <= eventClock) {
        deadLetter(record.key(), event, DeadLetterReason.LATE,
            "event time " + eventTime + " is more than window " + config.window() + " + grace " + config.grace()
                + " behind the event clock " + eventClock + "; its episode would already be closed", now);
        return;
      }
      episode = PendingEpisode.newBuilder().setRequestId(record.key()).setOpenedAtMs(now).setWindowStartMs(eventTime).build();
    }
    String duplicate = add(episode, event);
    if (duplicate != null) {
      deadLetter(record.key(), event, DeadLetterReason.DUPLICATE, duplicate, now);
      return;
    }
    episode.setWindowStartMs(Math.min(episode.getWindowStartMs(), eventTime));
    byte[] encoded = pendingCodec.encode(episode);
    int bytes = encoded.length;
    if (bytes > config.limits().maxRecordBytes()) {
      // Checked before the store: a changelog record over the broker's limit would stop the assembler.
      decoded.remove(record.key());
      deadLetter(record.key(), event, DeadLetterReason.OVERSIZED,
          "with this event the episode of " + record.key() + " would be " + bytes + " bytes, over maxRecordBytes "
              + config.limits().maxRecordBytes() + "; the episode keeps what it held before", now);
      return;
    }
    if (config.closeWhenComplete() && complete(episode)) {
      emit(episode, now);
      remember(episode, now);
      forget(record.key());
    } else {
      pending.put(record.key(), encoded);
      decoded.put(record.key(), episode);
    }
  }

  private PendingEpisode pendingEpisode(String requestId) {
    PendingEpisode episode = decoded.get(requestId);
    if (episode != null) return episode;
    byte[] stored = pending.get(requestId);
    if (stored == null) return null;
    episode = pendingCodec.decode(stored);
    decoded.put(requestId, episode);
    return episode;
  }

  private void forget(String requestId) {
    pending.delete(requestId);
    decoded.remove(requestId);
  }

  private long eventClock() {
    Long value = clock.get(CLOCK_KEY);
    return value == null ? Long.MIN_VALUE / 2 : value;
  }

  /** Adds the event; returns why it is a duplicate, or null when it was added. */
  private static String add(PendingEpisode episode, SpecificRecord event) {
    if (event instanceof QueryEvent q) {
      if (episode.getQuery() != null) {
        return "request " + q.getRequestId() + " already has query event " + episode.getQuery().getEventId();
      }
      episode.setQuery(q);
    } else if (event instanceof RetrievalEvent r) {
      if (episode.getRetrieval() != null) {
        return "request " + r.getRequestId() + " already has retrieval event " + episode.getRetrieval().getEventId();
      }
      episode.setRetrieval(r);
    } else if (event instanceof LlmFeedbackEvent l) {
      if (episode.getLlmFeedback().stream().anyMatch(e -> e.getEventId().equals(l.getEventId()))) {
        return "LLM feedback event " + l.getEventId() + " was already joined";
      }
      episode.getLlmFeedback().add(l);
    } else if (event instanceof HumanFeedbackEvent h) {
      if (episode.getHumanFeedback().stream().anyMatch(e -> e.getEventId().equals(h.getEventId()))) {
        return "human feedback event " + h.getEventId() + " was already joined";
      }
      episode.getHumanFeedback().add(h);
    } else {
      throw new IllegalStateException("unexpected event type " + event.getClass().getName());
    }
    return null;
  }

  private static boolean complete(PendingEpisode e) {
    return emittable(e) && !e.getHumanFeedback().isEmpty();
  }

  private static boolean emittable(PendingEpisode e) {
    return e.getQuery() != null && e.getRetrieval() != null && !e.getLlmFeedback().isEmpty();
  }

  private boolean humanOnly(PendingEpisode e) {
    return e.getQuery() != null && e.getRetrieval() != null && e.getLlmFeedback().isEmpty()
        && !e.getHumanFeedback().isEmpty();
  }

  private void closeExpired(long now) {
    long eventClock = eventClock();
    List<KeyValue<String, PendingEpisode>> expired = new ArrayList<>();
    try (KeyValueIterator<String, byte[]> all = pending.all()) {
      while (all.hasNext()) {
        KeyValue<String, byte[]> next = all.next();
        PendingEpisode cached = decoded.get(next.key);
        PendingEpisode e = cached != null ? cached : pendingCodec.decode(next.value);
        if (eventClock >= e.getWindowStartMs() + config.openMs() || now - e.getOpenedAtMs() >= config.openMs()) {
          expired.add(KeyValue.pair(next.key, e));
        }
      }
    }
    for (KeyValue<String, PendingEpisode> entry : expired) {
      PendingEpisode e = entry.value;
      if (emittable(e) || (humanOnly(e) && config.missingLlmFeedback() == AssemblerConfig.MissingLlmFeedback.EMIT_HUMAN_ONLY)) {
        emit(e, now);
      } else {
        String reason = humanOnly(e) ? DeadLetterReason.NO_LLM_FEEDBACK : DeadLetterReason.UNJOINABLE;
        String detail = "window of " + config.window() + " + grace " + config.grace() + " closed with " + missing(e) + " missing";
        for (SpecificRecord event : heldEvents(e)) {
          deadLetter(entry.key, event, reason, detail, now);
        }
      }
      remember(e, now);
      forget(entry.key);
    }
  }

  private void remember(PendingEpisode e, long now) {
    List<String> ids = new ArrayList<>();
    heldEvents(e).forEach(event -> ids.add(eventId(event)));
    closed.put(e.getRequestId(), new ClosedEpisode(now, e.getWindowStartMs() + config.window().toMillis(), ids));
  }

  private void forgetClosed(long now) {
    List<String> old = new ArrayList<>();
    try (KeyValueIterator<String, ClosedEpisode> all = closed.all()) {
      while (all.hasNext()) {
        KeyValue<String, ClosedEpisode> next = all.next();
        if (now - next.value.getClosedAtMs() >= config.closedRetention().toMillis()) old.add(next.key);
      }
    }
    old.forEach(closed::delete);
  }

  private static String missing(PendingEpisode e) {
    List<String> missing = new ArrayList<>();
    if (e.getQuery() == null) missing.add("query");
    if (e.getRetrieval() == null) missing.add("retrieval");
    if (e.getLlmFeedback().isEmpty()) missing.add("LLM feedback");
    return String.join(", ", missing);
  }

  private static List<SpecificRecord> heldEvents(PendingEpisode e) {
    List<SpecificRecord> events = new ArrayList<>();
    if (e.getQuery() != null) events.add(e.getQuery());
    if (e.getRetrieval() != null) events.add(e.getRetrieval());
    events.addAll(e.getLlmFeedback());
    events.addAll(e.getHumanFeedback());
    return events;
  }

  private void emit(PendingEpisode e, long now) {
    Map<String, EpisodeCandidate> candidates = new LinkedHashMap<>();
    for (RankedPassage p : e.getRetrieval().getCandidates()) {
      candidates.put(p.getPassageId(), new EpisodeCandidate(p.getPassageId(), p.getRank(), p.getScore()));
    }
    Set<String> relevant = new LinkedHashSet<>();
    Set<String> answers = new LinkedHashSet<>();
    for (HumanFeedbackEvent h : e.getHumanFeedback()) {
      relevant.addAll(h.getRelevantPassageIds());
      answers.addAll(h.getAnswers());
    }
    for (LlmFeedbackEvent l : e.getLlmFeedback()) {
      if (l.getAnswer() != null && !l.getAnswer().isBlank()) answers.add(l.getAnswer());
      for (PassageScore s : l.getPassageScores()) {
        candidates.putIfAbsent(s.getPassageId(), new EpisodeCandidate(s.getPassageId(), null, null));
      }
    }
    for (String id : relevant) {
      candidates.putIfAbsent(id, new EpisodeCandidate(id, null, null));
    }
    List<String> eventIds = new ArrayList<>();
    for (SpecificRecord event : heldEvents(e)) {
      eventIds.add(eventId(event));
    }
    FeedbackEpisode episode =
        FeedbackEpisode.newBuilder()
            .setRequestId(e.getRequestId())
            .setClosedAtMs(now)
            .setEventIds(eventIds)
            .setQuery(e.getQuery())
            .setCandidates(new ArrayList<>(candidates.values()))
            .setLlmFeedback(e.getLlmFeedback())
            .setRelevantPassageIds(new ArrayList<>(relevant))
            .setAnswers(new ArrayList<>(answers))
            .build();
    context.forward(new Record<>(e.getRequestId(), episode, now), episodeSink);
  }

  private static String eventId(SpecificRecord event) {
    return (String) event.get(event.getSchema().getField("eventId").pos());
  }

  private static long eventTime(SpecificRecord event) {
    return (Long) event.get(event.getSchema().getField("timestampMs").pos());
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private void deadLetter(String key, SpecificRecord event, String reason, String detail, long now) {
    Topics topics = config.topics();
    String source =
        event instanceof QueryEvent ? topics.queries().name()
            : event instanceof RetrievalEvent ? topics.retrievals().name()
            : event instanceof LlmFeedbackEvent ? topics.llmFeedback().name()
            : topics.humanFeedback().name();
    byte[] payload = ((AvroCodec) AvroCodec.of(event.getClass())).encode(event);
    var letter =
        DeadLetters.of(
            EpisodeAssembler.STAGE, source, -1, -1, reason, detail,
            key == null ? null : key.getBytes(StandardCharsets.UTF_8), payload, now);
    context.forward(new Record<>(key, (SpecificRecord) letter, now), deadLetterSink);
  }
}
