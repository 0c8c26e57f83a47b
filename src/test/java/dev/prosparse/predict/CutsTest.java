package dev.prosparse.predict;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.prosparse.util.Torch;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Cut choice and the fold of per-layer cuts into one threshold, against hand-worked values. */
class CutsTest {
    static NDManager base;

    @BeforeAll
    static void start() {
        Torch.start(1);
        base = NDManager.newBaseManager();
    }

    @AfterAll
    static void stop() {
        base.close();
    }

    @Test
    void cutForRecallByHand() {
        // positives 0.1, 0.5, 0.9, 2.0; negatives −1, 0.3, 0.05. Recall 0.75 of 4 → k = 1 → candidate 0.5; the next lower
        // score is 0.3 → cut 0.4. Predicted: 0.5, 0.9, 2.0 (3 of 7): recall 3/4, precision 1, predicted sparsity 4/7.
        float[] s = {0.1f, -1f, 0.5f, 0.3f, 0.9f, 0.05f, 2.0f};
        boolean[] y = {true, false, true, false, true, false, true};
        float cut = Cuts.choose(s, y, 0.75);
        assertEquals(0.4f, cut, 1e-7);
        Cuts.Quality q = Cuts.quality(s, y, cut);
        assertEquals(0.75, q.recall(), 1e-12);
        assertEquals(1.0, q.precision(), 1e-12);
        assertEquals(4.0 / 7, q.predictedSparsity(), 1e-12);
        assertEquals(3.0 / 7, q.trueSparsity(), 1e-12);
        // recall 0.99 of 4 → k = 0 → candidate 0.1, next lower 0.05 → cut 0.075: every positive kept
        assertEquals(0.075f, Cuts.choose(s, y, 0.99), 1e-7);
    }

    @Test
    void foldByHand() {
        // all negative: τ = −1, α = 1/|c|
        Cuts.Fold f = Cuts.Fold.of(List.of(-0.5f, -2f), 1e-6f);
        assertEquals(-1f, f.threshold());
        assertArrayEquals(new float[] {2f, 0.5f}, f.scales());
        assertTrue(f.exact()[0] && f.exact()[1]);
        // all positive: τ = +1, α = 1/c
        f = Cuts.Fold.of(List.of(0.25f, 4f), 1e-6f);
        assertEquals(1f, f.threshold());
        assertArrayEquals(new float[] {4f, 0.25f}, f.scales());
        // mixed: the positive cut cannot be reached by a positive scale under τ = −1: moved to −eps, marked inexact
        f = Cuts.Fold.of(List.of(-0.5f, 0.3f), 1e-3f);
        assertEquals(-1f, f.threshold());
        assertTrue(f.exact()[0]);
        assertFalse(f.exact()[1]);
        assertEquals(-1e-3f, f.effectiveCuts()[1]);
    }

    /**
     * The folded predictors with one global threshold select exactly the neurons the per-layer cuts select, computed
     * the engine's way (fc2 scaled, then one matmul chain in float32), on random predictors and inputs.
     */
    @Test
    void foldedMasksEqualPerLayerCuts() {
        SplittableRandom rnd = new SplittableRandom(7);
        int e = 32, n = 48, r = 16, rows = 200;
        float[] x = uniform(rnd, rows * e);
        for (float[] cuts : new float[][] {{-0.7f, -0.05f, -1.3f}, {0.2f, 1.1f, 0.01f}}) {
            java.util.List<Float> cl = new java.util.ArrayList<>();
            java.util.List<Predictor> ps = new java.util.ArrayList<>();
            for (float c : cuts) {
                Predictor p = new Predictor(r, e, n, uniform(rnd, r * e), uniform(rnd, n * r));
                float[] s = p.scores(x, rows, base);
                // choose a cut the way training does (between two scores), near the requested value
                boolean[] y = new boolean[s.length];
                for (int k = 0; k < s.length; k++) {
                    y[k] = s[k] >= c;
                }
                cl.add(Cuts.choose(s, y, 0.999999));
                ps.add(p);
            }
            Cuts.Fold fold = Cuts.Fold.of(cl, 1e-6f);
            long selected = 0;
            for (int l = 0; l < cuts.length; l++) {
                assertTrue(fold.exact()[l]);
                float[] s = ps.get(l).scores(x, rows, base);
                float[] folded = ps.get(l).scaled(fold.scales()[l]).scores(x, rows, base);
                for (int k = 0; k < s.length; k++) {
                    boolean a = s[k] >= cl.get(l), b = folded[k] >= fold.threshold();
                    assertEquals(a, b, "layer " + l + " entry " + k);
                    selected += a ? 1 : 0;
                }
            }
            assertTrue(selected > 0 && selected < (long) cuts.length * rows * n, "the cuts select some neurons, not all");
        }
    }

    static float[] uniform(SplittableRandom rnd, int size) {
        float[] a = new float[size];
        for (int i = 0; i < size; i++) {
            a[i] = (float) (rnd.nextDouble() * 2 - 1);
        }
        return a;
    }
}
