package dev.prosparse.gguf;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.prosparse.config.ModelConfig;
import dev.prosparse.data.TextTokenizer;
import dev.prosparse.io.CheckpointFiles;
import dev.prosparse.io.HfCheckpoint;
import dev.prosparse.model.Activation;
import dev.prosparse.model.CausalLM;
import dev.prosparse.model.LayerHooks;
import dev.prosparse.model.LayerWalk;
import dev.prosparse.model.Weights;
import dev.prosparse.predict.Predictor;
import dev.prosparse.predict.PredictorFiles;
import dev.prosparse.util.Torch;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Our side of scripts/check-powerinfer.sh (not a user command): the same computations as the engine, from our
 * forward pass. Modes:
 * <pre>
 *   logits GGUF CKPT IDS_FILE OUT.f32   logits [n, V] of the weights inside GGUF (F16 as the engine reads them), with
 *                                       PowerInfer's neuron masks when GGUF holds predictors
 *   greedy CKPT N ID...                 N greedy ids after the prompt, from the checkpoint
 *   tokenize CKPT TEXT                  our tokenizer's ids (with BOS)
 *   negate-fc2 PRED_DIR OUT_DIR         a copy of a predictors folder with fc2 negated (negative control)
 *   compare A.f32 B.f32 V               max |Δ| and argmax agreement; exit 0 iff max |Δ| &lt; 0.1 and agreement ≥ 99 %
 *   compare-masked A.f32 B.f32 V        the criterion under predictor masks ({@link SparseComparison})
 *   all-neurons PRED_DIR OUT_DIR        a copy of a predictors folder that computes every neuron (fc2 = 0, τ = −1)
 * </pre>
 */
public final class EngineReference {
    private EngineReference() {}

    public static void main(String[] a) throws IOException {
        Torch.start(1);
        switch (a[0]) {
            case "logits":
                logits(Path.of(a[1]), Path.of(a[2]), Path.of(a[3]), Path.of(a[4]));
                break;
            case "greedy":
                System.out.println(greedy(Path.of(a[1]), Integer.parseInt(a[2]), Arrays.copyOfRange(a, 3, a.length)));
                break;
            case "tokenize": {
                HfCheckpoint ck = HfCheckpoint.open(Path.of(a[1]));
                try (TextTokenizer t = ck.tokenizer()) {
                    long[] ids = t.encode(a[2]);
                    StringBuilder sb = new StringBuilder();
                    for (long id : ids) {
                        sb.append(sb.length() == 0 ? "" : " ").append(id);
                    }
                    System.out.println(sb);
                }
                break;
            }
            case "negate-fc2":
                negateFc2(Path.of(a[1]), Path.of(a[2]));
                break;
            case "compare":
                System.exit(compare(Path.of(a[1]), Path.of(a[2]), Integer.parseInt(a[3])) ? 0 : 1);
                break;
            case "compare-masked":
                System.exit(SparseComparison.compareMasked(Path.of(a[1]), Path.of(a[2]), Integer.parseInt(a[3])) ? 0 : 1);
                break;
            case "all-neurons":
                SparseComparison.allNeurons(Path.of(a[1]), Path.of(a[2]));
                break;
            default:
                throw new IllegalArgumentException("unknown mode " + a[0]);
        }
    }

