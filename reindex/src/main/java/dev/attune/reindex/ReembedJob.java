package dev.attune.reindex;

import dev.attune.schemas.KafkaSettings;
import dev.attune.serving.CorpusFollower;
import dev.attune.serving.reembed.ReembedRequest;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.common.TopicPartition;

/**
 * Bounded Flink job: the corpus topic from its start to the indexer's positions, the latest change
 * of each passage, deletions dropped, embedded and written into the new index's collection by
 * every parallel {@link EmbeddingSink} writer. Runs in batch mode, so the latest change per passage
 * is all that reaches the writers. The indexer ({@code FlinkReembedder}) submits it with a {@link
 * ReembedRequest} as arguments and, once it has finished, catches the index up, verifies and swaps.
 */
public final class ReembedJob {
  public static final String JOB_NAME = "attune-reembed";
  private final ReembedRequest request;

  public ReembedJob(ReembedRequest request) {
    this.request = request;
  }

  public static void main(String[] args) throws Exception {
    ReembedRequest request = ReembedRequest.parse(args);
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    new ReembedJob(request).build(env);
    env.execute(JOB_NAME + " " + request.index());
  }

  /** Adds the job to {@code env}. */
  public void build(StreamExecutionEnvironment env) {
    env.setRuntimeMode(RuntimeExecutionMode.BATCH);
    // Set on each operator: in batch mode Flink's adaptive scheduler would otherwise size the
    // embedding stage by bytes read, and a corpus is few bytes for a lot of embedding work.
    int parallelism = request.parallelism();
    env.fromSource(corpus(), WatermarkStrategy.noWatermarks(), "corpus").uid("corpus-source").setParallelism(parallelism)
        .keyBy(CorpusRecord::passageId)
        .reduce(CorpusRecord::later).name("latest-per-passage").uid("latest-per-passage").setParallelism(parallelism)
        .filter(r -> !r.deleted()).name("drop-deleted").uid("drop-deleted").setParallelism(parallelism)
        .sinkTo(new EmbeddingSink(request)).name("embed-into-" + request.index()).uid("embed").setParallelism(parallelism);
  }

  private KafkaSource<CorpusRecord> corpus() {
    KafkaSettings kafka = request.kafkaConfig().isEmpty() ? KafkaSettings.of(request.bootstrapServers())
        : KafkaSettings.load(request.bootstrapServers(), Path.of(request.kafkaConfig()));
    Properties props = kafka.common("reembed");
    props.remove("client.id");
    Map<TopicPartition, Long> stop = new HashMap<>();
    CorpusFollower.decode(request.stopOffsets()).forEach((partition, offset) -> stop.put(new TopicPartition(request.corpusTopic(), partition), offset));
    return KafkaSource.<CorpusRecord>builder()
        .setProperties(props)
        .setTopics(request.corpusTopic())
        .setGroupId(JOB_NAME + "-" + request.index())
        .setStartingOffsets(OffsetsInitializer.earliest())
        .setBounded(OffsetsInitializer.offsets(stop))
        .setDeserializer(new CorpusRecords(request.limits()))
        .setProperty("commit.offsets.on.checkpoint", "false")
        .build();
  }
}
