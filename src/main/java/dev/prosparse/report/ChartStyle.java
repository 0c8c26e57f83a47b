package dev.prosparse.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.util.List;
import java.util.Locale;
import org.knowm.xchart.style.AxesChartStyler;
import org.knowm.xchart.style.Styler;

/** The house look of every chart ({@link Charts}): palette, fonts, grid, legend placement and tick labels. */
final class ChartStyle {
    private ChartStyle() {}

    /** Colour-blind-safe palette (Okabe–Ito, then tab10 extras). */
    static final Color[] PALETTE = {new Color(0, 114, 178), new Color(213, 94, 0), new Color(0, 158, 115),
        new Color(204, 121, 167), new Color(230, 159, 0), new Color(86, 180, 233), new Color(0, 0, 0),
        new Color(148, 103, 189), new Color(140, 86, 75), new Color(127, 127, 127)};

    /**
     * Two-axis charts: every series on the left axis takes a shade of blue, every series on the right axis a shade
     * of orange, and each axis' title and tick labels take its family's first colour, so a line's colour says which
     * axis it is read on. The n-th series of each axis shares a marker shape (one model of a sweep: both its lines).
     */
    static final Color[] LEFT_FAMILY = {new Color(0, 114, 178), new Color(86, 180, 233), new Color(0, 62, 110),
        new Color(110, 140, 200)};
    static final Color[] RIGHT_FAMILY = {new Color(213, 94, 0), new Color(230, 159, 0), new Color(140, 50, 0),
        new Color(240, 120, 100)};

    static void style(Styler s) {
        s.setChartBackgroundColor(Color.WHITE);
        s.setPlotBackgroundColor(Color.WHITE);
        s.setPlotBorderColor(new Color(200, 200, 200));
        s.setLegendBorderColor(new Color(200, 200, 200));
        s.setBaseFont(ChartFonts.plain(12));            // the shipped font everywhere: no system fonts needed
        s.setChartTitleFont(ChartFonts.bold(16));
        s.setLegendFont(ChartFonts.plain(12));
        s.setAnnotationTextFont(ChartFonts.plain(11));
        s.setAnnotationTextFontColor(new Color(90, 90, 90));
        s.setAnnotationLineColor(new Color(150, 150, 150));
        s.setAnnotationLineStroke(new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f,
                new float[] {5f, 4f}, 0f));
        s.setSeriesColors(PALETTE);
        s.setChartTitleBoxVisible(false);
        s.setToolTipsEnabled(false);
        s.setChartPadding(12);
    }

    static void axes(AxesChartStyler s) {
        s.setAxisTitleFont(ChartFonts.plain(13));
        s.setAxisTickLabelsFont(ChartFonts.plain(11));
        s.setPlotGridLinesColor(new Color(230, 230, 230));
        s.setPlotGridLinesStroke(new BasicStroke(1f));
        s.setAxisTickPadding(4);
        s.setLocale(Locale.ROOT);
    }

    /**
     * A compact legend that leaves the plot most of the width: one line under the plot when the names fit on it;
     * else a narrow column on the right when the names are short (at most a fifth of the width, e.g. "layer 12");
     * else one name per line under the plot.
     */
    static void legend(Styler s, List<String> names, int width) {
        int row = 0, longest = 0;
        for (String n : names) {
            row += n.length() * 7 + 45;
            longest = Math.max(longest, n.length());
        }
        if (row <= width - 40) {
            s.setLegendPosition(Styler.LegendPosition.OutsideS);
            s.setLegendLayout(Styler.LegendLayout.Horizontal);
        } else if (longest * 7 + 50 <= width / 5) {
            s.setLegendPosition(Styler.LegendPosition.OutsideE);
            s.setLegendLayout(Styler.LegendLayout.Vertical);
        } else {
            s.setLegendPosition(Styler.LegendPosition.OutsideS);
            s.setLegendLayout(Styler.LegendLayout.Vertical);
        }
    }

    /**
     * A tick label with no superfluous digits: 0.05, 2.5, 120, 1,200. (Two-axis charts use it: XChart 3.8.8
     * formats the right axis with the left axis' decimal pattern, which turns 0.0005 into 0.)
     */
    static String compact(Double v) {
        if (v == null || !Double.isFinite(v)) {
            return String.valueOf(v);
        }
        if (Math.abs(v) >= 1000) {
            return String.format(Locale.ROOT, "%,.0f", v);
        }
        if (Math.abs(v) < 1e-12) {
            return "0";
        }
        return new java.math.BigDecimal(v).round(new java.math.MathContext(6)).stripTrailingZeros().toPlainString();
    }

    /** Decimals for tick labels of a linear axis spanning {@code range} (about ten ticks). */
    static String decimalPattern(double range) {
        if (!(range > 0) || !Double.isFinite(range)) {
            return "0.###";
        }
        int decimals = (int) Math.max(0, Math.ceil(-Math.log10(range / 10)));
        return decimals == 0 ? "#,##0" : "0." + "0".repeat(Math.min(decimals, 6));
    }
}
