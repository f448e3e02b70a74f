package dev.attune.streams.mining;

import dev.attune.schemas.AvroCodec;
import dev.attune.schemas.DeadLetterReason;
import dev.attune.schemas.EventDecodingException;
import dev.attune.schemas.EventValidator;
import dev.attune.schemas.PassageEvent;
import dev.attune.schemas.PassageOp;
import dev.attune.schemas.Violation;
import java.util.Objects;
import java.util.Optional;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/** Decodes the corpus topic; bad records go to the dead-letter side output. */
final class CorpusDecoder extends ProcessFunction<RawRecord, CorpusUpdate> {
  private transient AvroCodec<PassageEvent> codec;

  @Override
  public void processElement(RawRecord raw, Context ctx, Collector<CorpusUpdate> out) {
    if (codec == null) codec = AvroCodec.of(PassageEvent.class);
    PassageEvent event;
    try {
      event = codec.decode(raw.value);
    } catch (EventDecodingException e) {
      ctx.output(DeadLetterOutput.TAG, DeadLetterOutput.of(raw, e.reason(), e.getMessage()));
      return;
    }
    Optional<Violation> invalid = EventValidator.validate(event);
    if (invalid.isPresent()) {
      ctx.output(DeadLetterOutput.TAG, DeadLetterOutput.of(raw, invalid.get().reason(), invalid.get().detail()));
      return;
    }
    if (!Objects.equals(raw.key, event.getPassageId())) {
      ctx.output(
          DeadLetterOutput.TAG,
          DeadLetterOutput.of(
              raw, DeadLetterReason.KEY_MISMATCH,
              "record key (" + raw.key + ") is not the passageId (" + event.getPassageId() + ")"));
      return;
    }
    out.collect(
        new CorpusUpdate(event.getPassageId(), event.getOp() == PassageOp.DELETE, event.getTitle(), event.getText()));
  }
}
