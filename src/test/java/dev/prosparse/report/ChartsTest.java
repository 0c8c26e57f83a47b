package dev.prosparse.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.GraphicsEnvironment;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;

/** Charts render headless, as PNG of the expected size and as SVG. */
class ChartsTest {

    static Charts.Line line() {
        double[] x = {0, 10, 20, 30, 40, 50, 60};
        return new Charts.Line("Loss", "step", "cross-entropy (nats/token)", "learning rate", List.of(
                Charts.Series.of("train", x, new double[] {4.4, 4.3, 4.2, 4.25, 4.3, 4.35, 4.4}),
                Charts.Series.of("eval", new double[] {0, 20, 40, 60}, new double[] {4.8, 4.5, 4.5, 4.6}).withMarkers(),
                Charts.Series.of("lr", x, new double[] {1e-4, 5e-4, 4e-4, 3e-4, 2e-4, 1e-4, 5e-5}).thin().right()),
                List.of(new Charts.Region(0, 20, "relu-swap"), new Charts.Region(20, 40, "l1-warmup"),
                        new Charts.Region(40, 60, "ramp")), false, null, null, true);
    }

    static Charts.Bars bars() {
        return new Charts.Bars("Sparsity per layer", "decoder layer", "zero fraction of x1 (%)", List.of("0", "1", "2"),
                List.of("a", "b"), List.of(new double[] {48.7, 65.2, 63.9}, new double[] {50.9, 83.3, 84.1}), 100.0);
    }

    @BeforeAll
    static void headless() {
        Charts.svgText(bars());              // Charts' initializer: headless AWT and the shipped font, before XChart
    }

    static BufferedImage decode(byte[] png) throws IOException {
        BufferedImage img = ImageIO.read(new ByteArrayInputStream(png));
        assertTrue(img != null, "a readable PNG");
        return img;
    }

    @Test
    void pngHasTheChartSizeAndIsHeadless() throws IOException {
        for (Object spec : List.of(line(), bars())) {
            BufferedImage img = decode(Charts.png(spec));
            assertEquals(Charts.WIDTH, img.getWidth());
            assertEquals(Charts.HEIGHT, img.getHeight());
            assertTrue(distinctColours(img) > 10, "something is drawn");
        }
        assertTrue(GraphicsEnvironment.isHeadless(), "Charts switches AWT to headless mode");
    }

    @Test
    void svgIsAnSvgDocument() {
        for (Object spec : List.of(line(), bars())) {
            String svg = Charts.svgText(spec);
            assertTrue(svg.contains("<svg") && svg.contains("</svg>"), svg.substring(0, Math.min(200, svg.length())));
            assertTrue(svg.contains("width=\"" + Charts.WIDTH + "px\""), "declared width");
        }
    }

    @Test
    void gridAndFiles(@TempDir Path tmp) throws IOException {
        BufferedImage grid = decode(Charts.pngGrid(List.of(line(), line(), line(), line()), 2));
        assertEquals(2 * (Charts.WIDTH * 3 / 5), grid.getWidth());
        assertEquals(2 * (Charts.HEIGHT * 3 / 5), grid.getHeight());
        List<Path> files = Charts.write(bars(), tmp, "bars");
        assertEquals(List.of(tmp.resolve("bars.png"), tmp.resolve("bars.svg")), files);
        for (Path f : files) {
            assertTrue(Files.size(f) > 1000, f + " is not empty");
        }
    }

    @Test
    void chartsWithoutDataStillRender() throws IOException {
        Charts.Line empty = new Charts.Line("Nothing yet", "step", "loss", null, List.of(), List.of(), false, null, null, true);
        assertEquals(Charts.WIDTH, decode(Charts.png(empty)).getWidth());
    }

    @Test
    void flatRunsKeepTheirEnds() {
        double[][] xy = LineChart.dropFlatRuns(new double[] {0, 1, 2, 3, 4, 5}, new double[] {0, 0, 0, 1, 1, 2});
        assertEquals(List.of(0.0, 2.0, 3.0, 4.0, 5.0), java.util.Arrays.stream(xy[0]).boxed().toList());
    }

