package dev.prosparse.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prosparse.ProsparseException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Data that is not UTF-8 is refused with the file, the line and the byte offset, or read lossily when asked (docs/bad-inputs.md). */
class Utf8DataTest {
    /** Line 1 is 17 bytes + "\r\n" = 19; on line 2, {"text": "caf is 13 bytes, so the Latin-1 é (0xE9) is at offset 32. */
    private static final byte[] LATIN1 = concat("{\"text\": \"hello\"}\r\n".getBytes(StandardCharsets.UTF_8),
            "{\"text\": \"caf".getBytes(StandardCharsets.UTF_8), new byte[] {(byte) 0xE9},
            " au lait, na\u00efve\"}\n".getBytes(StandardCharsets.UTF_8));

    @Test
    void invalidUtf8IsRefusedWithFileLineAndOffset(@TempDir Path tmp) throws IOException {
        for (String name : List.of("bad.jsonl", "bad.jsonl.gz")) {
            Path f = tmp.resolve(name);
            Files.write(f, name.endsWith(".gz") ? gzip(LATIN1) : LATIN1);
            ProsparseException e = assertThrows(ProsparseException.class, () -> new DataSource(f.toString(), "text").readDocuments());
            assertEquals(ProsparseException.Kind.DATA, e.kind());
            assertEquals(f + " line 2, byte offset 32: bytes that are not UTF-8 (0xE9); convert the file to UTF-8 (for"
                    + " example iconv -f latin1 -t utf-8), or allow lossy decoding with --lossy-utf8", e.getMessage());
        }
        Path txt = tmp.resolve("bad.txt");
        Files.write(txt, LATIN1);
        ProsparseException e = assertThrows(ProsparseException.class,
                () -> DataSource.ofRecipe(txt.toString(), "text", "data.train").check());
        assertTrue(e.getMessage().endsWith("--set data.lossy_utf8=true (or data.lossy_utf8 in the recipe)"), e.getMessage());
    }

    @Test
    void lossyDecodingReplacesAndCounts(@TempDir Path tmp) throws IOException {
        Path f = tmp.resolve("bad.jsonl");
        Files.write(f, LATIN1);
        List<String> docs = new DataSource(f.toString(), "text").withLossyUtf8(true).readDocuments();
        assertEquals(List.of("hello", "caf\uFFFD au lait, na\u00efve"), docs);

        byte[] twoBad = concat("a".getBytes(StandardCharsets.UTF_8), new byte[] {(byte) 0xFF, 'b', (byte) 0xC3}, new byte[] {'\n'});
        Utf8Lines lines = new Utf8Lines(new ByteArrayInputStream(twoBad), "x", true, "--lossy-utf8");
        assertEquals("a\uFFFDb\uFFFD", lines.next());
        assertEquals(null, lines.next());
        assertEquals(2, lines.replaced());
    }

    @Test
    void validUtf8ReadsAsBefore() throws IOException {
        byte[] ok = "\u00e9t\u00e9 \u4e2d\u6587 \ud83d\ude00\r\nline two\nlast".getBytes(StandardCharsets.UTF_8);
        Utf8Lines lines = new Utf8Lines(new ByteArrayInputStream(ok), "x", false, "--lossy-utf8");
        assertEquals("\u00e9t\u00e9 \u4e2d\u6587 \ud83d\ude00", lines.next());
        assertEquals("line two", lines.next());
        assertEquals("last", lines.next());
        assertEquals(null, lines.next());
        assertEquals(0, lines.replaced());
    }

    private static byte[] gzip(byte[] b) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream z = new GZIPOutputStream(out)) {
            z.write(b);
        }
        return out.toByteArray();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}
