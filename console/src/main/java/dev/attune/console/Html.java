package dev.attune.console;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;

/** The console's page frame and the few HTML pieces its views are made of; everything shown is escaped. */
final class Html {
  /** A page: where it is, its link's name, the question it answers (its heading). */
  record View(String path, String name, String question) {}

  static final List<View> VIEWS = List.of(
      new View("/flow", "Flow", "Is the loop flowing?"),
      new View("/signal", "LLM signal", "Is the LLM's signal healthy?"),
      new View("/decisions", "Decisions", "What did the trainer decide and why?"),
      new View("/serving", "Serving", "What is serving now, and how did the last swap go?"));
  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'").withZone(ZoneOffset.UTC);
  private static final String STYLE = "body{font-family:sans-serif;margin:0 2em 2em;color:#222}nav{padding:.8em 0;border-bottom:1px solid #ccc;margin-bottom:1em}"
      + "nav a{margin-right:1.2em}nav a.on{font-weight:bold}table{border-collapse:collapse;margin:.5em 0 1.2em}td,th{border:1px solid #ddd;padding:3px 8px;"
      + "text-align:left;font-size:13px;vertical-align:top}th{background:#f4f4f4}.num{text-align:right}.note{color:#666;font-size:13px}"
      + ".error{color:#b00;font-weight:bold}.ok{color:#080}form{display:inline-block;border:1px solid #ccc;padding:.6em;margin:0 1em 1em 0}"
      + "label{margin-right:.6em}";

  private Html() {}

  /** A whole page: navigation, the view's question as its heading, the body. */
  static String page(String path, String body, String footer) {
    View view = VIEWS.stream().filter(v -> v.path().equals(path)).findFirst().orElse(new View(path, "", "Attune console"));
    StringBuilder html = new StringBuilder("<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Attune · ")
        .append(escape(view.name())).append("</title><style>").append(STYLE).append("</style></head><body><nav>");
    for (View v : VIEWS) {
      html.append("<a href='").append(v.path()).append("'").append(v.path().equals(path) ? " class='on'" : "").append(">").append(escape(v.name())).append("</a>");
    }
    return html.append("</nav><h1>").append(escape(view.question())).append("</h1>").append(body)
        .append("<p class='note'>").append(escape(footer)).append("</p></body></html>").toString();
  }

  /** A table with an id, a header row and rows of already-escaped cells (use {@link #cell}). */
  static String table(String id, List<String> header, List<List<String>> rows) {
    StringBuilder t = new StringBuilder("<table id='").append(id).append("'><tr>");
    header.forEach(h -> t.append("<th>").append(escape(h)).append("</th>"));
    t.append("</tr>");
    for (List<String> row : rows) {
      t.append("<tr>");
      row.forEach(t::append);
      t.append("</tr>");
    }
    if (rows.isEmpty()) t.append("<tr><td colspan='").append(header.size()).append("' class='note'>none yet</td></tr>");
    return t.append("</table>").toString();
  }

  static String cell(Object value) {
    return "<td>" + escape(String.valueOf(value == null ? "-" : value)) + "</td>";
  }

  static String num(double value, String format) {
    return "<td class='num'>" + (Double.isNaN(value) ? "-" : escape(String.format(Locale.ROOT, format, value))) + "</td>";
  }

  static String time(long epochMs) {
    return epochMs <= 0 ? "-" : TIME.format(Instant.ofEpochMilli(epochMs));
  }

  static String escape(String s) {
    StringBuilder out = new StringBuilder(s.length());
    for (char c : s.toCharArray()) {
      switch (c) {
        case '<' -> out.append("&lt;");
        case '>' -> out.append("&gt;");
        case '&' -> out.append("&amp;");
        case '"' -> out.append("&quot;");
        case '\'' -> out.append("&#39;");
        default -> out.append(c);
      }
    }
    return out.toString();
  }
}
