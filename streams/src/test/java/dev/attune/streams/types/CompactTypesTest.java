package dev.attune.streams.types;

import static org.assertj.core.api.Assertions.assertThat;

import dev.attune.streams.mining.rules.CorpusUpdate;
import dev.attune.streams.mining.rules.EpisodePreferences;
import dev.attune.streams.mining.rules.TeacherAccumulator;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.java.typeutils.PojoTypeInfo;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;

class CompactTypesTest {

  private static <T> T roundTrip(Class<T> type, T value) throws Exception {
    TypeSerializer<T> serializer = CompactTypes.of(type).createSerializer(new SerializerConfigImpl());
    DataOutputSerializer out = new DataOutputSerializer(64);
    serializer.serialize(value, out);
    T back = serializer.deserialize(new DataInputDeserializer(out.getCopyOfBuffer()));
    DataOutputSerializer copied = new DataOutputSerializer(64);
    serializer.copy(new DataInputDeserializer(out.getCopyOfBuffer()), copied);
    assertThat(copied.getCopyOfBuffer()).as("copying the bytes writes the same bytes").isEqualTo(out.getCopyOfBuffer());
    return back;
  }

  @Test
  void strings_in_fields_lists_maps_and_nested_pojos_go_through_the_utf8_serializer() throws Exception {
    var info = (PojoTypeInfo<CorpusUpdate>) CompactTypes.of(CorpusUpdate.class);
    assertThat(info.getTypeAt(info.getFieldIndex("passageId"))).isEqualTo(Utf8StringTypeInfo.INSTANCE);
    var nested = (PojoTypeInfo<TeacherAccumulator>) CompactTypes.of(TeacherAccumulator.class);
    assertThat(nested.getTypeAt(nested.getFieldIndex("candidates")).toString()).as("map keys").contains("Utf8String");

    CorpusUpdate back = roundTrip(CorpusUpdate.class, new CorpusUpdate("p1", false, null, "Zürich — 東京 😀"));
    assertThat(back.passageId).isEqualTo("p1");
    assertThat(back.title()).isNull();
    assertThat(back.text()).isEqualTo("Zürich — 東京 😀");
    assertThat(back.textBytes()).isEqualTo("Zürich — 東京 😀".getBytes(java.nio.charset.StandardCharsets.UTF_8).length);
    assertThat(info.getFieldNames()).as("the decoded strings are not state").containsExactlyInAnyOrder("passageId", "deleted", "title", "text");

    EpisodePreferences prefs = roundTrip(EpisodePreferences.class, new EpisodePreferences(List.of("p1", "p2"), Map.of("llm-a", List.of("p3"))));
    assertThat(prefs.human).containsExactly("p1", "p2");
    assertThat(prefs.llmTopK).containsEntry("llm-a", List.of("p3"));

    TeacherAccumulator acc = new TeacherAccumulator();
    acc.key = "k";
    acc.requestIds.add("r1");
    TeacherAccumulator.Candidate c = new TeacherAccumulator.Candidate();
    c.sum = -1.5;
    c.count = 2;
    acc.candidates.put("p1", c);
    TeacherAccumulator accBack = roundTrip(TeacherAccumulator.class, acc);
    assertThat(accBack.requestIds).containsExactly("r1");
    assertThat(accBack.candidates.get("p1").sum).isEqualTo(-1.5);
  }

  @Test
  void the_utf8_serializer_restores_from_its_snapshot() {
    var restored = Utf8StringSerializer.INSTANCE.snapshotConfiguration().restoreSerializer();
    assertThat(restored).isEqualTo(Utf8StringSerializer.INSTANCE);
  }
}
