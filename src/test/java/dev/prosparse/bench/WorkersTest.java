package dev.prosparse.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

/** The chunked split covers its range exactly once, names threads within the team, and rethrows a part's failure. */
class WorkersTest {

    @Test
    void everyIndexOnceWithAnyChunk() {
        try (Workers w = new Workers(3)) {
            for (int n : new int[] {0, 1, 7, 100, 1001}) {
                for (int chunk : new int[] {1, 4, 64, 5000}) {
                    AtomicIntegerArray seen = new AtomicIntegerArray(Math.max(n, 1));
                    AtomicIntegerArray busy = new AtomicIntegerArray(3);
                    w.split(n, chunk, (t, a, b) -> {
                        assertTrue(t >= 0 && t < 3, "thread " + t);
                        assertEquals(1, busy.incrementAndGet(t), "thread number " + t + " used twice at once");
                        assertTrue(b - a <= chunk && a < b || n == 0, "chunk [" + a + ", " + b + ")");
                        for (int i = a; i < b; i++) {
                            seen.incrementAndGet(i);
                        }
                        busy.decrementAndGet(t);
                    });
                    for (int i = 0; i < n; i++) {
                        assertEquals(1, seen.get(i), "index " + i + " of n=" + n + " chunk=" + chunk);
                    }
                }
            }
        }
    }

    @Test
    void aFailingPartFailsTheCall() {
        try (Workers w = new Workers(2)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> w.split(100, 10, (t, a, b) -> {
                if (a == 50) {
                    throw new IllegalArgumentException("chunk 50");
                }
            }));
            assertEquals("chunk 50", e.getMessage());
        }
    }
}
