package dev.prosparse.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.GraphicsEnvironment;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Charts render on a machine without system fonts (docs/gpu.md: minimal containers, the GPU machines): a child JVM whose
 * fontconfig sees no font at all (and whose JRE font cache and font path are empty) draws both charts with the font
 * shipped in the jar, text included.
 */
class ChartsNoSystemFontsTest {

    /** Child JVM: writes the two charts as PNG and SVG into args[0], then prints the font families the system offers. */
    public static void main(String[] args) throws IOException {
        System.setProperty("java.awt.headless", "true");
        Path dir = Path.of(args[0]);
        Files.write(dir.resolve("line.png"), Charts.png(ChartsTest.line()));
        Files.write(dir.resolve("bars.png"), Charts.png(ChartsTest.bars()));
        Files.writeString(dir.resolve("line.svg"), Charts.svgText(ChartsTest.line()));
        System.out.println("done");
        try {   // what the JRE offers: the shipped font and the logical names mapped to it
            System.out.println("families=" + String.join("|", GraphicsEnvironment.getLocalGraphicsEnvironment()
                    .getAvailableFontFamilyNames()));
        } catch (RuntimeException | Error e) {
            System.out.println("families=none (" + e.getClass().getSimpleName() + ")");
        }
    }

    @Test
    void chartsRenderWithTheShippedFontWhenFontconfigHasNoFonts(@TempDir Path dir) throws Exception {
        Path conf = dir.resolve("fonts.conf");  // a fontconfig configuration with no font folder and an empty cache dir
        Files.writeString(conf, "<?xml version=\"1.0\"?>\n<!DOCTYPE fontconfig SYSTEM \"fonts.dtd\">\n<fontconfig>\n"
                + "  <cachedir>" + dir.resolve("fc-cache") + "</cachedir>\n</fontconfig>\n");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path noFonts = Files.createDirectories(dir.resolve("no-fonts"));  // the JRE's font path: an empty folder
        ProcessBuilder pb = new ProcessBuilder(java, "-Dsun.java2d.fontpath=" + noFonts, "-Duser.home=" + noFonts, "-cp", System.getProperty("java.class.path"),
                ChartsNoSystemFontsTest.class.getName(), dir.toString()).redirectErrorStream(true);
        pb.environment().put("FONTCONFIG_FILE", conf.toString());
        pb.environment().remove("FONTCONFIG_PATH");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "child finished");
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("done"), out);
        String families = out.lines().filter(l -> l.startsWith("families=")).findFirst().orElse("families=");
        // only the shipped family and the JRE's logical names: none of the system's fonts (this machine has DejaVu
        // Serif, Mono, ... installed; without the shipped font table the JRE stops with "Fontconfig head is null")
        assertEquals(List.of("DejaVu Sans", "Dialog", "DialogInput", "Monospaced", "SansSerif", "Serif"),
                Arrays.asList(families.substring(9).split("\\|")), "the child saw only the shipped font: " + families);

        for (String name : List.of("line.png", "bars.png")) {
            BufferedImage img = ImageIO.read(dir.resolve(name).toFile());
            assertEquals(Charts.WIDTH, img.getWidth(), name);
            // the title is text: dark pixels in the top band, where nothing but the title is drawn
            int dark = 0;
            for (int y = 0; y < 40; y++) {
                for (int x = 0; x < img.getWidth(); x++) {
                    int rgb = img.getRGB(x, y);
                    if (((rgb >> 16) & 0xff) + ((rgb >> 8) & 0xff) + (rgb & 0xff) < 200) {
                        dark++;
                    }
                }
            }
            assertTrue(dark > 100, name + ": title text drawn (" + dark + " dark pixels in the top band)");
        }
        assertTrue(Files.readString(dir.resolve("line.svg")).contains("</svg>"), "SVG written");
    }
}
