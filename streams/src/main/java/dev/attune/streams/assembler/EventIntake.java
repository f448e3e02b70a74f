package dev.attune.streams.assembler;

import dev.attune.schemas.AvroCodec;
import dev.attune.schemas.DeadLetters;
import dev.attune.schemas.EventDecodingException;
import dev.attune.schemas.EventValidator;
import dev.attune.schemas.Violation;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.function.Function;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/**
 * Decodes and validates the raw records of one input topic. Valid events go to the joiner keyed by
 * request id; anything else goes to the dead-letter sink with its reason, so a bad record never
 * stops the assembler.
 */
final class EventIntake<T extends SpecificRecord> implements Processor<byte[], byte[], String, SpecificRecord> {
  private final AvroCodec<T> codec;
  private final Function<T, Optional<Violation>> validator;
  private final Function<T, String> requestId;
  private final int maxBytes;
  private final String joiner;
  private final String deadLetterSink;
  private ProcessorContext<String, SpecificRecord> context;

  EventIntake(
      Class<T> type,
      Function<T, Optional<Violation>> validator,
      Function<T, String> requestId,
      int maxBytes,
      String joiner,
      String deadLetterSink) {
    this.codec = AvroCodec.of(type);
    this.validator = validator;
    this.requestId = requestId;
    this.maxBytes = maxBytes;
    this.joiner = joiner;
    this.deadLetterSink = deadLetterSink;
  }

  @Override
  public void init(ProcessorContext<String, SpecificRecord> context) {
    this.context = context;
  }

  @Override
  public void process(Record<byte[], byte[]> record) {
    T event;
    try {
      event = codec.decode(record.value(), maxBytes);
    } catch (EventDecodingException e) {
      deadLetter(record, e.reason(), e.getMessage());
      return;
    }
    Optional<Violation> invalid = validator.apply(event);
    if (invalid.isPresent()) {
      deadLetter(record, invalid.get().reason(), invalid.get().detail());
      return;
    }
    String id = requestId.apply(event);
    Optional<Violation> wrongKey = EventValidator.keyMatches(record.key(), id, "requestId");
    if (wrongKey.isPresent()) {
      deadLetter(record, wrongKey.get().reason(), wrongKey.get().detail());
      return;
    }
    context.forward(new Record<>(id, (SpecificRecord) event, record.timestamp()), joiner);
  }

  private void deadLetter(Record<byte[], byte[]> record, String reason, String detail) {
    Optional<RecordMetadata> meta = context.recordMetadata();
    String key = record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
    var letter =
        DeadLetters.of(
            EpisodeAssembler.STAGE,
            meta.map(RecordMetadata::topic).orElse("unknown"),
            meta.map(RecordMetadata::partition).orElse(-1),
            meta.map(RecordMetadata::offset).orElse(-1L),
            reason,
            detail,
            record.key(),
            record.value(),
            System.currentTimeMillis());
    context.forward(new Record<>(key, (SpecificRecord) letter, record.timestamp()), deadLetterSink);
  }
}
