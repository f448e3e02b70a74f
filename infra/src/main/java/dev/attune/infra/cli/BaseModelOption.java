package dev.attune.infra.cli;

import dev.attune.models.encoder.ModelSpec;
import picocli.CommandLine.Option;

/** The pretrained model a command starts from, declared once for every command that takes one. */
final class BaseModelOption {
  static final String DESCRIPTION = "bge-small-en-v1.5, all-minilm-l6-v2, or a directory with model.onnx, tokenizer.json and attune-model.properties"
      + " (any BERT-family checkpoint in the same ONNX form) (default: ${DEFAULT-VALUE}).";

  @Option(names = "--base-model", defaultValue = "bge-small-en-v1.5", description = DESCRIPTION) String name;

  ModelSpec spec() {
    return ModelSpec.resolve(name);
  }
}