    @Test
    void shortStagesAreLabelledAsStagesNotBareNumbers() {
        // 300 steps over 790 px (2.63 px a step); widths by hand: 6.5 px a character plus 6 px
        List<Charts.Region> stages = List.of(new Charts.Region(0, 100, "relu-swap"), new Charts.Region(100, 110, "l1-warmup"),
                new Charts.Region(110, 115, "ramp"), new Charts.Region(115, 300, "l1-hold"));
        // relu-swap: 64.5 px in 263 px; stage 2 (26 px): "stage 2" 51.5 px centred at 276.5 px, clear of relu-swap
        // [99, 164]; stage 3 (13 px) centred at 296 px overlaps it, so one row down
        assertEquals(List.of(new LineChart.StageLabel("relu-swap", 50, 0), new LineChart.StageLabel("stage 2", 105, 0),
                new LineChart.StageLabel("stage 3", 112.5, 1), new LineChart.StageLabel("l1-hold", 207.5, 0)),
                sorted(LineChart.stageLabels(stages, 790)));
        List<Charts.Region> many = new java.util.ArrayList<>();
        for (int i = 0; i < 40; i++) {
            many.add(new Charts.Region(i, i + 1, "stage-name-" + i));
        }
        for (LineChart.StageLabel l : LineChart.stageLabels(many, 790)) {
            assertFalse(l.text().matches("\\d+"), "a bare number: " + l);
        }
    }

    static List<LineChart.StageLabel> sorted(List<LineChart.StageLabel> labels) {
        return labels.stream().sorted(java.util.Comparator.comparingDouble(LineChart.StageLabel::x)).toList();
    }

    /** Two models' sweep: sparsity on the left axis, perplexity on the right, long names. */
    static Charts.Line twoAxisSweep() {
        double[] t = {0, 0.005, 0.01, 0.02};
        return new Charts.Line("Threshold sweep", "fatrelu threshold", "zero fraction of x1 (%)", "perplexity", List.of(
                Charts.Series.of("checkpoints/runs/first-run/final: sparsity (left)", t, new double[] {60, 70, 80, 85}).withMarkers(),
                Charts.Series.of("checkpoints/runs/first-run/final: perplexity (right)", t, new double[] {100, 104, 110, 130})
                        .withMarkers().right(),
                Charts.Series.of("checkpoints/runs/second-run/final: sparsity (left)", t, new double[] {55, 66, 77, 83})
                        .withMarkers(),
                Charts.Series.of("checkpoints/runs/second-run/final: perplexity (right)", t, new double[] {98, 101, 108, 125})
                        .withMarkers().right()),
                List.of(), false, null, null, true);
    }

    @Test
    void twoAxisChartColoursEachAxisInOneFamilyAndKeepsTheLegendOffTheSide() throws IOException {
        XYChart c = LineChart.line(twoAxisSweep(), Charts.WIDTH, Charts.HEIGHT);
        List<java.awt.Color> left = List.of(ChartStyle.LEFT_FAMILY), right = List.of(ChartStyle.RIGHT_FAMILY);
        for (XYSeries ser : c.getSeriesMap().values()) {
            List<java.awt.Color> family = ser.getYAxisGroup() == 1 ? right : left;
            assertTrue(family.contains(ser.getLineColor()), ser.getName() + ": " + ser.getLineColor());
        }
        assertEquals(ChartStyle.LEFT_FAMILY[0], c.getStyler().getYAxisGroupTitleColor(0));
        assertEquals(ChartStyle.RIGHT_FAMILY[0], c.getStyler().getYAxisGroupTitleColor(1));
        // the four names do not fit one line: one per line under the plot, not a column eating the width
        assertEquals(Styler.LegendPosition.OutsideS, c.getStyler().getLegendPosition());
        assertEquals(Charts.WIDTH, decode(Charts.png(twoAxisSweep())).getWidth());
    }

    @Test
    void legendPlacement() {
        Styler s = new XYChartBuilder().build().getStyler();
        ChartStyle.legend(s, List.of("train CE", "eval CE"), Charts.WIDTH);
        assertEquals(List.of(Styler.LegendPosition.OutsideS, Styler.LegendLayout.Horizontal),
                List.of(s.getLegendPosition(), s.getLegendLayout()));
        List<String> layers = new java.util.ArrayList<>();
        for (int l = 0; l < 16; l++) {
            layers.add("layer " + l);                 // 16 × (7 × 8 + 45) px: more than a line; 106 px wide as a column
        }
        ChartStyle.legend(s, layers, Charts.WIDTH);
        assertEquals(List.of(Styler.LegendPosition.OutsideE, Styler.LegendLayout.Vertical),
                List.of(s.getLegendPosition(), s.getLegendLayout()));
    }

    static int distinctColours(BufferedImage img) {
        java.util.Set<Integer> c = new java.util.HashSet<>();
        for (int y = 0; y < img.getHeight(); y += 7) {
            for (int x = 0; x < img.getWidth(); x += 7) {
                c.add(img.getRGB(x, y));
            }
        }
        return c.size();
    }
}