    static void logits(Path gguf, Path ckpt, Path idsFile, Path out) throws IOException {
        ModelConfig c = HfCheckpoint.open(ckpt).config();
        GgufReader.File f = GgufReader.read(gguf);
        long[] ids = Arrays.stream(Files.readString(idsFile).trim().split("\\s+")).mapToLong(Long::parseLong).toArray();
        int layers = c.numHiddenLayers();
        boolean sparse = f.magic().equals("PWRI");
        float tau = sparse ? ((GgufValue.F32) f.kv().get("powerinfer.sparse_threshold")).value() : 0f;
        try (NDManager root = NDManager.newBaseManager()) {
            NDManager wm = root.newSubManager();
            Map<String, NDArray> p = new LinkedHashMap<>();
            int e = c.hiddenSize();
            put(p, wm, "model.embed_tokens.weight", f.tensor("token_embd.weight"), null);
            put(p, wm, "model.norm.weight", f.tensor("output_norm.weight"), null);
            put(p, wm, "lm_head.weight", f.tensor("output.weight"), null);
            List<Predictor> preds = new ArrayList<>();
            for (int l = 0; l < layers; l++) {
                String h = "model.layers." + l + ".", b = "blk." + l + ".";
                put(p, wm, h + "input_layernorm.weight", f.tensor(b + "attn_norm.weight"), null);
                GgufTensor q = f.tensor(b + "attn_q.weight"), k = f.tensor(b + "attn_k.weight");
                put(p, wm, h + "self_attn.q_proj.weight", q, LlamaGguf.unpermuteQk(q.data(), c.numAttentionHeads(), e));
                put(p, wm, h + "self_attn.k_proj.weight", k, LlamaGguf.unpermuteQk(k.data(), c.numKeyValueHeads(), e));
                put(p, wm, h + "self_attn.v_proj.weight", f.tensor(b + "attn_v.weight"), null);
                put(p, wm, h + "self_attn.o_proj.weight", f.tensor(b + "attn_output.weight"), null);
                put(p, wm, h + "post_attention_layernorm.weight", f.tensor(b + "ffn_norm.weight"), null);
                put(p, wm, h + "mlp.gate_proj.weight", f.tensor(b + "ffn_gate.weight"), null);
                put(p, wm, h + "mlp.up_proj.weight", f.tensor(b + "ffn_up.weight"), null);
                if (sparse) {
                    GgufTensor dt = f.tensor(b + "ffn_down_t.weight");                               // [I, E]
                    int n = (int) dt.shape()[0];
                    p.put(h + "mlp.down_proj.weight", Torch.fromFloats(wm, LlamaGguf.transpose(dt.data(), n, e), new Shape(e, n)));
                    GgufTensor f1 = f.tensor(b + "fc1.weight"), f2 = f.tensor(b + "fc2.weight");
                    preds.add(new Predictor((int) f1.shape()[0], e, n, f1.data(), f2.data()));
                } else {
                    put(p, wm, h + "mlp.down_proj.weight", f.tensor(b + "ffn_down.weight"), null);
                }
            }
            // what the engine computes: plain ReLU in PowerInfer's sparse path (a fatrelu threshold is ignored there)
            CausalLM lm = sparse ? new CausalLM(c, Weights.of(wm, p, false), Activation.RELU, 0)
                    : new CausalLM(c, Weights.of(wm, p, false), c.hiddenAct(), c.hiddenActParam());
            EngineMasks engineMasks = new EngineMasks();
            // the masks under the engine's F16 arithmetic, as an FFN override of the model's one layer walk
            LayerHooks hooks = !sparse ? LayerHooks.NONE : new LayerHooks((layer, ffn) -> {
                Predictor pr = preds.get(layer);
                NDManager m = ffn.input().getManager();
                NDArray w1 = Torch.fromFloats(m, pr.fc1(), new Shape(pr.rank(), e));                    // [r, E]
                NDArray w2 = Torch.fromFloats(m, pr.fc2(), new Shape(pr.intermediate(), pr.rank()));    // [I, r]
                return ffn.x1().mul(engineMasks.mask(ffn.input(), w1, w2, tau));                       // [1, n, I]
            }, null);
            float[] logits = Torch.noGrad(() -> {
                try (NDManager s = root.newSubManager()) {
                    NDArray in = Torch.fromLongs(s, ids, new Shape(1, ids.length));
                    NDArray h = LayerWalk.run(lm, in, LayerWalk.Scopes.WHOLE_GRAPH, hooks);       // [1, n, E]
                    return lm.head(h).toFloatArray();
                }
            });
            writeFloats(out, logits);
            if (sparse) {
                System.err.printf(Locale.ROOT, "mask decisions within rounding distance of the threshold (the engine may take"
                        + " them the other way): %d of %d (%.4f%%)%n", engineMasks.borderline, engineMasks.decisions,
                        100.0 * engineMasks.borderline / Math.max(1, engineMasks.decisions));
            }
            System.err.printf(Locale.ROOT, "wrote %d x %d logits (%s%s)%n", ids.length, c.vocabSize(), sparse ? "PWRI, threshold " : "dense",
                    sparse ? String.valueOf(tau) : "");
        }
    }

