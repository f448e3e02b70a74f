package dev.attune.models.encoder;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Reads and rewrites the float initializers of an ONNX model with nothing but protobuf's wire
 * format (no generated ONNX classes). Exported BERTs store projection weights under anonymous names
 * ({@code onnx::MatMul_1525}); they are renamed to Hugging Face names from the MatMul node that uses
 * them ({@code /encoder/layer.0/attention/self/query/MatMul} → {@code
 * encoder.layer.0.attention.self.query.weight}), stored as [in, out].
 */
public final class OnnxGraph {
  private static final int MODEL_GRAPH = 7;
  private static final int GRAPH_NODE = 1;
  private static final int GRAPH_INITIALIZER = 5;
  private static final int NODE_INPUT = 1;
  private static final int NODE_NAME = 3;
  private static final int NODE_OP = 4;
  private static final int TENSOR_DIMS = 1;
  private static final int TENSOR_TYPE = 2;
  private static final int TENSOR_NAME = 8;
  private static final int TENSOR_RAW = 9;
  private static final int FLOAT = 1;

  /** One float tensor: its shape and values. */
  public record Tensor(long[] shape, float[] values) {}

  private OnnxGraph() {}

  /** Float initializers by Hugging Face name. */
  public static Map<String, Tensor> readInitializers(byte[] model) throws IOException {
    byte[] graph = field(model, MODEL_GRAPH);
    Map<String, String> rename = matMulNames(graph);
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    CodedInputStream in = CodedInputStream.newInstance(graph);
    for (int tag; (tag = in.readTag()) != 0; ) {
      if (WireFormat.getTagFieldNumber(tag) != GRAPH_INITIALIZER) {
        in.skipField(tag);
        continue;
      }
      ParsedTensor t = parseTensor(in.readByteArray());
      if (t.type == FLOAT && t.raw != null) {
        float[] values = new float[t.raw.length / 4];
        ByteBuffer.wrap(t.raw).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
        tensors.put(rename.getOrDefault(t.name, t.name), new Tensor(t.dims, values));
      }
    }
    return tensors;
  }

  /**
   * Returns a copy of the model whose float initializers are replaced by {@code weights} (looked up
   * by Hugging Face name; shapes must match). The graph itself is unchanged.
   */
  public static byte[] replaceInitializers(byte[] model, Function<String, float[]> weights) throws IOException {
    byte[] graph = field(model, MODEL_GRAPH);
    Map<String, String> rename = matMulNames(graph);
    byte[] newGraph =
        rewrite(graph, GRAPH_INITIALIZER, tensorBytes -> {
          ParsedTensor t = parseTensor(tensorBytes);
          float[] values = t.type == FLOAT && t.raw != null ? weights.apply(rename.getOrDefault(t.name, t.name)) : null;
          if (values == null) return tensorBytes;
          if (values.length * 4 != t.raw.length) {
            throw new IllegalArgumentException(
                "weights for " + t.name + " have " + values.length + " values, model has " + t.raw.length / 4);
          }
          ByteBuffer buffer = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
          buffer.asFloatBuffer().put(values);
          return rewrite(tensorBytes, TENSOR_RAW, old -> buffer.array());
        });
    return rewrite(model, MODEL_GRAPH, old -> newGraph);
  }

  private record ParsedTensor(String name, int type, long[] dims, byte[] raw) {}

  private static ParsedTensor parseTensor(byte[] bytes) throws IOException {
    CodedInputStream in = CodedInputStream.newInstance(bytes);
    String name = null;
    int type = 0;
    List<Long> dims = new ArrayList<>();
    byte[] raw = null;
    for (int tag; (tag = in.readTag()) != 0; ) {
      switch (WireFormat.getTagFieldNumber(tag)) {
        case TENSOR_DIMS -> {
          if (WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
            int limit = in.pushLimit(in.readRawVarint32());
            while (in.getBytesUntilLimit() > 0) dims.add(in.readInt64());
            in.popLimit(limit);
          } else {
            dims.add(in.readInt64());
          }
        }
        case TENSOR_TYPE -> type = in.readInt32();
        case TENSOR_NAME -> name = in.readString();
        case TENSOR_RAW -> raw = in.readByteArray();
        default -> in.skipField(tag);
      }
    }
    return new ParsedTensor(name, type, dims.stream().mapToLong(Long::longValue).toArray(), raw);
  }

