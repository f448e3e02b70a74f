package dev.attune.models;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** Named float tensors in one file: magic, format version, then (name, length, floats) per tensor. */
public final class TensorFile {
  static final int MAGIC = 0x4154544e; // "ATTN"
  static final int FORMAT = 1;

  private TensorFile() {}

  public static void write(Path file, Map<String, float[]> tensors) throws IOException {
    try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file), 1 << 20))) {
      out.writeInt(MAGIC);
      out.writeInt(FORMAT);
      out.writeInt(tensors.size());
      for (Map.Entry<String, float[]> t : tensors.entrySet()) {
        out.writeUTF(t.getKey());
        float[] values = t.getValue();
        out.writeInt(values.length);
        ByteBuffer bytes = ByteBuffer.allocate(values.length * Float.BYTES);
        bytes.asFloatBuffer().put(values);
        out.write(bytes.array());
      }
    }
  }

  public static Map<String, float[]> read(Path file) throws IOException {
    try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 20))) {
      int magic = in.readInt();
      int format = in.readInt();
      if (magic != MAGIC || format != FORMAT) {
        throw new IOException(file + " is not an Attune tensor file of format " + FORMAT + " (magic " + Integer.toHexString(magic) + ", format " + format + ")");
      }
      int count = in.readInt();
      Map<String, float[]> out = new LinkedHashMap<>();
      for (int i = 0; i < count; i++) {
        String name = in.readUTF();
        byte[] bytes = new byte[in.readInt() * Float.BYTES];
        in.readFully(bytes);
        float[] values = new float[bytes.length / Float.BYTES];
        ByteBuffer.wrap(bytes).asFloatBuffer().get(values);
        out.put(name, values);
      }
      return out;
    }
  }
}
