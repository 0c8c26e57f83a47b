package dev.prosparse.report;

import dev.prosparse.ProsparseException;
import dev.prosparse.util.AtomicFiles;
import java.awt.BasicStroke;
import java.awt.Color;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.knowm.xchart.AnnotationLine;
import org.knowm.xchart.AnnotationText;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.CategorySeries;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.AxesChartStyler;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Every chart of the reports, drawn by XChart from plain data ({@link Line}, {@link Bars}). This is the
 * only class that touches XChart or AWT: its static initializer puts AWT in headless mode first, so charts
 * render on servers and in CI without a display.
 */
public final class Charts {
    static {
        System.setProperty("java.awt.headless", "true");
        ChartFonts.configureJre();                      // the shipped font for every logical font: no system fonts needed
    }

    public static final int WIDTH = 960;
    public static final int HEIGHT = 540;

    /** Colour-blind-safe palette (Okabe–Ito, then tab10 extras). */
    private static final Color[] PALETTE = {new Color(0, 114, 178), new Color(213, 94, 0), new Color(0, 158, 115),
        new Color(204, 121, 167), new Color(230, 159, 0), new Color(86, 180, 233), new Color(0, 0, 0),
        new Color(148, 103, 189), new Color(140, 86, 75), new Color(127, 127, 127)};

    private Charts() {}

    /** One line (x, y) of a line chart. {@code rightAxis} puts it on the secondary (right) y axis. */
    public record Series(String name, double[] x, double[] y, boolean rightAxis, boolean faint, boolean markers) {
        public static Series of(String name, double[] x, double[] y) {
            return new Series(name, x, y, false, false, false);
        }

        /** Drawn thin: a secondary line. */
        public Series thin() {
            return new Series(name, x, y, rightAxis, true, markers);
        }

        /** On the right-hand y axis. */
        public Series right() {
            return new Series(name, x, y, true, faint, markers);
        }

        /** With a dot at every point (sparse data such as evaluations). */
        public Series withMarkers() {
            return new Series(name, x, y, rightAxis, faint, true);
        }
    }

    /** A labelled region of the x axis (a training stage): a vertical line at its end, its name on top. */
    public record Region(double from, double to, String name) {}

    /** An XY line chart. {@code yMin}/{@code yMax} may be null (automatic). */
    public record Line(String title, String xTitle, String yTitle, String y2Title, List<Series> series,
            List<Region> regions, boolean logY, Double yMin, Double yMax, boolean legend) {}

    /** Grouped bars: one group per category, one bar per series. {@code values.get(s)[c]}. */
    public record Bars(String title, String xTitle, String yTitle, List<String> categories, List<String> seriesNames,
            List<double[]> values, Double yMax) {}

    // ---- output -------------------------------------------------------------------------------------

    public static byte[] png(Object spec) {
        try {
            return BitmapEncoder.getBitmapBytes(build(spec), BitmapEncoder.BitmapFormat.PNG);
        } catch (IOException e) {
            throw ProsparseException.io("Rendering a PNG chart failed: " + e.getMessage(), e);
        }
    }

