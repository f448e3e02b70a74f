package dev.attune.schemas;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DatumReader;
import org.apache.avro.io.DatumWriter;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;

/**
 * Avro single-object encoding (magic, schema fingerprint, binary body) for one record type. Failures
 * are classified into {@link DeadLetterReason}s so every stage dead-letters the same way.
 */
public final class AvroCodec<T extends SpecificRecord> {
  /** Payloads above this are rejected before decoding; no Attune event is near it. */
  public static final int MAX_PAYLOAD_BYTES = 1 << 20;

  /** One codec per type: building one fingerprints its schema and every earlier version, too dear per record. */
  private static final Map<Class<?>, AvroCodec<?>> CODECS = new ConcurrentHashMap<>();
  /** Single-object encoding's marker, then the writer schema's 8-byte little-endian CRC-64-AVRO fingerprint. */
  private static final int HEADER_BYTES = 10;
  private static final byte MARKER_0 = (byte) 0xC3, MARKER_1 = (byte) 0x01;
  private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);
  private static final ThreadLocal<BinaryDecoder> DECODERS = new ThreadLocal<>();
  private final Class<T> type;
  private final byte[] header;
  private final DatumWriter<T> writer;
  /** A resolving reader per writer schema this type has had, by fingerprint. */
  private final Map<Long, DatumReader<T>> readers = new HashMap<>();

  @SuppressWarnings("unchecked")
  private AvroCodec(Class<T> type) {
    this.type = Objects.requireNonNull(type, "type");
    SpecificData model = SpecificData.getForClass(type);
    Schema schema = model.getSchema(type);
    TrustedPackages.register(schema);
    long fingerprint = SchemaNormalization.parsingFingerprint64(schema);
    this.header = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN).put(MARKER_0).put(MARKER_1).putLong(fingerprint).array();
    this.writer = (DatumWriter<T>) model.createDatumWriter(schema);
    readers.put(fingerprint, (DatumReader<T>) model.createDatumReader(schema, schema));
    for (Schema earlier : history(type)) {
      readers.put(SchemaNormalization.parsingFingerprint64(earlier), (DatumReader<T>) model.createDatumReader(earlier, schema));
    }
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

  /** The codec of {@code type}, shared: its datum writer and readers are safe across threads, its buffers are per thread. */
  @SuppressWarnings("unchecked")
  public static <T extends SpecificRecord> AvroCodec<T> of(Class<T> type) {
    return (AvroCodec<T>) CODECS.computeIfAbsent(type, t -> new AvroCodec<>(type));
  }

  public Class<T> type() {
    return type;
  }

  /**
   * The same bytes Avro's {@code BinaryMessageEncoder} writes, through a buffered encoder into a
   * per-thread array: Avro's own writes each varint a byte at a time into a synchronized stream and
   * copies the result twice, which showed in every stage's profile.
   */
  public byte[] encode(T record) {
    Scratch out = SCRATCH.get();
    try {
      // Reconfiguring the reused encoder flushes what a record that failed to encode left in it; the reset drops that.
      BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, out.encoder);
      out.encoder = encoder;
      out.reset();
      out.write(header, 0, header.length);
      writer.write(record, encoder);
      encoder.flush();
      return out.toByteArray();
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
    if (bytes.length < HEADER_BYTES || bytes[0] != MARKER_0 || bytes[1] != MARKER_1) {
      throw new EventDecodingException(DeadLetterReason.BAD_HEADER, "not Avro single-object encoded: "
          + (bytes.length < HEADER_BYTES ? bytes.length + " bytes, fewer than the header's " + HEADER_BYTES
              : String.format(java.util.Locale.ROOT, "header bytes 0x%02X 0x%02X", bytes[0], bytes[1])));
    }
    long fingerprint = ByteBuffer.wrap(bytes, 2, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    DatumReader<T> reader = readers.get(fingerprint);
    if (reader == null) {
      throw new EventDecodingException(DeadLetterReason.UNKNOWN_SCHEMA,
          "schema fingerprint is not " + type.getSimpleName() + ": no schema of it has fingerprint " + fingerprint);
    }
    try {
      BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(bytes, HEADER_BYTES, bytes.length - HEADER_BYTES, DECODERS.get());
      DECODERS.set(decoder);
      return reader.read(null, decoder);
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

  /** A thread's output array (not synchronized, unlike {@code ByteArrayOutputStream}) and its reusable encoder. */
  private static final class Scratch extends java.io.OutputStream {
    /** An array grown past this for one large record is not kept for the thread's next ones. */
    private static final int KEPT_BYTES = 1 << 20;
    private byte[] buffer = new byte[8192];
    private int count;
    private BinaryEncoder encoder;

    void reset() {
      if (buffer.length > KEPT_BYTES) buffer = new byte[8192];
      count = 0;
    }

    @Override
    public void write(int b) {
      ensure(1);
      buffer[count++] = (byte) b;
    }

    @Override
    public void write(byte[] b, int off, int len) {
      ensure(len);
      System.arraycopy(b, off, buffer, count, len);
      count += len;
    }

    private void ensure(int more) {
      if (count + more > buffer.length) buffer = Arrays.copyOf(buffer, Math.max(buffer.length * 2, count + more));
    }

    byte[] toByteArray() {
      return Arrays.copyOf(buffer, count);
    }
  }
}
