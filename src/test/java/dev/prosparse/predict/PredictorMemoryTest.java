package dev.prosparse.predict;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prosparse.Fixtures;
import dev.prosparse.ProsparseException;
import dev.prosparse.config.ModelConfig;
import org.junit.jupiter.api.Test;

/** The pairs' memory: bits for the labels, one layer at a time, and a refusal that names --samples before any work. */
class PredictorMemoryTest {

    @Test
    void bytesOfOneLayerByHand() {
        // 1000 rows, hidden 8, intermediate 64: x 1000·8·4 = 32000 B, labels 1000·64/8 = 8000 B; the residual stream
        // (32000) + the layer's pairs and their train/cut/report copies (2 · 40000) = 112000 B
        assertEquals(112_000, LayerPairs.bytesWhileTraining(1000, 8, 64));
    }

    @Test
    void samplesBeyondTheHeapAreRefusedNamingTheFlag() {
        ModelConfig c = ModelConfig.read(Fixtures.model("tiny-llama"));
        PredictorRun.Request q = new PredictorRun.Request(null, null, false, 16, null, 0, 0.99, 1, 1, 0.01, 256, null, 1, 1, 0, null, 0);
        long heap = Runtime.getRuntime().maxMemory();
        long perRow = LayerPairs.bytesWhileTraining(1, c.hiddenSize(), c.intermediateSize());
        assertDoesNotThrow(() -> PredictorRun.checkMemory(q, 1024, c));
        long tooMany = Math.min(2 * heap / perRow, (Integer.MAX_VALUE - 1L) / c.hiddenSize());
        ProsparseException ex = assertThrows(ProsparseException.class, () -> PredictorRun.checkMemory(q, tooMany, c));
        assertTrue(ex.getMessage().contains("--samples"), ex.getMessage());
        ProsparseException big = assertThrows(ProsparseException.class,
                () -> PredictorRun.checkMemory(q, Integer.MAX_VALUE / c.hiddenSize() + 1L, c));
        assertTrue(big.getMessage().contains("2^31") || big.getMessage().contains("-Xmx"), big.getMessage());
    }
}
