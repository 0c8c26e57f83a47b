package dev.prosparse.predict;

import java.util.Arrays;
import java.util.List;

/**
 * Choosing a layer's cut for a recall target, measuring it, and folding every layer's cut into one global
 * threshold (docs/powerinfer.md, "One threshold for all layers").
 */
public final class Cuts {
    private Cuts() {}

    /** Held-out quality of a cut: recall and precision of "s ≥ cut" against 1[x1 ≠ 0], the predicted sparsity. */
    public record Quality(double recall, double precision, double predictedSparsity, double trueSparsity) {}

    /**
     * The cut c for which at least {@code recall} of the positives have s ≥ c: the k-th smallest positive score,
     * k = ⌊(1 − recall)·P⌋, moved down to halfway to the next lower score of any row, so that no score sits on
     * the cut (a score on the cut would make the fold's rounding decide).
     */
    public static float choose(float[] scores, boolean[] labels, double recall) {
        return choose(scores, BitMask.of(labels), recall);
    }

    /** {@link #choose(float[], boolean[], double)} with the labels as bits. */
    public static float choose(float[] scores, BitMask labels, double recall) {
        int p = Math.toIntExact(labels.count());
        if (p == 0) {
            return Float.POSITIVE_INFINITY; // never active: predict nothing
        }
        float[] pos = new float[p];
        int i = 0;
        for (int k = 0; k < scores.length; k++) {
            if (labels.get(k)) {
                pos[i++] = scores[k];
            }
        }
        Arrays.parallelSort(pos);                   // a 7B layer's cut rows hold ~70 M positive scores
        int k = (int) Math.floor((1 - recall) * p);
        float cand = pos[Math.min(k, p - 1)];
        float below = Float.NEGATIVE_INFINITY;
        for (float s : scores) {
            if (s < cand && s > below) {
                below = s;
            }
        }
        float cut = below == Float.NEGATIVE_INFINITY ? cand - Math.max(1f, Math.abs(cand)) : (float) ((cand + (double) below) / 2);
        return cut > below && cut <= cand ? cut : cand;
    }

    public static Quality quality(float[] scores, boolean[] labels, float cut) {
        return quality(scores, BitMask.of(labels), cut);
    }

    public static Quality quality(float[] scores, BitMask labels, float cut) {
        long tp = 0, fp = 0, fn = 0, predicted = 0, positives = 0;
        for (int k = 0; k < scores.length; k++) {
            boolean pr = scores[k] >= cut, on = labels.get(k);
            predicted += pr ? 1 : 0;
            positives += on ? 1 : 0;
            if (pr && on) {
                tp++;
            } else if (pr) {
                fp++;
            } else if (on) {
                fn++;
            }
        }
        double n = scores.length;
        return new Quality(positives == 0 ? 1.0 : (double) tp / (tp + fn), predicted == 0 ? 1.0 : (double) tp / (tp + fp),
                1 - predicted / n, 1 - positives / n);
    }

    /**
     * One global threshold τ and per-layer positive scales α_l with (α_l·s ≥ τ ⟺ s ≥ c_l). Scaling cannot change a
     * score's sign, so this is exact only for cuts of τ's sign: τ = +1 when every cut is &gt; 0, else τ = −1 (then
     * α_l = 1/|c_l| for c_l &lt; 0). A layer whose cut has the other sign (c_l ≥ 0 under τ = −1) gets its cut moved
     * down to −{@code eps}: it computes more neurons than asked (recall only rises) and is marked inexact.
     */
    public record Fold(float threshold, float[] scales, boolean[] exact, float[] effectiveCuts) {

        public static Fold of(List<Float> cuts, float eps) {
            int n = cuts.size();
            float tau = threshold(cuts);
            float[] scales = new float[n];
            boolean[] exact = new boolean[n];
            float[] eff = new float[n];
            for (int l = 0; l < n; l++) {
                Layer f = layer(cuts.get(l), tau, eps);
                scales[l] = f.scale();
                exact[l] = f.exact();
                eff[l] = f.effectiveCut();
            }
            return new Fold(tau, scales, exact, eff);
        }

        /** τ = +1 when every cut is &gt; 0, else −1. */
        public static float threshold(List<Float> cuts) {
            return cuts.stream().allMatch(c -> c > 0) ? 1f : -1f;
        }

        /** One layer's part of a fold under a given τ (known per layer before the other layers' cuts are). */
        public record Layer(float scale, boolean exact, float effectiveCut) {}

        public static Layer layer(float c, float tau, float eps) {
            boolean allPositive = tau > 0;
            if (c == Float.POSITIVE_INFINITY) {          // a layer with no active neuron: predict none (τ = +1 only)
                return new Layer(0f, allPositive, allPositive ? c : Float.NEGATIVE_INFINITY);
            } else if (allPositive || c < 0) {
                return new Layer(tau / c, true, c);
            }
            return new Layer(1f / eps, false, -eps);
        }
    }
}