  /** Maps each initializer used as a MatMul weight to the Hugging Face name of its layer. */
  private static Map<String, String> matMulNames(byte[] graph) throws IOException {
    Map<String, String> names = new HashMap<>();
    CodedInputStream in = CodedInputStream.newInstance(graph);
    for (int tag; (tag = in.readTag()) != 0; ) {
      if (WireFormat.getTagFieldNumber(tag) != GRAPH_NODE) {
        in.skipField(tag);
        continue;
      }
      CodedInputStream node = CodedInputStream.newInstance(in.readByteArray());
      List<String> inputs = new ArrayList<>();
      String nodeName = "";
      String op = "";
      for (int t; (t = node.readTag()) != 0; ) {
        switch (WireFormat.getTagFieldNumber(t)) {
          case NODE_INPUT -> inputs.add(node.readString());
          case NODE_NAME -> nodeName = node.readString();
          case NODE_OP -> op = node.readString();
          default -> node.skipField(t);
        }
      }
      if (op.equals("MatMul") && nodeName.endsWith("/MatMul") && inputs.size() == 2 && inputs.get(1).startsWith("onnx::")) {
        String path = nodeName.substring(1, nodeName.length() - "/MatMul".length()).replace('/', '.');
        names.put(inputs.get(1), path + ".weight");
      }
    }
    return names;
  }

  private static byte[] field(byte[] message, int number) throws IOException {
    CodedInputStream in = CodedInputStream.newInstance(message);
    in.setSizeLimit(Integer.MAX_VALUE);
    for (int tag; (tag = in.readTag()) != 0; ) {
      if (WireFormat.getTagFieldNumber(tag) == number) return in.readByteArray();
      in.skipField(tag);
    }
    throw new IOException("ONNX message has no field " + number);
  }

  private interface BytesRewriter {
    byte[] apply(byte[] old) throws IOException;
  }

  /** Copies a message, passing every length-delimited field {@code number} through {@code fn}. */
  private static byte[] rewrite(byte[] message, int number, BytesRewriter fn) throws IOException {
    CodedInputStream in = CodedInputStream.newInstance(message);
    in.setSizeLimit(Integer.MAX_VALUE);
    ByteArrayOutputStream buffer = new ByteArrayOutputStream(message.length);
    CodedOutputStream out = CodedOutputStream.newInstance(buffer);
    for (int tag; (tag = in.readTag()) != 0; ) {
      if (WireFormat.getTagFieldNumber(tag) == number
          && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
        out.writeByteArray(number, fn.apply(in.readByteArray()));
      } else {
        copyField(tag, in, out);
      }
    }
    out.flush();
    return buffer.toByteArray();
  }

  private static void copyField(int tag, CodedInputStream in, CodedOutputStream out) throws IOException {
    out.writeUInt32NoTag(tag);
    switch (WireFormat.getTagWireType(tag)) {
      case WireFormat.WIRETYPE_VARINT -> out.writeUInt64NoTag(in.readRawVarint64());
      case WireFormat.WIRETYPE_FIXED64 -> out.writeFixed64NoTag(in.readRawLittleEndian64());
      case WireFormat.WIRETYPE_FIXED32 -> out.writeFixed32NoTag(in.readRawLittleEndian32());
      case WireFormat.WIRETYPE_LENGTH_DELIMITED -> {
        ByteString bytes = in.readBytes();
        out.writeUInt32NoTag(bytes.size());
        out.writeRawBytes(bytes);
      }
      default -> throw new IOException("unsupported wire type in tag " + tag);
    }
  }
}
