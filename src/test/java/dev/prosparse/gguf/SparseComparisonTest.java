package dev.prosparse.gguf;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The masked criterion by hand: a few positions off by a flipped neuron pass; other masks everywhere do not. */
class SparseComparisonTest {
    static final int V = 8, ROWS = 40;

    static float[] logits() {
        float[] a = new float[ROWS * V];
        for (int r = 0; r < ROWS; r++) {
            for (int v = 0; v < V; v++) {
                a[r * V + v] = v == r % V ? 5f : 0.1f * v;   // a clear argmax per row
            }
        }
        return a;
    }

    @Test
    void fewPositionsOffPassManyDoNot(@TempDir Path dir) throws Exception {
        float[] ours = logits(), engine = logits();
        engine[3 * V + 1] += 0.4f;                     // 2 of 40 positions (5 %) off by 0.4, argmax unchanged
        engine[17 * V + 2] += 0.3f;
        EngineReference.writeFloats(dir.resolve("a"), engine);
        EngineReference.writeFloats(dir.resolve("b"), ours);
        assertTrue(SparseComparison.compareMasked(dir.resolve("a"), dir.resolve("b"), V));
        assertFalse(EngineReference.compare(dir.resolve("a"), dir.resolve("b"), V), "the strict criterion fails it");
        engine[25 * V + 4] += 0.2f;                    // a third position: 7.5 % > 5 %
        EngineReference.writeFloats(dir.resolve("a"), engine);
        assertFalse(SparseComparison.compareMasked(dir.resolve("a"), dir.resolve("b"), V));
        float[] other = logits();                      // other masks: every position off a little, no argmax change
        for (int i = 0; i < other.length; i++) {
            other[i] += 0.15f * ((i % 3) - 1);
        }
        EngineReference.writeFloats(dir.resolve("c"), other);
        assertFalse(SparseComparison.compareMasked(dir.resolve("c"), dir.resolve("b"), V));
    }
}
