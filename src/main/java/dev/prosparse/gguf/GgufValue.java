package dev.prosparse.gguf;

import java.util.List;

/**
 * A typed GGUF metadata value (docs/powerinfer.md, "GGUF v3"). The type codes are the format's: the engine reads
 * each key with one expected type (llama.* sizes are UINT32, eps and rope base FLOAT32), so the type is part of
 * the value.
 */
public sealed interface GgufValue {
    /** The GGUF value type code. */
    int type();

    int UINT8 = 0, INT8 = 1, UINT16 = 2, INT16 = 3, UINT32 = 4, INT32 = 5, FLOAT32 = 6, BOOL = 7, STRING = 8, ARRAY = 9,
            UINT64 = 10, INT64 = 11, FLOAT64 = 12;

    record U32(long value) implements GgufValue {
        public int type() {
            return UINT32;
        }
    }

    record I32(int value) implements GgufValue {
        public int type() {
            return INT32;
        }
    }

    record F32(float value) implements GgufValue {
        public int type() {
            return FLOAT32;
        }
    }

    record Bool(boolean value) implements GgufValue {
        public int type() {
            return BOOL;
        }
    }

    record Str(String value) implements GgufValue {
        public int type() {
            return STRING;
        }
    }

    record U64(long value) implements GgufValue {
        public int type() {
            return UINT64;
        }
    }

    /** An array of one element type (strings, f32 or i32 here: tokenizer tokens, scores and token types). */
    record Arr(int elementType, List<GgufValue> values) implements GgufValue {
        public int type() {
            return ARRAY;
        }
    }
}
