package dev.attune.infra.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes named float32 and int64 arrays as one safetensors file (an 8-byte little-endian header
 * length, a JSON header of dtype, shape and byte range per name, then the little-endian data), the
 * format any PyTorch reads without Java-specific code.
 */
final class SafeTensorsWriter {
  private record Entry(String dtype, long[] shape, byte[] data) {}

  private final Map<String, Entry> entries = new LinkedHashMap<>();

  SafeTensorsWriter floats(String name, float[] values, long... shape) {
    ByteBuffer b = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(values);
    return add(name, "F32", shape, b.array(), values.length);
  }

  SafeTensorsWriter longs(String name, long[] values, long... shape) {
    ByteBuffer b = ByteBuffer.allocate(values.length * Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    b.asLongBuffer().put(values);
    return add(name, "I64", shape, b.array(), values.length);
  }

  private SafeTensorsWriter add(String name, String dtype, long[] shape, byte[] data, int count) {
    long expected = 1;
    for (long d : shape) expected *= d;
    if (expected != count) throw new IllegalArgumentException(name + ": " + count + " values for shape " + java.util.Arrays.toString(shape));
    if (entries.putIfAbsent(name, new Entry(dtype, shape, data)) != null) throw new IllegalArgumentException("two arrays named " + name);
    return this;
  }

  void write(Path file) throws IOException {
    Map<String, Object> header = new LinkedHashMap<>();
    long offset = 0;
    for (Map.Entry<String, Entry> e : entries.entrySet()) {
      List<Long> shape = new ArrayList<>();
      for (long d : e.getValue().shape()) shape.add(d);
      header.put(e.getKey(), Map.of("dtype", e.getValue().dtype(), "shape", shape, "data_offsets", List.of(offset, offset + e.getValue().data().length)));
      offset += e.getValue().data().length;
    }
    byte[] json = new ObjectMapper().writeValueAsBytes(header);
    // The data that follows is 8-byte aligned when the header is padded with spaces, as the format recommends.
    int padded = (json.length + 7) / 8 * 8;
    byte[] head = java.util.Arrays.copyOf(json, padded);
    java.util.Arrays.fill(head, json.length, padded, (byte) ' ');
    try (OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(file))) {
      out.write(ByteBuffer.allocate(Long.BYTES).order(ByteOrder.LITTLE_ENDIAN).putLong(padded).array());
      out.write(head);
      for (Entry e : entries.values()) out.write(e.data());
    }
  }
}
