package dev.prosparse.report;

import dev.prosparse.util.AtomicFiles;
import java.awt.Font;
import java.awt.FontFormatException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The fonts charts are drawn with: DejaVu Sans, shipped in the jar (resources dev/prosparse/fonts, Bitstream Vera
 * licence beside it), so that charts render the same on a machine with no system fonts or fontconfig (minimal
 * containers, the GPU machines) as on a desktop.
 *
 * <p>Loading a font is not enough there: the JRE's font manager first builds its logical-font table from fontconfig and
 * fails when fontconfig has no fonts ("Fontconfig head is null"). So, before AWT's font code first runs, the two TTF
 * files are copied to a folder under java.io.tmpdir together with a JRE font-configuration file (the
 * fontconfig.properties format) that maps every logical font to them, and the system property sun.awt.fontconfig names
 * it: the JRE then uses that table and never asks fontconfig. Left alone when the property is already set. What
 * remains needed is the JRE's own font library (libfontmanager and what it links: harfbuzz, freetype).
 */
final class ChartFonts {
    private static final String REGULAR = "DejaVuSans.ttf";
    private static final String BOLD = "DejaVuSans-Bold.ttf";
    private static Font plain;
    private static Font bold;

    private ChartFonts() {}

    static synchronized Font plain(float size) {
        if (plain == null) {
            plain = load(REGULAR);
        }
        return plain.deriveFont(Font.PLAIN, size);
    }

    static synchronized Font bold(float size) {
        if (bold == null) {
            bold = load(BOLD);
        }
        return bold.deriveFont(Font.BOLD, size);
    }

    /** Points the JRE's logical fonts at the shipped ones (see the class comment); call before any AWT text work. */
    static synchronized void configureJre() {
        if (System.getProperty("sun.awt.fontconfig") != null) {
            return;
        }
        try {
            Path dir = Path.of(System.getProperty("java.io.tmpdir"), "prosparse-fonts-" + dev.prosparse.util.BuildInfo.version()
                    + "-" + System.getProperty("user.name", "user").replaceAll("[^A-Za-z0-9_.-]", "_"));
            Files.createDirectories(dir);
            Path regular = copy(REGULAR, dir), boldFile = copy(BOLD, dir);
            StringBuilder p = new StringBuilder("# written by prosparse: the JRE's logical fonts are DejaVu Sans\nversion=1\n");
            for (String family : new String[] {"serif", "sansserif", "monospaced", "dialog", "dialoginput"}) {
                for (String style : new String[] {"plain", "bold", "italic", "bolditalic"}) {
                    p.append(family).append('.').append(style).append(".latin-1=")
                            .append(style.startsWith("bold") ? "DejaVu Sans Bold" : "DejaVu Sans").append('\n');
                }
            }
            p.append("sequence.allfonts=latin-1\n");
            p.append("filename.DejaVu_Sans=").append(regular.toAbsolutePath()).append('\n');
            p.append("filename.DejaVu_Sans_Bold=").append(boldFile.toAbsolutePath()).append('\n');
            Path conf = dir.resolve("fontconfig.properties");
            if (!Files.isRegularFile(conf) || !Files.readString(conf).contentEquals(p)) {
                AtomicFiles.writeString(conf, p.toString());
            }
            System.setProperty("sun.awt.fontconfig", conf.toString());
        } catch (IOException | RuntimeException e) {
            // no writable temp folder: the JRE's own font set-up is used (fine wherever the system has fonts)
        }
    }

    private static Path copy(String name, Path dir) throws IOException {
        Path target = dir.resolve(name);
        byte[] bytes;
        try (InputStream in = resource(name)) {
            bytes = in.readAllBytes();
        }
        if (!Files.isRegularFile(target) || Files.size(target) != bytes.length) {
            AtomicFiles.writeBytes(target, bytes);
        }
        return target;
    }

    private static InputStream resource(String name) {
        InputStream in = ChartFonts.class.getResourceAsStream("/dev/prosparse/fonts/" + name);
        if (in == null) {
            throw new IllegalStateException("the font " + name + " is missing from the jar; rebuild with mvn package");
        }
        return in;
    }

    private static Font load(String name) {
        try (InputStream in = resource(name)) {
            return Font.createFont(Font.TRUETYPE_FONT, in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot load the font " + name + " from the jar (" + e.getMessage()
                    + "); the JRE's font library (libfontmanager, with libharfbuzz and libfreetype) must load", e);
        } catch (FontFormatException e) {
            throw new IllegalStateException("the font " + name + " in the jar is not a TrueType font", e);
        }
    }

    static String describe() {
        return String.format(Locale.ROOT, "sun.awt.fontconfig=%s", System.getProperty("sun.awt.fontconfig"));
    }
}
