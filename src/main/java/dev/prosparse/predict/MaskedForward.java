package dev.prosparse.predict;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.prosparse.config.ModelConfig;
import dev.prosparse.data.EvalWindows;
import dev.prosparse.data.TokenStream;
import dev.prosparse.model.CausalLM;
import dev.prosparse.model.Weights;
import dev.prosparse.util.Torch;
import java.util.List;

/**
 * The model's loss when each FFN computes only the neurons its predictor selects: x1 ⊙ 1[fc2·relu(fc1·x) ≥ τ]
 * with x = the FFN's input residual stream (what PowerInfer computes). The FFN is written out here from the
 * weights (the same ops as {@link CausalLM#ffnBlock}); attention, embeddings and head are the model's.
 */
public final class MaskedForward {
    private MaskedForward() {}

    /** Mean next-token loss and the fraction of neurons not computed (0 without predictors). */
    public record Result(double loss, double skippedFraction) {
        public double perplexity() {
            return Math.exp(loss);
        }
    }

    /**
     * @param predictors per layer (folded; a null entry leaves that layer dense), or null for the dense model
     * @param threshold  the global threshold τ
     */
    public static Result evaluate(CausalLM lm, TokenStream stream, EvalWindows windows, int batch, List<Predictor> predictors,
            float threshold, NDManager root) {
        ModelConfig c = lm.config();
        double lossSum = 0;
        long tokens = 0;
        double skipped = 0, neurons = 0;
        for (int w0 = 0; w0 < windows.count(); w0 += batch) {
            int nb = Math.min(batch, windows.count() - w0);
            int s1 = windows.seqLen() + 1;
            long[] ids = new long[nb * s1];
            for (int i = 0; i < nb; i++) {
                System.arraycopy(stream.window(windows.start(w0 + i), s1), 0, ids, i * s1, s1);
            }
            double[] part = Torch.noGrad(() -> {
                try (NDManager scope = root.newSubManager()) {
                    NDArray all = Torch.fromLongs(scope, ids, new Shape(nb, s1));
                    NDArray[] io = CausalLM.splitWindow(all);
                    CausalLM.Positions pos = lm.positions(io[0]);
                    NDArray h = lm.embed(io[0]);                                                     // [B, S, E]
                    double skip = 0, count = 0;
                    for (int l = 0; l < c.numHiddenLayers(); l++) {
                        NDArray a = lm.attentionBlock(h, l, pos);                                    // [B, S, E]
                        NDArray mask = null;
                        Predictor p = predictors == null ? null : predictors.get(l);
                        if (p != null) {
                            NDArray fc1 = Torch.fromFloats(scope, p.fc1(), new Shape(p.rank(), p.hidden()));
                            NDArray fc2 = Torch.fromFloats(scope, p.fc2(), new Shape(p.intermediate(), p.rank()));
                            mask = Predictor.scores(a, fc1, fc2).gte(Torch.scalar(scope, threshold))
                                    .toType(DataType.FLOAT32, false);                                // [B, S, I]
                            count += mask.getShape().size();
                            skip += mask.getShape().size() - mask.sum().getFloat();
                        }
                        h = ffn(lm, a, l, mask);
                    }
                    NDArray loss = CausalLM.crossEntropy(lm.head(h), io[1]);
                    return new double[] {loss.getFloat(), skip, count};
                }
            });
            long t = (long) nb * windows.seqLen();
            lossSum += part[0] * t;
            tokens += t;
            skipped += part[1];
            neurons += part[2];
        }
        return new Result(lossSum / tokens, neurons == 0 ? 0 : skipped / neurons);
    }

    /** h + down_proj(σ(gate_proj(x)) ⊙ up_proj(x) ⊙ mask), x = post_attention_layernorm(h). h [B, S, E]; mask [B, S, I] or null. */
    public static NDArray ffn(CausalLM lm, NDArray h, int layer, NDArray mask) {
        ModelConfig c = lm.config();
        Weights w = lm.weights();
        String p = "model.layers." + layer + ".";
        NDArray eps = Torch.scalar(h.getManager(), c.rmsNormEps());
        NDArray rms = h.square().mean(new int[] {2}, true).add(eps).sqrt();                        // [B, S, 1]
        NDArray x = h.div(rms).mul(w.get(p + "post_attention_layernorm.weight"));                  // [B, S, E]
        NDArray gate = linear(x, w.get(p + "mlp.gate_proj.weight"));                               // [B, S, I]
        NDArray up = linear(x, w.get(p + "mlp.up_proj.weight"));                                   // [B, S, I]
        NDArray x1 = lm.activation().apply(gate, up, lm.activationParam());                        // [B, S, I]
        if (mask != null) {
            x1 = x1.mul(mask);
        }
        NDArray out = linear(x1, w.get(p + "mlp.down_proj.weight"));                               // [B, S, E]
        return h.add(c.isMiniCpm() ? out.mul(Torch.scalar(h.getManager(), c.residualScale())) : out);
    }

    private static NDArray linear(NDArray x, NDArray w) {
        return x.getNDArrayInternal().linear(x, w, null).singletonOrThrow();
    }
}
