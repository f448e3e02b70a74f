package dev.attune.models.registry;

import dev.attune.schemas.AvroCodec;
import dev.attune.schemas.ModelKind;
import dev.attune.schemas.ModelStatus;
import dev.attune.schemas.ModelVersion;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The model-versions topic folded into what it means, for one model kind: every version's latest
 * record, and which version is served. The rule, shared by trainer, serving and the registry
 * commands: the served version is the latest PROMOTED one not ROLLED_BACK since; PROMOTED again
 * re-promotes an earlier version (a rollback to it); with none left, the base (version 0). Each
 * version searches one index ({@link #indexVersion}): its own, or the one its query encoder was
 * trained against.
 */
public final class ModelLog {
  private final ModelKind kind;
  private final Map<Integer, ModelVersion> latest = new TreeMap<>();
  private final List<Integer> promoted = new ArrayList<>();

  public ModelLog(ModelKind kind) {
    this.kind = kind;
    AvroCodec.trust(ModelVersion.getClassSchema());
  }

  /** Applies one record in topic order; records of other kinds are ignored. */
  public void apply(ModelVersion v) {
    if (v.getKind() != kind) return;
    latest.put(v.getVersion(), v);
    if (v.getStatus() == ModelStatus.PROMOTED) {
      promoted.remove(Integer.valueOf(v.getVersion()));
      promoted.add(v.getVersion());
    } else if (v.getStatus() == ModelStatus.ROLLED_BACK) {
      promoted.remove(Integer.valueOf(v.getVersion()));
    }
  }

  public int servingVersion() {
    return promoted.isEmpty() ? 0 : promoted.get(promoted.size() - 1);
  }

  /** The version served if the current one were rolled back. */
  public int previousVersion() {
    return promoted.size() < 2 ? 0 : promoted.get(promoted.size() - 2);
  }

  /**
   * The version whose index {@code version} searches: itself for a version that embeds its own
   * passages (a full round, the base); for a query-side version, the index it was trained against,
   * followed until such a version, so no record can pair a query encoder with another query
   * encoder's "index".
   */
  public int indexVersion(int version) {
    int v = version;
    for (int hops = 0; hops <= latest.size(); hops++) {
      ModelVersion r = latest.get(v);
      if (r == null || r.getIndexVersion() == null || r.getIndexVersion() == v) return v;
      v = r.getIndexVersion();
    }
    throw new IllegalStateException("the index pairing of version " + version + " loops: " + latest.keySet());
  }

  /** The query-side versions decided on index {@code index} (trained against it, whatever their status), oldest first. */
  public List<ModelVersion> querySideOn(int index) {
    return latest.values().stream().filter(v -> v.getVersion() != index && indexVersion(v.getVersion()) == index).toList();
  }

  /** Every version's latest record, by version. */
  public Map<Integer, ModelVersion> versions() {
    return Collections.unmodifiableMap(latest);
  }

  /**
   * The records that make {@code target} the served version: the current one ROLLED_BACK (when it
   * is not the base) and {@code target} PROMOTED again.
   */
  public List<ModelVersion> rollbackTo(int target, String who, long nowMs) {
    int current = servingVersion();
    if (target == current) throw new IllegalArgumentException("version " + target + " is already served");
    if (target != 0 && !latest.containsKey(target)) throw new IllegalArgumentException("no version " + target + "; known: " + latest.keySet());
    String reason = "rollback from v" + current + " to v" + target + " by " + who;
    List<ModelVersion> out = new ArrayList<>();
    if (current != 0) out.add(restated(latest.get(current), ModelStatus.ROLLED_BACK, reason, nowMs));
    out.add(restated(latest.getOrDefault(target, base(target)), ModelStatus.PROMOTED, reason, nowMs));
    return out;
  }

  /** A record that promotes {@code version} by hand (e.g. a REJECTED candidate an operator trusts). */
  public ModelVersion promote(int version, String who, long nowMs) {
    ModelVersion v = latest.get(version);
    if (v == null) throw new IllegalArgumentException("no version " + version + "; known: " + latest.keySet());
    return restated(v, ModelStatus.PROMOTED, "promoted by " + who + " (was " + v.getStatus() + ")", nowMs);
  }

  private ModelVersion base(int version) {
    return ModelVersion.newBuilder().setKind(kind).setVersion(version).setName(ModelRegistry.name(kind, version))
        .setArtifactUri("bundled:base").setCreatedAtMs(0).setStatus(ModelStatus.PROMOTED).build();
  }

  private static ModelVersion restated(ModelVersion v, ModelStatus status, String reason, long nowMs) {
    ModelVersion copy = ModelVersion.newBuilder(v).build();
    copy.setStatus(status);
    copy.setReason(reason);
    copy.setCreatedAtMs(nowMs);
    return copy;
  }
}
