package dev.attune.reindex;

import dev.attune.schemas.AvroCodec;
import dev.attune.schemas.EventDecodingException;
import dev.attune.schemas.EventValidator;
import dev.attune.schemas.Limits;
import dev.attune.schemas.PassageEvent;
import dev.attune.schemas.PassageOp;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.metrics.Counter;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Corpus topic records as {@link CorpusRecord}s, under the same rules as serving's corpus follower:
 * a record that does not decode or breaks the limits is skipped (and counted), as serving skips it
 * and the miner dead-letters it, so the job embeds exactly the passages serving knows.
 */
final class CorpusRecords implements KafkaRecordDeserializationSchema<CorpusRecord> {
  private final Limits limits;
  private transient AvroCodec<PassageEvent> codec;
  private transient EventValidator validator;
  private transient Counter skipped;

  CorpusRecords(Limits limits) {
    this.limits = limits;
  }

  @Override
  public void open(org.apache.flink.api.common.serialization.DeserializationSchema.InitializationContext context) {
    codec = AvroCodec.of(PassageEvent.class);
    validator = new EventValidator(limits);
    skipped = context.getMetricGroup().counter("skippedPassages");
  }

  @Override
  public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<CorpusRecord> out) {
    PassageEvent e;
    try {
      e = codec.decode(record.value(), limits.maxEventBytes());
    } catch (EventDecodingException bad) {
      skipped.inc();
      return;
    }
    if (validator.validate(e).isPresent()) {
      skipped.inc();
      return;
    }
    boolean deleted = e.getOp() == PassageOp.DELETE;
    out.collect(new CorpusRecord(e.getPassageId(), record.offset(), deleted ? null : e.getTitle(), deleted ? null : e.getText(), deleted));
  }

  @Override
  public TypeInformation<CorpusRecord> getProducedType() {
    return TypeInformation.of(CorpusRecord.class);
  }
}
