package dev.prosparse.report;

import dev.prosparse.ProsparseException;
import dev.prosparse.util.AtomicFiles;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.internal.chartpart.Chart;

/**
 * Every chart of the reports, drawn by XChart from plain data ({@link Line}, {@link Bars}). This class is the
 * entry to XChart and AWT (the builders {@link LineChart}, {@link BarChart} and {@link ChartStyle} are reached only
 * through it): its static initializer puts AWT in headless mode first, so charts render on servers and in CI without
 * a display.
 */
public final class Charts {
    static {
        System.setProperty("java.awt.headless", "true");
        ChartFonts.configureJre();                      // the shipped font for every logical font: no system fonts needed
    }

    public static final int WIDTH = 960;
    public static final int HEIGHT = 540;

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
            built.add(LineChart.line(l, WIDTH * 3 / 5, HEIGHT * 3 / 5));
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
            return LineChart.line(l, WIDTH, HEIGHT);
        }
        if (spec instanceof Bars b) {
            return BarChart.bars(b);
        }
        throw new IllegalArgumentException("not a chart spec: " + spec);
    }
}
