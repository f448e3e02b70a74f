package dev.attune.infra.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The models directory, declared once with one default for every command that takes it: on one
 * machine, serving, the trainers and {@code eval} then meet in the same place (the unpacked base,
 * every trained version, the trainers' state).
 */
final class ModelsDirOption {
  static final String DEFAULT = ".attune/models";

  @Option(names = "--models-dir", defaultValue = DEFAULT,
      description = "Models directory: the unpacked base, each trained version, the trainers' state (default: ${DEFAULT-VALUE};"
          + " attune demo keeps its own in .attune/demo/models).")
  Path path;
}
