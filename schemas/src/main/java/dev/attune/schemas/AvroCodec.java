package dev.attune.schemas;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.message.BadHeaderException;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.message.MissingSchemaException;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;

/**
 * Avro single-object encoding (magic, schema fingerprint, binary body) for one record type. Failures
 * are classified into {@link DeadLetterReason}s so every stage dead-letters the same way.
 */
public final class AvroCodec<T extends SpecificRecord> {
  /** Payloads above this are rejected before decoding; no Attune event is near it. */
  public static final int MAX_PAYLOAD_BYTES = 1 << 20;

  private static final Map<Class<?>, List<Schema>> HISTORY = new ConcurrentHashMap<>();
  /** One codec per type: building one fingerprints its schema and every earlier version, too dear per record. */
  private static final Map<Class<?>, AvroCodec<?>> CODECS = new ConcurrentHashMap<>();
  private final Class<T> type;
  private final BinaryMessageEncoder<T> encoder;
  private final BinaryMessageDecoder<T> decoder;

  private AvroCodec(Class<T> type) {
    this.type = Objects.requireNonNull(type, "type");
    SpecificData model = SpecificData.getForClass(type);
    var schema = model.getSchema(type);
    TrustedPackages.register(schema);
    this.encoder = new BinaryMessageEncoder<>(model, schema);
    this.decoder = new BinaryMessageDecoder<>(model, schema);
    HISTORY.computeIfAbsent(type, AvroCodec::history).forEach(decoder::addSchema);
  }

  /**
   * Earlier versions of {@code type}'s schema, kept as resources {@code history/<Name>-<n>.avsc}
   * (n = 1, 2, ...): records written before a field was added still decode, the field taking its
   * default, so a deployment upgrades without rewriting its topics.
   */
  static List<Schema> history(Class<?> type) {
    List<Schema> schemas = new ArrayList<>();
    for (int n = 1; ; n++) {
      try (InputStream in = AvroCodec.class.getResourceAsStream("history/" + type.getSimpleName() + "-" + n + ".avsc")) {
        if (in == null) return schemas;
        schemas.add(new Schema.Parser().parse(in));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read schema history of " + type.getSimpleName(), e);
      }
    }
  }

  /**
   * Trusts the generated classes {@code schema} uses, for code that builds or copies records (whose
   * defaults and deep copies load classes) without creating a codec first.
   */
  public static void trust(org.apache.avro.Schema schema) {
    TrustedPackages.register(schema);
  }

  /** The codec of {@code type}, shared: Avro's message encoder and decoder are safe across threads. */
  @SuppressWarnings("unchecked")
  public static <T extends SpecificRecord> AvroCodec<T> of(Class<T> type) {
    return (AvroCodec<T>) CODECS.computeIfAbsent(type, t -> new AvroCodec<>(type));
  }

  public Class<T> type() {
    return type;
  }

  public byte[] encode(T record) {
    try {
      ByteBuffer buffer = encoder.encode(record);
      byte[] bytes = new byte[buffer.remaining()];
      buffer.get(bytes);
      return bytes;
    } catch (IOException | AvroRuntimeException | NullPointerException | ClassCastException e) {
      throw new IllegalArgumentException(
          "cannot encode " + type.getSimpleName() + ": " + e.getMessage(), e);
    }
  }

  /**
   * Decodes one payload.
   *
   * @throws EventDecodingException with the reason code when the bytes are not a valid {@code T}
   */
  public T decode(byte[] bytes) {
    return decode(bytes, MAX_PAYLOAD_BYTES);
  }

  /** Decodes one payload of at most {@code maxBytes} (an intake's {@link Limits}); a larger one is {@code OVERSIZED}. */
  public T decode(byte[] bytes, int maxBytes) {
    if (bytes == null) {
      throw new EventDecodingException(
          DeadLetterReason.NULL_PAYLOAD, type.getSimpleName() + " payload is null");
    }
    if (bytes.length > maxBytes) {
      throw new EventDecodingException(
          DeadLetterReason.OVERSIZED,
          type.getSimpleName() + " payload of " + bytes.length + " bytes exceeds " + maxBytes);
    }
    try {
      return decoder.decode(bytes);
    } catch (MissingSchemaException e) {
      throw new EventDecodingException(
          DeadLetterReason.UNKNOWN_SCHEMA,
          "schema fingerprint is not " + type.getSimpleName() + ": " + e.getMessage());
    } catch (BadHeaderException e) {
      throw new EventDecodingException(
          DeadLetterReason.BAD_HEADER, "not Avro single-object encoded: " + e.getMessage());
    } catch (IOException | RuntimeException e) {
      if (causedByEof(e)) {
        throw new EventDecodingException(
            DeadLetterReason.TRUNCATED,
            type.getSimpleName() + " payload ends early (" + bytes.length + " bytes)");
      }
      throw new EventDecodingException(
          DeadLetterReason.MALFORMED,
          "cannot decode " + type.getSimpleName() + ": " + e.getClass().getSimpleName() + ": " + e.getMessage());
    }
  }

  private static boolean causedByEof(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof EOFException) {
        return true;
      }
    }
    return false;
  }
}