    public static byte[] svg(Object spec) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            VectorGraphicsEncoder.saveVectorGraphic(build(spec), out, VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
        } catch (IOException e) {
            throw ProsparseException.io("Rendering an SVG chart failed: " + e.getMessage(), e);
        }
        return out.toByteArray();
    }

    /** Writes {@code base}.png and {@code base}.svg; returns both paths. */
    public static List<Path> write(Object spec, Path dir, String base) {
        Path png = dir.resolve(base + ".png");
        Path svg = dir.resolve(base + ".svg");
        AtomicFiles.writeBytes(png, png(spec));
        AtomicFiles.writeBytes(svg, svg(spec));
        return List.of(png, svg);
    }

    /** Several line charts on one PNG, {@code cols} per row (each at half size). */
    public static byte[] pngGrid(List<Line> charts, int cols) {
        List<XYChart> built = new ArrayList<>();
        for (Line l : charts) {
            built.add(line(l, WIDTH * 3 / 5, HEIGHT * 3 / 5));
        }
        int rows = (charts.size() + cols - 1) / cols;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            BitmapEncoder.saveBitmap(built, rows, cols, out, BitmapEncoder.BitmapFormat.PNG);
        } catch (IOException e) {
            throw ProsparseException.io("Rendering a PNG chart failed: " + e.getMessage(), e);
        }
        return out.toByteArray();
    }

    /** An SVG file's text (for tests and for embedding). */
    static String svgText(Object spec) {
        return new String(svg(spec), StandardCharsets.UTF_8);
    }

    // ---- building -------------------------------------------------------------------------------------

    private static Chart<?, ?> build(Object spec) {
        if (spec instanceof Line l) {
            return line(l, WIDTH, HEIGHT);
        }
        if (spec instanceof Bars b) {
            return bars(b);
        }
        throw new IllegalArgumentException("not a chart spec: " + spec);
    }

    private static void style(Styler s) {
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

    private static void axes(AxesChartStyler s) {
        s.setAxisTitleFont(ChartFonts.plain(13));
        s.setAxisTickLabelsFont(ChartFonts.plain(11));
        s.setPlotGridLinesColor(new Color(230, 230, 230));
        s.setPlotGridLinesStroke(new BasicStroke(1f));
        s.setAxisTickPadding(4);
        s.setLocale(Locale.ROOT);
    }

    /** A horizontal legend under the plot when it fits on one line, else a vertical one on the right. */
    private static void legend(Styler s, List<String> names, int width) {
        int px = 0;
        for (String n : names) {
            px += n.length() * 7 + 45;
        }
        boolean fits = px <= width - 40;
        s.setLegendPosition(fits ? Styler.LegendPosition.OutsideS : Styler.LegendPosition.OutsideE);
        s.setLegendLayout(fits ? Styler.LegendLayout.Horizontal : Styler.LegendLayout.Vertical);
    }

    /**
     * Drops the inner points of runs of equal y (a constant λ over a stage): the line is the same, and
     * anti-aliased joints of many short collinear segments would otherwise draw it dotted.
     */
    static double[][] dropFlatRuns(double[] x, double[] y) {
        List<Integer> keep = new ArrayList<>();
        for (int i = 0; i < y.length; i++) {
            boolean inner = i > 0 && i < y.length - 1 && y[i] == y[i - 1] && y[i] == y[i + 1];
            if (!inner) {
                keep.add(i);
            }
        }
        double[][] out = new double[2][keep.size()];
        for (int k = 0; k < keep.size(); k++) {
            out[0][k] = x[keep.get(k)];
            out[1][k] = y[keep.get(k)];
        }
        return out;
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

    private static double span(List<Series> series, boolean right) {
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (Series ser : series) {
            if (ser.rightAxis() == right) {
                for (double v : ser.y()) {
                    if (Double.isFinite(v)) {
                        lo = Math.min(lo, v);
                        hi = Math.max(hi, v);
                    }
                }
            }
        }
        return hi - lo;
    }

    static XYChart line(Line spec, int width, int height) {
        XYChart c = new XYChartBuilder().width(width).height(height).title(spec.title())
                .xAxisTitle(spec.xTitle()).yAxisTitle(spec.yTitle()).build();
        var s = c.getStyler();
        style(s);
        axes(s);
        s.setLegendVisible(spec.legend() && !spec.series().isEmpty());
        legend(s, spec.series().stream().map(Series::name).toList(), width);
        s.setMarkerSize(5);
        s.setYAxisLogarithmic(spec.logY());
        s.setXAxisDecimalPattern("#,##0.###");
        if (spec.y2Title() != null) {
            c.setYAxisGroupTitle(1, spec.y2Title());
            s.setYAxisGroupPosition(1, Styler.YAxisPosition.Right);
        }
        double[] range = yRange(spec);
        if (range != null) {
            s.setYAxisMin(0, range[0]);
            s.setYAxisMax(0, range[1]);
        }
        boolean twoAxes = spec.series().stream().anyMatch(Series::rightAxis);
        if (!spec.logY() && !twoAxes) {
            // (XChart 3.8.8 formats the right axis with the left axis' pattern, so only one-axis charts get one)
            s.setYAxisDecimalPattern(decimalPattern(range != null ? range[1] - range[0] : span(spec.series(), false)));
        }
        if (twoAxes) {
            c.setCustomYAxisTickLabelsFormatter(Charts::compact);
            double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
            for (Series ser : spec.series()) {
                for (double v : ser.rightAxis() ? ser.y() : new double[0]) {
                    if (Double.isFinite(v)) {
                        lo = Math.min(lo, v);
                        hi = Math.max(hi, v);
                    }
                }
            }
            if (lo <= hi && !spec.regions().isEmpty()) {                 // the same headroom as the left axis
                double pad = hi > lo ? hi - lo : Math.max(Math.abs(hi), 1e-12);
                s.setYAxisMin(1, lo - 0.03 * pad);
                s.setYAxisMax(1, hi + 0.14 * pad);
            }
        }
        for (Series ser : spec.series()) {
            if (ser.x().length == 0) {
                continue;
            }
            double[][] xy = dropFlatRuns(ser.x(), ser.y());
            XYSeries xs = c.addSeries(ser.name(), xy[0], xy[1]);
            // dots where the data is sparse, so that a straight segment is not mistaken for measured values
            boolean dots = ser.markers() || !ser.faint() && xy[0].length > 1 && ser.x().length <= 40;
            xs.setMarker(dots ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
            xs.setLineWidth(ser.faint() ? 1f : 2f);
            if (ser.rightAxis()) {
                xs.setYAxisGroup(1);
            }
        }
        if (c.getSeriesMap().isEmpty()) {                      // XChart refuses to paint a chart with no data
            XYSeries none = c.addSeries("no data yet", new double[] {0}, new double[] {0});
            none.setMarker(SeriesMarkers.NONE);
            none.setShowInLegend(false);
        }
        if (!spec.regions().isEmpty()) {
            s.setXAxisMin(spec.regions().get(0).from());
            s.setXAxisMax(spec.regions().get(spec.regions().size() - 1).to());
            if (range != null) {
                regions(c, spec.regions(), range, spec.logY(), width);
            }
        }
        return c;
    }

    /** Stage boundaries as dashed vertical lines, with the stage's name (or number, if it does not fit) on top. */
    private static void regions(XYChart c, List<Region> regions, double[] yRange, boolean logY, int width) {
        double x0 = regions.get(0).from(), x1 = regions.get(regions.size() - 1).to();
        double span = Math.max(x1 - x0, 1e-9);
        double plotPx = width - 170;                                   // axis titles, ticks and padding
        double yText = logY ? Math.exp(Math.log(yRange[0]) + 0.955 * (Math.log(yRange[1]) - Math.log(yRange[0])))
                : yRange[0] + 0.955 * (yRange[1] - yRange[0]);
        for (int i = 0; i < regions.size(); i++) {
            Region r = regions.get(i);
            if (i < regions.size() - 1) {
                c.addAnnotation(new AnnotationLine(r.to(), true, false));
            }
            double px = (r.to() - r.from()) / span * plotPx;
            String label = r.name().length() * 6.5 + 8 <= px ? r.name()
                    : String.valueOf(i + 1).length() * 6.5 + 4 <= px ? String.valueOf(i + 1) : "";
            if (!label.isEmpty()) {
                c.addAnnotation(new AnnotationText(label, (r.from() + r.to()) / 2, yText, false));
            }
        }
    }

    /**
     * The y range with 10% headroom on top for the stage names (null when the chart lets XChart choose),
     * honouring {@code yMin}/{@code yMax}.
     */
    private static double[] yRange(Line spec) {
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (Series s : spec.series()) {
            if (s.rightAxis()) {
                continue;
            }
            for (double v : s.y()) {
                if (Double.isFinite(v) && (!spec.logY() || v > 0)) {
                    lo = Math.min(lo, v);
                    hi = Math.max(hi, v);
                }
            }
        }
        if (spec.yMin() != null) {
            lo = spec.yMin();
        }
        if (spec.yMax() != null) {
            hi = spec.yMax();
        }
        if (!(lo <= hi) || spec.regions().isEmpty() && spec.yMin() == null && spec.yMax() == null) {
            return null;
        }
        if (spec.logY()) {
            double a = Math.log10(lo), b = Math.log10(hi);
            double pad = Math.max(b - a, 0.05);
            return new double[] {Math.pow(10, a - 0.03 * pad), Math.pow(10, b + (spec.regions().isEmpty() ? 0.03 : 0.14) * pad)};
        }
        double pad = hi > lo ? hi - lo : Math.max(Math.abs(hi), 1.0);
        double min = spec.yMin() != null ? spec.yMin() : lo - 0.03 * pad;
        double max = spec.yMax() != null && spec.regions().isEmpty() ? spec.yMax()
                : hi + (spec.regions().isEmpty() ? 0.03 : 0.14) * pad;
        return new double[] {min, max};
    }

    static CategoryChart bars(Bars spec) {
        CategoryChart c = new CategoryChartBuilder().width(WIDTH).height(HEIGHT).title(spec.title())
                .xAxisTitle(spec.xTitle()).yAxisTitle(spec.yTitle()).build();
        var s = c.getStyler();
        style(s);
        axes(s);
        s.setLegendVisible(true);
        legend(s, spec.seriesNames(), WIDTH);
        s.setOverlapped(false);
        s.setAvailableSpaceFill(spec.seriesNames().size() > 1 ? 0.85 : 0.6);
        s.setPlotGridVerticalLinesVisible(false);
        s.setYAxisMin(0.0);
        if (spec.yMax() != null) {
            s.setYAxisMax(spec.yMax());
        }
        if (spec.categories().size() > 24) {
            s.setXAxisLabelRotation(90);
        }
        for (int i = 0; i < spec.seriesNames().size(); i++) {
            List<Double> ys = new ArrayList<>();
            for (double v : spec.values().get(i)) {
                ys.add(v);
            }
            CategorySeries cs = c.addSeries(spec.seriesNames().get(i), spec.categories(), ys);
            cs.setFillColor(PALETTE[i % PALETTE.length]);
        }
        return c;
    }
}