    private static void put(Map<String, NDArray> p, NDManager m, String hf, GgufTensor t, float[] data) {
        p.put(hf, Torch.fromFloats(m, data != null ? data : t.data(), new Shape(t.shape())));
    }

    static String greedy(Path ckpt, int n, String[] prompt) {
        HfCheckpoint ck = HfCheckpoint.open(ckpt);
        List<Long> ids = new ArrayList<>();
        for (String s : prompt) {
            ids.add(Long.parseLong(s));
        }
        StringBuilder sb = new StringBuilder();
        try (NDManager root = NDManager.newBaseManager(); CheckpointFiles files = ck.files();
                Weights w = Weights.load(ck.config(), files, root)) {
            CausalLM lm = new CausalLM(ck.config(), w, ck.config().hiddenAct(), ck.config().hiddenActParam());
            for (int k = 0; k < n; k++) {
                long[] arr = ids.stream().mapToLong(Long::longValue).toArray();
                long next = Torch.noGrad(() -> {
                    try (NDManager s = root.newSubManager()) {
                        NDArray logits = lm.forward(Torch.fromLongs(s, arr, new Shape(1, arr.length)), false).logits();
                        float[] last = logits.get("0, -1, :").toFloatArray();
                        int best = 0;
                        for (int v = 1; v < last.length; v++) {
                            if (last[v] > last[best]) {
                                best = v;
                            }
                        }
                        return (long) best;
                    }
                });
                ids.add(next);
                sb.append(k == 0 ? "" : " ").append(next);
            }
        }
        return sb.toString();
    }

    static void negateFc2(Path src, Path dst) throws IOException {
        com.fasterxml.jackson.databind.JsonNode json = dev.prosparse.util.Json.DOCUMENT.readTree(Files.readString(src.resolve(PredictorFiles.JSON)));
        int layers = json.get("num_hidden_layers").asInt(), e = json.get("hidden_size").asInt(), n = json.get("intermediate_size").asInt();
        PredictorFiles.Loaded l = PredictorFiles.read(src, layers, e, n);
        List<Predictor> neg = new ArrayList<>();
        for (Predictor p : l.predictors()) {
            neg.add(p.scaled(-1f));
        }
        PredictorFiles.write(dst, neg, (com.fasterxml.jackson.databind.node.ObjectNode) json);
    }

    static boolean compare(Path a, Path b, int vocab) throws IOException {
        float[] x = readFloats(a), y = readFloats(b);
        if (x.length != y.length || x.length % vocab != 0) {
            System.out.println("FAIL: sizes differ: " + x.length + " vs " + y.length);
            return false;
        }
        int rows = x.length / vocab, agree = 0;
        double maxAbs = 0;
        for (int r = 0; r < rows; r++) {
            int ax = 0, ay = 0;
            for (int v = 0; v < vocab; v++) {
                int i = r * vocab + v;
                maxAbs = Math.max(maxAbs, Math.abs(x[i] - y[i]));
                if (x[i] > x[r * vocab + ax]) {
                    ax = v;
                }
                if (y[i] > y[r * vocab + ay]) {
                    ay = v;
                }
            }
            agree += ax == ay ? 1 : 0;
        }
        double agreement = (double) agree / rows;
        boolean ok = maxAbs < 0.1 && agreement >= 0.99;
        System.out.printf(Locale.ROOT, "%s: %d positions, max |delta logit| %.4f (< 0.1 needed), argmax agreement %.2f%% (>= 99%% needed)%n",
                ok ? "MATCH" : "DIFFER", rows, maxAbs, 100 * agreement);
        return ok;
    }

    static void writeFloats(Path out, float[] v) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        Files.write(out, b.array());
    }

    static float[] readFloats(Path p) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(p)).order(ByteOrder.LITTLE_ENDIAN);
        float[] v = new float[b.remaining() / 4];
        b.asFloatBuffer().get(v);
        return v;
    }
}
