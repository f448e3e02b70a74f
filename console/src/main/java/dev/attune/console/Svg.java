package dev.attune.console;

import java.util.List;
import java.util.Locale;
import java.util.function.DoubleFunction;

/**
 * Inline SVG plots, rendered on the server: a line chart of series over a numeric x (time or
 * version) and a horizontal bar chart. No script and no front-end build; the page is the picture.
 */
final class Svg {
  /** A named series of (x, y) points, x ascending. */
  record Series(String name, List<double[]> points) {}

  /** One bar. */
  record Bar(String label, double value) {}

  private static final String[] COLOURS = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"};
  private static final int W = 820;
  private static final int H = 240;
  private static final int LEFT = 60;
  private static final int RIGHT = 230;
  private static final int TOP = 28;
  private static final int BOTTOM = 30;

  private Svg() {}

  /** How a chart reads: a y axis from zero (rates, durations, shares) or fitted to the data (close quality figures); lines or points only (events). */
  enum Style {
    FROM_ZERO(true, true), FITTED(false, true), EVENTS(true, false);

    final boolean fromZero;
    final boolean connect;

    Style(boolean fromZero, boolean connect) {
      this.fromZero = fromZero;
      this.connect = connect;
    }
  }

  /** A chart of series over x; {@code xLabel} formats the x axis' ends, {@code yLabel} the y axis' grid. Points are marked, so a single one shows. */
  static String lines(String id, String title, List<Series> series, DoubleFunction<String> xLabel, DoubleFunction<String> yLabel, Style style) {
    List<Series> drawn = series.stream().filter(s -> !s.points().isEmpty()).toList();
    StringBuilder svg = open(id, title, H);
    if (drawn.isEmpty()) return svg.append(text(LEFT, H / 2, "no data yet", "start")).append("</svg>").toString();
    double x0 = Double.MAX_VALUE, x1 = -Double.MAX_VALUE, y0 = Double.MAX_VALUE, y1 = -Double.MAX_VALUE;
    for (Series s : drawn) {
      for (double[] p : s.points()) {
        x0 = Math.min(x0, p[0]);
        x1 = Math.max(x1, p[0]);
        y0 = Math.min(y0, p[1]);
        y1 = Math.max(y1, p[1]);
      }
    }
    if (style.fromZero) y0 = Math.min(0, y0);
    double ySpan = y1 - y0 == 0 ? Math.max(Math.abs(y1), 1) * 0.1 : y1 - y0;
    if (!style.fromZero) y0 -= ySpan * 0.1;
    y1 += ySpan * 0.1;
    // A margin on x, so points at the ends (or a single x) do not sit on the frame.
    double xSpan = x1 - x0 == 0 ? 1 : x1 - x0;
    x0 -= xSpan * 0.05;
    x1 += xSpan * 0.05;
    int plotW = W - LEFT - RIGHT, plotH = H - TOP - BOTTOM;
    svg.append(String.format(Locale.ROOT, "<rect x='%d' y='%d' width='%d' height='%d' fill='none' stroke='#999'/>", LEFT, TOP, plotW, plotH));
    for (int g = 0; g <= 4; g++) {
      double value = y0 + (y1 - y0) * g / 4;
      int y = TOP + plotH - plotH * g / 4;
      svg.append(String.format(Locale.ROOT, "<line x1='%d' x2='%d' y1='%d' y2='%d' stroke='#eee'/>", LEFT, LEFT + plotW, y, y));
      svg.append(text(LEFT - 4, y + 4, yLabel.apply(value), "end"));
    }
    if (x1 - x0 > xSpan * 1.05) {
      svg.append(text(LEFT, H - 8, xLabel.apply(x0 + xSpan * 0.05), "start")).append(text(LEFT + plotW, H - 8, xLabel.apply(x1 - xSpan * 0.05), "end"));
    } else {
      svg.append(text(LEFT + plotW / 2, H - 8, xLabel.apply((x0 + x1) / 2), "middle"));
    }
    for (int i = 0; i < drawn.size(); i++) {
      Series s = drawn.get(i);
      String colour = COLOURS[i % COLOURS.length];
      StringBuilder path = new StringBuilder();
      StringBuilder marks = new StringBuilder();
      for (double[] p : s.points()) {
        double x = LEFT + (p[0] - x0) / (x1 - x0) * plotW;
        double y = TOP + plotH - (p[1] - y0) / (y1 - y0) * plotH;
        path.append(path.length() == 0 ? "M" : " L").append(String.format(Locale.ROOT, "%.1f %.1f", x, y));
        marks.append(String.format(Locale.ROOT, "<circle cx='%.1f' cy='%.1f' r='3.5' fill='%s'><title>%s at %s: %s</title></circle>", x, y, colour,
            Html.escape(s.name()), Html.escape(xLabel.apply(p[0])), Html.escape(yLabel.apply(p[1]))));
      }
      if (style.connect) svg.append("<path d='").append(path).append("' fill='none' stroke='").append(colour).append("' stroke-width='1.5'/>");
      svg.append(marks);
      svg.append(String.format(Locale.ROOT, "<rect x='%d' y='%d' width='10' height='10' fill='%s'/>", W - RIGHT + 10, TOP + 4 + i * 16, colour));
      svg.append(text(W - RIGHT + 24, TOP + 13 + i * 16, s.name(), "start"));
    }
    return svg.append("</svg>").toString();
  }

  /** Horizontal bars, one per label, longest first as given. */
  static String bars(String id, String title, List<Bar> bars, DoubleFunction<String> valueLabel) {
    int height = Math.max(60, 22 * bars.size() + 34);
    StringBuilder svg = open(id, title, height);
    if (bars.isEmpty()) return svg.append(text(LEFT, 40, "none", "start")).append("</svg>").toString();
    double max = bars.stream().mapToDouble(Bar::value).max().orElse(1);
    int labelW = 300, barW = W - labelW - 80;
    for (int i = 0; i < bars.size(); i++) {
      Bar b = bars.get(i);
      int y = 24 + i * 22;
      double w = max <= 0 ? 0 : b.value() / max * barW;
      svg.append(text(labelW - 6, y + 13, b.label(), "end"));
      svg.append(String.format(Locale.ROOT, "<rect x='%d' y='%d' width='%.1f' height='16' fill='%s'/>", labelW, y, Math.max(w, 1), COLOURS[1]));
      svg.append(text((int) (labelW + w + 6), y + 13, valueLabel.apply(b.value()), "start"));
    }
    return svg.append("</svg>").toString();
  }

  /** The frame, with the chart's title shown at its top (and as its accessible name). */
  private static StringBuilder open(String id, String title, int height) {
    return new StringBuilder(String.format(Locale.ROOT,
        "<svg id='%s' role='img' aria-label='%s' viewBox='0 0 %d %d' width='%d' height='%d' font-family='sans-serif' font-size='11'><title>%s</title>"
            + "<text x='%d' y='14' font-weight='bold' font-size='12'>%s</text>",
        id, Html.escape(title), W, height, W, height, Html.escape(title), LEFT, Html.escape(title)));
  }

  private static String text(int x, int y, String s, String anchor) {
    return String.format(Locale.ROOT, "<text x='%d' y='%d' text-anchor='%s'>%s</text>", x, y, anchor, Html.escape(s));
  }
}
