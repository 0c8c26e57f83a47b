package dev.prosparse.report;

import dev.prosparse.report.Charts.Line;
import dev.prosparse.report.Charts.Region;
import dev.prosparse.report.Charts.Series;
import java.awt.Color;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.AnnotationLine;
import org.knowm.xchart.AnnotationText;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.Marker;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** Builds the XChart line chart of a {@link Line} spec: axes, ranges with headroom, series, stage regions. */
final class LineChart {
    /** Marker shapes of a two-axis chart: the n-th series of each axis shares one. */
    private static final Marker[] SHAPES = {SeriesMarkers.CIRCLE, SeriesMarkers.SQUARE, SeriesMarkers.DIAMOND,
        SeriesMarkers.TRIANGLE_UP};

    private LineChart() {}

    static XYChart line(Line spec, int width, int height) {
        XYChart c = new XYChartBuilder().width(width).height(height).title(spec.title())
                .xAxisTitle(spec.xTitle()).yAxisTitle(spec.yTitle()).build();
        var s = c.getStyler();
        ChartStyle.style(s);
        ChartStyle.axes(s);
        s.setLegendVisible(spec.legend() && !spec.series().isEmpty());
        ChartStyle.legend(s, spec.series().stream().map(Series::name).toList(), width);
        s.setMarkerSize(5);
        s.setYAxisLogarithmic(spec.logY());
        s.setXAxisDecimalPattern("#,##0.###");
        if (spec.y2Title() != null) {
            c.setYAxisGroupTitle(1, spec.y2Title());
            s.setYAxisGroupPosition(1, Styler.YAxisPosition.Right);
        }
        boolean twoAxes = spec.series().stream().anyMatch(Series::rightAxis);
        if (twoAxes) {                                   // each axis in its series' colour family
            s.setYAxisGroupTitleColor(0, ChartStyle.LEFT_FAMILY[0]);
            s.setYAxisGroupTitleColor(1, ChartStyle.RIGHT_FAMILY[0]);
            s.setYAxisGroupTickLabelsColorMap(0, ChartStyle.LEFT_FAMILY[0]);
            s.setYAxisGroupTickLabelsColorMap(1, ChartStyle.RIGHT_FAMILY[0]);
        }
        double[] range = yRange(spec);
        if (range != null) {
            s.setYAxisMin(0, range[0]);
            s.setYAxisMax(0, range[1]);
        }
        if (!spec.logY() && !twoAxes) {
            // (XChart 3.8.8 formats the right axis with the left axis' pattern, so only one-axis charts get one)
            s.setYAxisDecimalPattern(ChartStyle.decimalPattern(range != null ? range[1] - range[0] : span(spec.series(), false)));
        }
        if (twoAxes) {
            c.setCustomYAxisTickLabelsFormatter(ChartStyle::compact);
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
        int[] onAxis = new int[2];                            // series so far on the left and on the right axis
        for (Series ser : spec.series()) {
            int k = onAxis[ser.rightAxis() ? 1 : 0]++;
            if (ser.x().length == 0) {
                continue;
            }
            double[][] xy = dropFlatRuns(ser.x(), ser.y());
            XYSeries xs = c.addSeries(ser.name(), xy[0], xy[1]);
            // dots where the data is sparse, so that a straight segment is not mistaken for measured values
            boolean dots = ser.markers() || !ser.faint() && xy[0].length > 1 && ser.x().length <= 40;
            xs.setMarker(dots ? (twoAxes ? SHAPES[k % SHAPES.length] : SeriesMarkers.CIRCLE) : SeriesMarkers.NONE);
            xs.setLineWidth(ser.faint() ? 1f : 2f);
            if (twoAxes) {
                Color[] family = ser.rightAxis() ? ChartStyle.RIGHT_FAMILY : ChartStyle.LEFT_FAMILY;
                xs.setLineColor(family[k % family.length]);
                xs.setMarkerColor(family[k % family.length]);
            }
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

    /** Stage boundaries as dashed vertical lines, each stage labelled on top ({@link #stageLabels}). */
    private static void regions(XYChart c, List<Region> regions, double[] yRange, boolean logY, int width) {
        for (int i = 0; i < regions.size() - 1; i++) {
            c.addAnnotation(new AnnotationLine(regions.get(i).to(), true, false));
        }
        double plotPx = width - 170;                                   // axis titles, ticks and padding
        for (StageLabel l : stageLabels(regions, plotPx)) {
            double f = 0.955 - 0.05 * l.row();                         // the top row, or the one under it
            double y = logY ? Math.exp(Math.log(yRange[0]) + f * (Math.log(yRange[1]) - Math.log(yRange[0])))
                    : yRange[0] + f * (yRange[1] - yRange[0]);
            c.addAnnotation(new AnnotationText(l.text(), l.x(), y, false));
        }
    }

    /** A stage's label: its text, centred at {@code x} (data units), on row 0 (top) or 1. */
    record StageLabel(String text, double x, int row) {}

    /**
     * The stage labels over a plot {@code plotPx} wide (6.5 px a character): a stage's name where it fits the stage;
     * else "stage N" (1-based, as the run summary's {@code #} column), which may overhang its narrow stage, on the
     * top row or the one under it, wherever it overlaps no other label; else "sN"; else nothing. Never a bare
     * number, which reads as a value.
     */
    static List<StageLabel> stageLabels(List<Region> regions, double plotPx) {
        double x0 = regions.get(0).from(), span = Math.max(regions.get(regions.size() - 1).to() - x0, 1e-9);
        List<List<double[]>> taken = List.of(new ArrayList<>(), new ArrayList<>());   // [from, to] px, per row
        StageLabel[] out = new StageLabel[regions.size()];
        for (int pass = 0; pass < 2; pass++) {                 // names that fit first, then the numbered ones
            for (int i = 0; i < regions.size(); i++) {
                Region r = regions.get(i);
                double mid = ((r.from() + r.to()) / 2 - x0) / span * plotPx;
                double px = (r.to() - r.from()) / span * plotPx;
                List<String> texts = pass == 0 ? List.of(r.name()) : List.of("stage " + (i + 1), "s" + (i + 1));
                for (String t : texts) {
                    double w = t.length() * 6.5 + 6;
                    for (int row = 0; row < 2 && out[i] == null; row++) {
                        double from = mid - w / 2, to = mid + w / 2;
                        boolean ok = pass == 0 ? row == 0 && w <= px
                                : from >= 0 && to <= plotPx && taken.get(row).stream().noneMatch(o -> from < o[1] && o[0] < to);
                        if (ok) {
                            out[i] = new StageLabel(t, (r.from() + r.to()) / 2, row);
                            taken.get(row).add(new double[] {from, to});
                        }
                    }
                }
            }
        }
        return java.util.Arrays.stream(out).filter(java.util.Objects::nonNull).toList();
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
}
