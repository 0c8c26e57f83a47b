package dev.prosparse.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.GraphicsEnvironment;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
