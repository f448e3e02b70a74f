package dev.attune.infra.demo;

import dev.attune.trainers.bridge.BridgeEvaluation;
import java.io.PrintStream;
import java.util.Map;

/** Prints a bridge comparison (row → utility, answer recall, length) as a table. */
public final class BridgeTable {
  private BridgeTable() {}

  public static void print(String title, Map<String, Map<String, Double>> table, PrintStream out) {
    out.println(title);
    out.printf("  %-30s %10s %16s %14s %8s%n", "sequence from", "utility", "log-likelihood", "answer recall", "length");
    table.forEach((row, m) -> out.printf("  %-30s %10.4f %16.4f %14.4f %8.2f%n", row, m.get(BridgeEvaluation.UTILITY),
        m.get(BridgeEvaluation.LOG_LIKELIHOOD), m.get(BridgeEvaluation.ANSWER_RECALL), m.get(BridgeEvaluation.LENGTH)));
  }
}
