package dev.attune.streams.mining.operators;

import dev.attune.streams.mining.rules.CorpusUpdate;

import dev.attune.schemas.AvroCodec;
import dev.attune.schemas.EventDecodingException;
import dev.attune.schemas.EventValidator;
import dev.attune.schemas.Limits;
import dev.attune.schemas.PassageEvent;
import dev.attune.schemas.PassageOp;
import dev.attune.schemas.Violation;
import java.util.Optional;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Decodes the corpus topic; bad records go to the dead-letter side output, in the name of the job
 * reading it ({@code stage}: each job that reads the corpus accounts for what it read).
 */
public final class CorpusDecoder extends ProcessFunction<RawRecord, CorpusUpdate> {
  private final String stage;
  private final Limits limits;
  private transient AvroCodec<PassageEvent> codec;
  private transient EventValidator validator;

  public CorpusDecoder(String stage, Limits limits) {
    this.stage = stage;
    this.limits = limits;
  }

  @Override
  public void processElement(RawRecord raw, Context ctx, Collector<CorpusUpdate> out) {
    if (codec == null) {
      codec = AvroCodec.of(PassageEvent.class);
      validator = new EventValidator(limits);
    }
    PassageEvent event;
    try {
      event = codec.decode(raw.value, limits.maxEventBytes());
    } catch (EventDecodingException e) {
      ctx.output(DeadLetterOutput.TAG, DeadLetterOutput.of(stage, raw, e.reason(), e.getMessage()));
      return;
    }
    PassageEvent valid = event;
    Optional<Violation> invalid = validator.validate(event).or(() -> EventValidator.keyMatches(raw.keyBytes, valid.getPassageId(), "passageId"));
    if (invalid.isPresent()) {
      ctx.output(DeadLetterOutput.TAG, DeadLetterOutput.of(stage, raw, invalid.get().reason(), invalid.get().detail()));
      return;
    }
    out.collect(
        new CorpusUpdate(event.getPassageId(), event.getOp() == PassageOp.DELETE, event.getTitle(), event.getText()));
  }
}
