package dev.attune.reindex;

import static org.assertj.core.api.Assertions.assertThat;

import dev.attune.models.encoder.Encoder;
import dev.attune.models.encoder.ModelSpec;
import dev.attune.models.encoder.OnnxEncoder;
import dev.attune.models.registry.ModelRegistry;
import dev.attune.schemas.AvroCodec;
import dev.attune.schemas.Limits;
import dev.attune.schemas.PassageEvent;
import dev.attune.schemas.PassageOp;
import dev.attune.schemas.Topics;
import dev.attune.serving.Corpus;
import dev.attune.serving.CorpusFollower;
import dev.attune.serving.reembed.ReembedRequest;
import dev.attune.serving.store.QdrantServer;
import dev.attune.serving.store.QdrantVectorStore;
import dev.attune.serving.store.StoredPassage;
import dev.attune.testkit.EmbeddedKafka;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The re-embedding job on an in-process Flink cluster at parallelism 2, against the real broker and
 * a real Qdrant: it writes exactly the corpus as of the stop offsets (latest text per passage,
 * deletions and undecodable records left out, later changes not seen), each vector the one serving's
 * ONNX encoder gives the same text.
 */
class ReembedJobIT {
  private static final Topics TOPICS = Topics.withPrefix("re.");
  private static final String INDEX = "retriever-v1";
  @TempDir Path work;

  @Test
  void embeds_the_corpus_as_of_the_stop_offsets_into_the_collection() throws Exception {
    ModelRegistry registry = new ModelRegistry(work.resolve("models"), ModelSpec.BGE_SMALL_EN_V15);
    String artifact = registry.publish(INDEX, registry.cloneBase(1));
    try (EmbeddedKafka kafka = EmbeddedKafka.start(work.resolve("kafka"));
        QdrantServer qdrant = QdrantServer.start(QdrantServer.binary(QdrantServer.defaultCache()), work.resolve("qdrant"), Duration.ofSeconds(60));
        QdrantVectorStore store = new QdrantVectorStore(QdrantVectorStore.Config.local(qdrant.grpcPort(), "re"));
        KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers", kafka.bootstrapServers()),
            new StringSerializer(), new ByteArraySerializer())) {
      EmbeddedKafka.createTopics(kafka.bootstrapServers(), List.of(TOPICS.corpus()), 2, (short) 1);
      // Given 40 passages, one rewritten, one deleted, and a record no decoder reads
      Map<String, String> expected = new HashMap<>();
      Map<Integer, Long> stop = new HashMap<>(Map.of(0, 0L, 1, 0L));
      for (int i = 1; i <= 40; i++) send(producer, stop, upsert("p" + i, "Passage " + i + " is about topic number " + i + "."), expected);
      send(producer, stop, upsert("p3", "Passage three was rewritten to speak of rivers."), expected);
      send(producer, stop, PassageEvent.newBuilder().setPassageId("p5").setOp(PassageOp.DELETE).setTimestampMs(0).build(), expected);
      RecordMetadata garbage = producer.send(new ProducerRecord<>(TOPICS.corpus().name(), "p9", "not avro".getBytes(StandardCharsets.UTF_8))).get();
      stop.merge(garbage.partition(), garbage.offset() + 1, Math::max);
      // and a change after the positions the indexer's snapshot reflects
      producer.send(new ProducerRecord<>(TOPICS.corpus().name(), "p6", AvroCodec.of(PassageEvent.class)
          .encode(upsert("p6", "A change the snapshot has not seen.")))).get();
      store.create(INDEX, 384);

      // When the job runs at parallelism 2
      ReembedRequest request = new ReembedRequest(kafka.bootstrapServers(), "", TOPICS.corpus().name(), CorpusFollower.encode(stop),
          Limits.defaults(), INDEX, artifact, ModelSpec.BGE_SMALL_EN_V15.name(), "local", "", "us-east-1", "127.0.0.1", qdrant.grpcPort(), "re",
          false, 512, 16, 1, 2);
      StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
      new ReembedJob(request).build(env);
      env.execute("reembed-it");

      // Then the collection holds the snapshot, each vector the serving encoder's for the latest text
      Map<String, StoredPassage> stored = new HashMap<>();
      store.scan(INDEX, 100, chunk -> chunk.forEach(p -> stored.put(p.id(), p)));
      assertThat(stored.keySet()).containsExactlyInAnyOrderElementsOf(expected.keySet()).doesNotContain("p5").hasSize(39);
      assertThat(stored.get("p3").text()).contains("rivers");
      assertThat(stored.get("p6").text()).isEqualTo("Passage 6 is about topic number 6.");
      try (Encoder encoder = new OnnxEncoder(INDEX, registry.fetch(artifact), ModelSpec.BGE_SMALL_EN_V15, 512)) {
        List<String> ids = new ArrayList<>(expected.keySet());
        float[][] vectors = encoder.embedBatch(ids.stream().map(id -> new Corpus.Passage(id, "T", expected.get(id)).embeddingText()).toList(), 512);
        for (int i = 0; i < ids.size(); i++) {
          assertThat(Encoder.cosine(vectors[i], stored.get(ids.get(i)).vector())).as(ids.get(i)).isGreaterThan(0.9999);
        }
      }
    }
  }

  private static PassageEvent upsert(String id, String text) {
    return PassageEvent.newBuilder().setPassageId(id).setOp(PassageOp.UPSERT).setTitle("T").setText(text).setTimestampMs(0).build();
  }

  private static void send(KafkaProducer<String, byte[]> producer, Map<Integer, Long> stop, PassageEvent e, Map<String, String> expected)
      throws Exception {
    RecordMetadata m = producer.send(new ProducerRecord<>(TOPICS.corpus().name(), e.getPassageId(), AvroCodec.of(PassageEvent.class).encode(e))).get();
    stop.merge(m.partition(), m.offset() + 1, Math::max);
    if (e.getOp() == PassageOp.DELETE) expected.remove(e.getPassageId());
    else expected.put(e.getPassageId(), e.getText());
  }
}
