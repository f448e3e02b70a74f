package dev.attune.infra.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeTensorsWriterTest {
  @TempDir Path dir;

  @Test
  void writes_the_header_and_little_endian_data_a_reader_finds_by_offset() throws Exception {
    Path file = dir.resolve("t.safetensors");
    new SafeTensorsWriter().floats("w", new float[] {1.5f, -2f, 3f, 0.25f, 5f, 6f}, 2, 3).longs("ids", new long[] {7, 1L << 40}, 2).write(file);

    ByteBuffer all = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
    long headerSize = all.getLong(0);
    assertThat(headerSize % 8).as("data 8-byte aligned").isZero();
    JsonNode header = new ObjectMapper().readTree(new String(all.array(), 8, (int) headerSize, java.nio.charset.StandardCharsets.UTF_8).trim());
    assertThat(header.get("w").get("dtype").asText()).isEqualTo("F32");
    assertThat(header.get("w").get("shape").toString()).isEqualTo("[2,3]");
    assertThat(header.get("ids").get("dtype").asText()).isEqualTo("I64");
    int base = 8 + (int) headerSize;
    int w = base + header.get("w").get("data_offsets").get(0).asInt();
    assertThat(all.getFloat(w)).isEqualTo(1.5f);
    assertThat(all.getFloat(w + 5 * Float.BYTES)).isEqualTo(6f);
    int ids = base + header.get("ids").get("data_offsets").get(0).asInt();
    assertThat(all.getLong(ids + Long.BYTES)).isEqualTo(1L << 40);
    assertThat(base + header.get("ids").get("data_offsets").get(1).asInt()).isEqualTo(all.capacity());
  }

  @Test
  void refuses_values_that_do_not_fill_the_shape_and_a_name_twice() {
    assertThatThrownBy(() -> new SafeTensorsWriter().floats("w", new float[5], 2, 3)).hasMessageContaining("w: 5 values for shape [2, 3]");
    assertThatThrownBy(() -> new SafeTensorsWriter().longs("a", new long[1], 1).longs("a", new long[1], 1)).hasMessageContaining("two arrays named a");
  }
}
