package dev.attune.schemas;

import java.util.HashSet;
import java.util.Set;
import org.apache.avro.Schema;
import org.apache.avro.util.ClassSecurityValidator;

/**
 * Avro 1.12 refuses to instantiate classes it does not trust. Each codec registers the generated
 * classes its schema uses, so no JVM flag is needed to run Attune.
 */
final class TrustedPackages {
  private static final Set<String> registered = new HashSet<>();

  private TrustedPackages() {}

  static synchronized void register(Schema schema) {
    ClassSecurityValidator.Builder trusted = ClassSecurityValidator.builder();
    boolean added = collect(schema, trusted, new HashSet<>());
    if (added) {
      ClassSecurityValidator.setGlobal(
          ClassSecurityValidator.composite(ClassSecurityValidator.getGlobal(), trusted.build()));
    }
  }

  private static boolean collect(Schema schema, ClassSecurityValidator.Builder trusted, Set<String> seen) {
    boolean added = false;
    switch (schema.getType()) {
      case RECORD, ENUM -> {
        if (!seen.add(schema.getFullName())) {
          return false;
        }
        // Not SpecificData.getClass: it asks the validator we are about to extend.
        if (registered.add(schema.getFullName())) {
          trusted.add(schema.getFullName());
          added = true;
        }
        if (schema.getType() == Schema.Type.RECORD) {
          for (Schema.Field field : schema.getFields()) {
            added |= collect(field.schema(), trusted, seen);
          }
        }
      }
      case ARRAY -> added = collect(schema.getElementType(), trusted, seen);
      case MAP -> added = collect(schema.getValueType(), trusted, seen);
      case UNION -> {
        for (Schema branch : schema.getTypes()) {
          added |= collect(branch, trusted, seen);
        }
      }
      default -> { }
    }
    return added;
  }
}
