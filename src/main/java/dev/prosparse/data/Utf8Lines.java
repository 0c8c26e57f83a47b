package dev.prosparse.data;

import dev.prosparse.ProsparseException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * The lines of a text stream that must be UTF-8 (see {@code docs/bad-inputs.md}): a byte sequence that is not UTF-8 is
 * refused with the file, the line and the byte offset, unless lossy decoding was asked for; then each bad sequence
 * becomes U+FFFD and {@link #replaced()} counts them. Lines end at {@code \n} (a {@code \r} before it is dropped).
 */
final class Utf8Lines {
    private final InputStream in;
    private final String name;
    private final String lossyAdvice;
    private final boolean lossy;
    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
    private final ByteArrayOutputStream line = new ByteArrayOutputStream(256);
    private long offset;      // bytes read before the current line
    private int lineNo;
    private long replaced;
    private boolean eof;

    /**
     * @param name        the file as the user named it, for the error
     * @param lossyAdvice the flag or key that allows lossy decoding, for the error
     */
    Utf8Lines(InputStream in, String name, boolean lossy, String lossyAdvice) {
        this.in = in;
        this.name = name;
        this.lossy = lossy;
        this.lossyAdvice = lossyAdvice;
    }

    /** The next line without its end, or null at the end of the stream. */
    String next() throws IOException {
        if (eof) {
            return null;
        }
        line.reset();
        int b;
        while ((b = in.read()) >= 0 && b != '\n') {
            line.write(b);
        }
        if (b < 0) {
            eof = true;
            if (line.size() == 0) {
                return null;
            }
        }
        byte[] bytes = line.toByteArray();
        int len = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
        lineNo++;
        String s = decode(bytes, len);
        offset += bytes.length + (b < 0 ? 0 : 1);
        return s;
    }

    /** Bad byte sequences replaced so far (lossy decoding only). */
    long replaced() {
        return replaced;
    }

    private String decode(byte[] bytes, int len) throws CharacterCodingException {
        ByteBuffer src = ByteBuffer.wrap(bytes, 0, len);
        CharBuffer out = CharBuffer.allocate(len + 1);
        decoder.reset();
        while (true) {
            CoderResult r = decoder.decode(src, out, true);
            if (r.isUnderflow()) {
                break;
            }
            if (r.isOverflow()) {
                CharBuffer bigger = CharBuffer.allocate(out.capacity() * 2 + 1);
                out.flip();
                bigger.put(out);
                out = bigger;
                continue;
            }
            if (!lossy) {
                throw ProsparseException.data(String.format("%s line %d, byte offset %d: bytes that are not UTF-8 (0x%02X);"
                        + " convert the file to UTF-8 (for example iconv -f latin1 -t utf-8), or allow lossy decoding with %s",
                        name, lineNo, offset + src.position(), bytes[src.position()] & 0xFF, lossyAdvice));
            }
            replaced++;
            if (!out.hasRemaining()) {
                CharBuffer bigger = CharBuffer.allocate(out.capacity() * 2 + 1);
                out.flip();
                bigger.put(out);
                out = bigger;
            }
            out.put('\uFFFD');
            src.position(src.position() + r.length());
        }
        decoder.flush(out);
        out.flip();
        return out.toString();
    }
}
