package dev.prosparse.plan;

import dev.prosparse.plan.MemoryPlan.Kind;
import dev.prosparse.plan.MemoryPlan.Place;
import dev.prosparse.plan.MemoryPlan.Row;
import dev.prosparse.plan.MemoryPlan.When;
import java.util.List;

/**
 * The activation rows of a {@link MemoryPlan}: what autograd saves per layer for the backward pass, one layer's
 * working set, the logits and loss, and the evaluation pass (docs/memory-plan.md §Activations). Bytes per token:
 *
 * <pre>
 * saved per layer  a = c·(2E + f·I) + 2n + eager: c·(4·H·D + H·S)      sdpa: c·(3·H·D + 2·KV·D) + 4·H
 *                  (residual inputs of both norms; f = 3 saved FFN tensors for ReLU-family activations, 5 for SiLU;
 *                  n = the normalised input per norm: 4E in fp32, 6E in fp16-mixed (a float32 copy for the statistics
 *                  and the float16 product); eager keeps q, the key and value copies broadcast to H heads, the output
 *                  and the softmax probabilities [B, H, S, S]; SDPA keeps q, k, v, its output, the copy o_proj reads
 *                  and a float32 log-sum-exp per head)
 * working set      w = c·(2·(H + 2·KV)·D + 2I + 2E) + eager: 3·c·H·S (scores, scaled, masked before the softmax)
 * logits and loss  V·(12 fp32 | 14 fp16-mixed): log-softmax output, its gradient and the logits' gradient in fp32
 *                  (+ the float16 gradient)
 * </pre>
 * Without recompute: L·T·a + max(T·w, T·logits). With recompute: the inputs of every layer, (L+1)·T·E·c, plus the
 * larger of the logits and one recomputed layer T·(a + w + 12E) (12E: the float32 out·grad product of its backward).
 * Evaluation (no graph, fp32 masters, {@link MemoryPlan#EVAL_BATCH} windows at seq_len): the larger of 8·V (logits and
 * log-softmax) and one layer's a + w per token.
 */
final class Activations {
    private Activations() {}

    static void rows(ModelShape m, RunShape r, Place dev, List<Row> out) {
        long t = Sat.mul(r.batchSize(), r.seqLen());
        int c = r.computeBytes();
        long e = m.hiddenSize(), layers = m.numHiddenLayers();
        String tokens = "T=" + t;
        long saved = savedPerToken(m, r, c);
        long work = workPerToken(m, r, c);
        long logits = Sat.mul(r.fp16Mixed() ? 14 : 12, m.vocabSize());
        if (r.recompute()) {
            out.add(new Row(Kind.ACTIVATIONS, "layer inputs kept for recompute", "(L+1)·T·E·c, " + tokens,
                    Sat.mul(layers + 1, t, e, c), dev, When.STEP, false));
            out.add(new Row(Kind.ACTIVATIONS, "one layer recomputed: saved + working set + fp32 out·grad",
                    "T·(a + w + 12E), a=" + saved + ", w=" + work, Sat.mul(t, Sat.add(saved, work, Sat.mul(12, e))), dev,
                    When.STEP, true));
        } else {
            out.add(new Row(Kind.ACTIVATIONS, "saved for backward, all layers", "L·T·a, a=" + saved + " B/token, " + tokens,
                    Sat.mul(layers, t, saved), dev, When.STEP, false));
            out.add(new Row(Kind.ACTIVATIONS, "one layer's working set", "T·w, w=" + work + " B/token",
                    Sat.mul(t, work), dev, When.STEP, true));
        }
        out.add(new Row(Kind.LOGITS, "logits and loss (backward pass)", "T·V·" + (r.fp16Mixed() ? 14 : 12),
                Sat.mul(t, logits), dev, When.STEP, true));
        long te = Sat.mul(Math.min(MemoryPlan.EVAL_BATCH, Math.max(1, r.evalWindows())), r.seqLen());
        RunShape fp32 = new RunShape(r.batchSize(), r.seqLen(), r.gradAccum(), r.evalWindows(), false, false, r.eager(),
                r.silu(), r.gpu(), r.offload(), r.worldSize(), r.zeroStage());
        out.add(new Row(Kind.LOGITS, "evaluation logits + log-softmax (fp32)", "Te·V·8, Te=" + te,
                Sat.mul(te, m.vocabSize(), 8), dev, When.EVAL, true));
        out.add(new Row(Kind.ACTIVATIONS, "evaluation: one layer (fp32, no graph)", "Te·(a + w) at c=4",
                Sat.mul(te, Sat.add(savedPerToken(m, fp32, 4), workPerToken(m, fp32, 4))), dev, When.EVAL, true));
    }

    /** a: bytes autograd keeps per token and layer. */
    static long savedPerToken(ModelShape m, RunShape r, int c) {
        long e = m.hiddenSize(), i = m.intermediateSize(), h = m.numAttentionHeads(), kv = m.numKeyValueHeads(), d = m.headDim();
        long n = (c == 2 ? 6 : 4) * e;
        long f = r.silu() ? 5 : 3;
        long common = Sat.add(Sat.mul(c, Sat.add(Sat.mul(2, e), Sat.mul(f, i))), Sat.mul(2, n));
        long attention = r.eager()
                ? Sat.mul(c, Sat.add(Sat.mul(4, h, d), Sat.mul(h, r.seqLen())))
                : Sat.add(Sat.mul(c, Sat.add(Sat.mul(3, h, d), Sat.mul(2, kv, d))), Sat.mul(4, h));
        return Sat.add(common, attention);
    }

    /** w: bytes of one layer's transient intermediates per token. */
    static long workPerToken(ModelShape m, RunShape r, int c) {
        long e = m.hiddenSize(), i = m.intermediateSize(), h = m.numAttentionHeads(), kv = m.numKeyValueHeads(), d = m.headDim();
        long w = Sat.mul(c, Sat.add(Sat.mul(2, Sat.add(h, Sat.mul(2, kv)), d), Sat.mul(2, i), Sat.mul(2, e)));
        return r.eager() ? Sat.add(w, Sat.mul(3, c, h, r.seqLen())) : w;
    }
}
