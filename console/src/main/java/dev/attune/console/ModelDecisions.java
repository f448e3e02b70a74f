package dev.attune.console;

import dev.attune.models.registry.ModelLog;
import dev.attune.models.registry.ModelRegistry;
import dev.attune.schemas.KafkaAccess;
import dev.attune.schemas.KafkaSettings;
import dev.attune.schemas.ModelKind;
import dev.attune.schemas.ModelVersion;
import dev.attune.schemas.Topic;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The console's two actions, as {@code attune models promote|rollback} takes them: decisions
 * appended to the model log, which every serving node and the trainer obey. Each is planned
 * against the log as it stands (read whole, not the console's possibly lagging view), shown to the
 * operator, and published only if the served version is still the one the plan was made against.
 */
final class ModelDecisions {
  /** What an action would publish, and the served version it was planned against. */
  record Plan(ModelKind kind, String action, int servedNow, int servedAfter, List<ModelVersion> records) {
    String describe() {
      return action + ": " + ModelRegistry.name(kind, servedNow) + " → " + ModelRegistry.name(kind, servedAfter);
    }
  }

  /** The served version moved between the plan and its confirmation. */
  static final class StalePlan extends RuntimeException {
    StalePlan(String message) {
      super(message);
    }
  }

  private final KafkaSettings kafka;
  private final Topic<ModelVersion> log;

  ModelDecisions(KafkaSettings kafka, Topic<ModelVersion> log) {
    this.kafka = kafka;
    this.log = log;
  }

  /** Serve {@code version} now, whatever the trainer decided about it. */
  Plan promote(ModelKind kind, int version, String who) {
    ModelLog current = read(kind);
    ModelVersion record = current.promote(version, who, System.currentTimeMillis());
    return new Plan(kind, "promote", current.servingVersion(), version, List.of(record));
  }

  /** Serve {@code to} (null: the previously promoted version) instead of the current one. */
  Plan rollback(ModelKind kind, Integer to, String who) {
    ModelLog current = read(kind);
    int target = to != null ? to : current.previousVersion();
    return new Plan(kind, "rollback", current.servingVersion(), target, current.rollbackTo(target, who, System.currentTimeMillis()));
  }

  /** Publishes {@code plan} if the served version is still {@code plan.servedNow()}; waits for the broker's acknowledgement. */
  void publish(Plan plan) {
    int served = read(plan.kind()).servingVersion();
    if (served != plan.servedNow()) {
      throw new StalePlan("the served " + plan.kind().name().toLowerCase() + " changed to " + ModelRegistry.name(plan.kind(), served)
          + " since this was planned against " + ModelRegistry.name(plan.kind(), plan.servedNow()) + "; nothing was published, look again");
    }
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(kafka.producer("console"), new StringSerializer(), new ByteArraySerializer())) {
      for (ModelVersion v : plan.records()) {
        producer.send(new ProducerRecord<>(log.name(), v.getKind().name(), log.codec().encode(v))).get(30, TimeUnit.SECONDS);
      }
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("the model log did not take the decision: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while publishing the decision", e);
    }
  }

  private ModelLog read(ModelKind kind) {
    ModelLog current = new ModelLog(kind);
    KafkaAccess.readAll(kafka, log.name(), bytes -> current.apply(log.codec().decode(bytes)));
    return current;
  }
}
