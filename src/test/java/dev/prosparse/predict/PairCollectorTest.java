package dev.prosparse.predict;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.prosparse.Fixtures;
import dev.prosparse.data.TokenStream;
import dev.prosparse.io.CheckpointFiles;
import dev.prosparse.io.HfCheckpoint;
import dev.prosparse.config.Activation;
import dev.prosparse.model.CausalLM;
import dev.prosparse.model.Weights;
import dev.prosparse.util.Torch;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The layer-by-layer collector keeps only the residual stream between layers: every layer's labels must still be
 * exactly the masks 1[x1 ≠ 0] of the model's own forward pass ({@link CausalLM#forward} with keepX1), window by
 * window, across batch edges (3 windows in batches of 2).
 */
class PairCollectorTest {

    @Test
    void labelsAreTheForwardPassMasksInEveryLayer() {
        Torch.start(1);
        HfCheckpoint ck = HfCheckpoint.open(Fixtures.model("tiny-llama"));
        TokenStream stream = Fixtures.validationTokens(ck);
        int seq = 16;
        long[] starts = {0, 100, 357};
        try (NDManager root = NDManager.newBaseManager(); CheckpointFiles files = ck.files();
                Weights w = Weights.load(ck.config(), files, root)) {
            CausalLM lm = new CausalLM(ck.config(), w, Activation.RELU, 0);
            List<LayerPairs> pairs = PairCollector.collect(lm, stream, starts, seq, 2, root);
            int layers = ck.config().numHiddenLayers(), inter = ck.config().intermediateSize();
            assertEquals(layers, pairs.size());
            long positives = 0, total = 0;
            for (int i = 0; i < starts.length; i++) {
                try (NDManager s = root.newSubManager()) {
                    NDArray in = Torch.fromLongs(s, stream.window(starts[i], seq), new Shape(1, seq));
                    List<NDArray> x1 = Torch.noGrad(() -> lm.forward(in, true).x1());
                    for (int l = 0; l < layers; l++) {
                        float[] ex = x1.get(l).toFloatArray();                       // [1, S, I]
                        BitMask got = pairs.get(l).labels();
                        for (int k = 0; k < ex.length; k++) {
                            assertEquals(ex[k] != 0f, got.get((long) i * seq * inter + k), "layer " + l + " window " + i);
                            positives += ex[k] != 0f ? 1 : 0;
                            total++;
                        }
                    }
                }
            }
            assertTrue(positives > 0 && positives < total, "a ReLU model has some, not all, neurons active");
        }
    }

    @Test
    void bitMaskAcrossWordEdges() {
        BitMask m = new BitMask(130);
        for (long i : new long[] {0, 63, 64, 127, 129}) {
            m.set(i);
        }
        assertEquals(5, m.count());
        assertTrue(m.get(63) && m.get(64) && m.get(129));
        assertFalse(m.get(1) || m.get(65) || m.get(128));
        BitMask s = m.slice(63, 129);                                                 // bits 63..128 → 0..65
        assertEquals(66, s.size());
        assertEquals(3, s.count());
        assertTrue(s.get(0) && s.get(1) && s.get(64));
    }
}
