package dev.prosparse.gguf;

import dev.prosparse.ProsparseException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A SentencePiece {@code tokenizer.model} (a protobuf {@code ModelProto}), read with a minimal protobuf decoder: the
 * pieces (field 1: piece = 1, score = 2, type = 3), the trainer's model type (field 2 → 3), byte fallback (2 → 35) and
 * the normalizer (field 3: name = 1, add_dummy_prefix = 3, remove_extra_whitespaces = 4). Field numbers and defaults
 * are sentencepiece_model.proto's; docs/powerinfer.md says what the engine needs of them.
 */
public record SentencePieceModel(List<Piece> pieces, int modelType, boolean byteFallback, String normalizerName,
        boolean addDummyPrefix, boolean removeExtraWhitespaces) {

    /** SentencePiece's piece types (sentencepiece_model.proto). */
    public static final int NORMAL = 1, UNKNOWN = 2, CONTROL = 3, USER_DEFINED = 4, UNUSED = 5, BYTE = 6;
    /** TrainerSpec.ModelType. */
    public static final int UNIGRAM = 1, BPE = 2, WORD = 3, CHAR = 4;

    public record Piece(String piece, float score, int type) {}

    public static SentencePieceModel read(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw ProsparseException.io(file + ": cannot read (" + e.getMessage() + ")", e);
        }
        try {
            return parse(bytes);
        } catch (RuntimeException e) {
            throw ProsparseException.checkpoint(file + ": not a SentencePiece model protobuf (" + e.getMessage()
                    + "); the file is truncated or corrupt — re-download it");
        }
    }

    static SentencePieceModel parse(byte[] bytes) {
        List<Piece> pieces = new ArrayList<>();
        int modelType = UNIGRAM;                       // proto defaults
        boolean byteFallback = false, dummy = true, removeWs = true;
        String name = "";
        Proto top = new Proto(bytes, 0, bytes.length);
        while (top.more()) {
            int tag = top.tag();
            if (tag == (1 << 3 | 2)) {
                pieces.add(piece(top.sub()));
            } else if (tag == (2 << 3 | 2)) {
                Proto t = top.sub();
                while (t.more()) {
                    int tt = t.tag();
                    if (tt == (3 << 3)) {
                        modelType = (int) t.varint();
                    } else if (tt == (35 << 3)) {
                        byteFallback = t.varint() != 0;
                    } else {
                        t.skip(tt);
                    }
                }
            } else if (tag == (3 << 3 | 2)) {
                Proto n = top.sub();
                while (n.more()) {
                    int nt = n.tag();
                    if (nt == (1 << 3 | 2)) {
                        name = n.string();
                    } else if (nt == (3 << 3)) {
                        dummy = n.varint() != 0;
                    } else if (nt == (4 << 3)) {
                        removeWs = n.varint() != 0;
                    } else {
                        n.skip(nt);
                    }
                }
            } else {
                top.skip(tag);
            }
        }
        if (pieces.isEmpty()) {
            throw new IllegalArgumentException("no pieces");
        }
        return new SentencePieceModel(List.copyOf(pieces), modelType, byteFallback, name, dummy, removeWs);
    }

    private static Piece piece(Proto p) {
        String s = null;
        float score = 0f;
        int type = NORMAL;
        while (p.more()) {
            int tag = p.tag();
            if (tag == (1 << 3 | 2)) {
                s = p.string();
            } else if (tag == (2 << 3 | 5)) {
                score = p.fixed32();
            } else if (tag == (3 << 3)) {
                type = (int) p.varint();
            } else {
                p.skip(tag);
            }
        }
        if (s == null) {
            throw new IllegalArgumentException("a piece without text");
        }
        return new Piece(s, score, type);
    }

    /** Protobuf wire format over bytes[from, to): varints, length-delimited fields, fixed32/64. */
    private static final class Proto {
        private final byte[] b;
        private int pos;
        private final int end;

        Proto(byte[] b, int from, int to) {
            this.b = b;
            this.pos = from;
            this.end = to;
        }

        boolean more() {
            return pos < end;
        }

        int tag() {
            long t = varint();
            if (t <= 0 || t > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("bad field tag " + t + " at byte " + pos);
            }
            return (int) t;
        }

        long varint() {
            long v = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                if (pos >= end) {
                    throw new IllegalArgumentException("varint past the end at byte " + pos);
                }
                byte x = b[pos++];
                v |= (long) (x & 0x7f) << shift;
                if (x >= 0) {
                    return v;
                }
            }
            throw new IllegalArgumentException("varint longer than 10 bytes at byte " + pos);
        }

        Proto sub() {
            long n = varint();
            if (n < 0 || n > end - pos) {
                throw new IllegalArgumentException("a field of " + n + " bytes runs past the end at byte " + pos);
            }
            Proto p = new Proto(b, pos, pos + (int) n);
            pos += (int) n;
            return p;
        }

        String string() {
            Proto p = sub();
            return new String(b, p.pos, p.end - p.pos, StandardCharsets.UTF_8);
        }

        float fixed32() {
            if (end - pos < 4) {
                throw new IllegalArgumentException("fixed32 past the end at byte " + pos);
            }
            float f = ByteBuffer.wrap(b, pos, 4).order(ByteOrder.LITTLE_ENDIAN).getFloat();
            pos += 4;
            return f;
        }

        void skip(int tag) {
            switch (tag & 7) {
                case 0 -> varint();
                case 1 -> advance(8);
                case 2 -> sub();
                case 5 -> advance(4);
                default -> throw new IllegalArgumentException("wire type " + (tag & 7) + " at byte " + pos);
            }
        }

        private void advance(int n) {
            if (end - pos < n) {
                throw new IllegalArgumentException("field past the end at byte " + pos);
            }
            pos += n;
        }
    }
}
