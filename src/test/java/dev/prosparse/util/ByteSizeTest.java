package dev.prosparse.util;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.prosparse.ProsparseException;
import org.junit.jupiter.api.Test;

/** The one byte formatter and parser (convert's sizes and the hub's download figures); values by hand. */
class ByteSizeTest {

    @Test
    void formatsInDecimalUnits() {
        assertEquals("0.0 kB", ByteSize.format(0));
        assertEquals("3.1 kB", ByteSize.format(3_100));
        assertEquals("999.9 kB", ByteSize.format(999_900));
        assertEquals("512.0 MB", ByteSize.format(512_000_000));
        assertEquals("13.48 GB", ByteSize.format(13_480_000_000L));
        assertEquals("? bytes", ByteSize.format(-1), "a size the hub did not give");
    }

    @Test
    void parsesWhatTransformersWrites() {
        assertEquals(5_000_000_000L, ByteSize.parse("5GB", "--max-shard-size"));
        assertEquals(500_000_000L, ByteSize.parse("500MB", "--max-shard-size"));
        assertEquals(2L << 30, ByteSize.parse("2GiB", "--max-shard-size"));
        assertEquals(1234, ByteSize.parse("1234", "--max-shard-size"));
        ProsparseException e = assertThrows(ProsparseException.class, () -> ByteSize.parse("5 parsecs", "--max-shard-size"));
        assertEquals(ProsparseException.Kind.USAGE, e.kind());
    }
}
