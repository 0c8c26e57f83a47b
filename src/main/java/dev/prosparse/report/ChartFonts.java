package dev.prosparse.report;

import java.awt.Font;
import java.awt.FontFormatException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * The fonts charts are drawn with: DejaVu Sans, shipped in the jar (resources dev/prosparse/fonts, Bitstream Vera
 * licence beside it) and loaded with {@link Font#createFont}, so that charts render the same on a machine with no
 * system fonts or fontconfig (minimal containers, the GPU machines) as on a desktop. Only the JRE's own font code
 * (libfontmanager and the libraries it links) is needed.
 */
final class ChartFonts {
    private static Font plain;
    private static Font bold;

    private ChartFonts() {}

    static synchronized Font plain(float size) {
        if (plain == null) {
            plain = load("DejaVuSans.ttf");
        }
        return plain.deriveFont(Font.PLAIN, size);
    }

    static synchronized Font bold(float size) {
        if (bold == null) {
            bold = load("DejaVuSans-Bold.ttf");
        }
        return bold.deriveFont(Font.BOLD, size);
    }

    private static Font load(String name) {
        try (InputStream in = ChartFonts.class.getResourceAsStream("/dev/prosparse/fonts/" + name)) {
            if (in == null) {
                throw new IllegalStateException("the font " + name + " is missing from the jar; rebuild with mvn package");
            }
            return Font.createFont(Font.TRUETYPE_FONT, in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the font " + name + " from the jar", e);
        } catch (FontFormatException e) {
            throw new IllegalStateException("the font " + name + " in the jar is not a TrueType font", e);
        }
    }
}
