package dev.prosparse.gguf;

import dev.prosparse.util.OutputFolder;
import com.fasterxml.jackson.databind.JsonNode;
import dev.prosparse.ProsparseException;
import dev.prosparse.config.ModelConfig;
import dev.prosparse.config.ModelType;
import dev.prosparse.io.CheckpointFiles;
import dev.prosparse.io.HfCheckpoint;
import dev.prosparse.config.Activation;
import dev.prosparse.model.Weights;
import dev.prosparse.predict.Predictor;
import dev.prosparse.predict.PredictorFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code export gguf}: a llama.cpp GGUF (dense) or a PowerInfer GGUF (with predictors). The contract — keys,
 * names, layouts, refusals — is docs/powerinfer.md.
 */
public final class GgufExporter {
    private static final Logger LOG = LoggerFactory.getLogger(GgufExporter.class);

    /**
     * @param predictors a predictors folder (PowerInfer export) or null (dense llama.cpp export)
     * @param f32        write 2-D weights as F32 (dense only; PowerInfer's sparse kernels need F16)
     * @param padFfn     pad the FFN with zero neurons up to at least this many (0: not given, see {@link #paddedFfn})
     * @param force      write a dense export of a non-SiLU checkpoint anyway (the engine computes SiLU)
     */
    public record Request(Path model, Path predictors, Path out, boolean f32, int padFfn, boolean force, boolean overwrite) {}

    public record Result(Path out, String magic, int tensors, long bytes, int intermediate, List<String> warnings) {}

    private GgufExporter() {}

    public static Result export(Request q) {
        HfCheckpoint ck = HfCheckpoint.open(q.model());
        ModelConfig c = ck.config();
        boolean sparse = q.predictors() != null;
        List<String> warnings = new ArrayList<>();
        checkSupported(c, sparse, q, warnings);
        if (Files.exists(q.out()) && !q.overwrite()) {
            throw ProsparseException.usage("--out " + q.out() + " exists; pass --force to replace it");
        }
        int e = c.hiddenSize(), n = c.intermediateSize(), nPad = paddedFfn(n, q.padFfn(), sparse);
        SpmVocab vocab = GgufTokenizer.vocab(ck);
        warnings.addAll(vocab.warnings());
        PredictorFiles.Loaded preds = sparse ? PredictorFiles.read(q.predictors(), c.numHiddenLayers(), e, n) : null;
        if (sparse) {
            predictorWarnings(q, c, preds, warnings);
        }
        if (nPad != n) {
            LOG.info("FFN padded with zero neurons from {} to {} (docs/powerinfer.md, the PowerInfer variant)", n, nPad);
        }
        Map<String, GgufValue> kv = metadata(ck, c, nPad, sparse, q.f32(), preds, vocab);
        List<GgufTensor> ts = new ArrayList<>();
        GgufTensor.GgmlType wt = q.f32() ? GgufTensor.GgmlType.F32 : GgufTensor.GgmlType.F16;
        GgufTensor.GgmlType f32 = GgufTensor.GgmlType.F32;
        String magic = sparse ? "PWRI" : "GGUF";
        try (CheckpointFiles files = ck.files()) {
            Weights.validate(c, files, files.dir().toString());
            // every weight is lazy: read from the checkpoint when the writer reaches it (docs/powerinfer-speed.md, "Export memory")
            ts.add(GgufTensor.lazy("token_embd.weight", new long[] {c.vocabSize(), e}, wt, () -> files.readFloat32("model.embed_tokens.weight")));
            for (int l = 0; l < c.numHiddenLayers(); l++) {
                String p = "model.layers." + l + ".";
                String b = "blk." + l + ".";
                ts.add(GgufTensor.lazy(b + "attn_norm.weight", new long[] {e}, f32, () -> files.readFloat32(p + "input_layernorm.weight")));
                int q1 = c.numAttentionHeads() * c.headDim(), kv1 = c.numKeyValueHeads() * c.headDim();
                ts.add(GgufTensor.lazy(b + "attn_q.weight", new long[] {q1, e}, wt,
                        () -> LlamaGguf.permuteQk(files.readFloat32(p + "self_attn.q_proj.weight"), c.numAttentionHeads(), e)));
                ts.add(GgufTensor.lazy(b + "attn_k.weight", new long[] {kv1, e}, wt,
                        () -> LlamaGguf.permuteQk(files.readFloat32(p + "self_attn.k_proj.weight"), c.numKeyValueHeads(), e)));
                ts.add(GgufTensor.lazy(b + "attn_v.weight", new long[] {kv1, e}, wt, () -> files.readFloat32(p + "self_attn.v_proj.weight")));
                ts.add(GgufTensor.lazy(b + "attn_output.weight", new long[] {e, q1}, wt, () -> files.readFloat32(p + "self_attn.o_proj.weight")));
                ts.add(GgufTensor.lazy(b + "ffn_norm.weight", new long[] {e}, f32, () -> files.readFloat32(p + "post_attention_layernorm.weight")));
                ts.add(GgufTensor.lazy(b + "ffn_gate.weight", new long[] {nPad, e}, wt, () -> padRows(files.readFloat32(p + "mlp.gate_proj.weight"), n, nPad, e)));
                ts.add(GgufTensor.lazy(b + "ffn_up.weight", new long[] {nPad, e}, wt, () -> padRows(files.readFloat32(p + "mlp.up_proj.weight"), n, nPad, e)));
                // down_proj [E, I] → down_t [I', E]: one row per neuron
                java.util.function.Supplier<float[]> downT =
                        () -> padRows(LlamaGguf.transpose(files.readFloat32(p + "mlp.down_proj.weight"), e, n), n, nPad, e);
                if (sparse) {
                    ts.add(GgufTensor.lazy(b + "ffn_down_t.weight", new long[] {nPad, e}, wt, downT));
                    Predictor pr = preds.predictors().get(l);
                    ts.add(new GgufTensor(b + "fc1.weight", new long[] {pr.rank(), e}, wt, pr.fc1()));
                    ts.add(GgufTensor.lazy(b + "fc2.weight", new long[] {nPad, pr.rank()}, wt, () -> padRows(pr.fc2(), n, nPad, pr.rank())));
                } else {
                    ts.add(GgufTensor.lazy(b + "ffn_down.weight", new long[] {e, nPad}, wt, () -> LlamaGguf.transpose(downT.get(), nPad, e)));
                }
            }
            ts.add(GgufTensor.lazy("output_norm.weight", new long[] {e}, f32, () -> files.readFloat32("model.norm.weight")));
            String head = c.tieWordEmbeddings() ? "model.embed_tokens.weight" : "lm_head.weight";
            ts.add(GgufTensor.lazy("output.weight", new long[] {c.vocabSize(), e}, wt, () -> files.readFloat32(head)));
            checkShapes(ts, c, nPad, sparse);
            OutputFolder.createParent(q.out(), "--out"); // as report --out does (docs/paths.md)
            GgufWriter.write(q.out(), magic, kv, ts);
        }
        long bytes;
        try {
            bytes = Files.size(q.out());
        } catch (java.io.IOException ex) {
            bytes = -1;
        }
        return new Result(q.out(), magic, ts.size(), bytes, nPad, warnings);
    }

    /** The smallest n_ff PowerInfer's sparse kernels compute correctly is above this (docs/powerinfer.md). */
    public static final int POWERINFER_MIN_FFN = 1000, POWERINFER_PAD = 1024;

    /**
     * The exported n_ff: {@code padFfn} 0 means "not given": a PowerInfer export with n_ff ≤ 1000 is then padded to
     * 1024 (its kernels return NaN or wrong values below), a dense one not at all. A given value that leaves a
     * PowerInfer export at n_ff ≤ 1000 is refused.
     */
    static int paddedFfn(int n, int padFfn, boolean sparse) {
        if (padFfn < 0) {
            throw ProsparseException.usage("--pad-ffn must be ≥ 0, got " + padFfn + " (for example --pad-ffn 1024)");
        }
        int nPad = Math.max(n, padFfn);
        if (sparse && nPad <= POWERINFER_MIN_FFN) {
            if (padFfn != 0) {
                throw ProsparseException.usage("--pad-ffn " + padFfn + " leaves n_ff " + nPad + " ≤ " + POWERINFER_MIN_FFN
                        + ": PowerInfer's sparse kernels return NaN or wrong values there; pass --pad-ffn " + POWERINFER_PAD
                        + " (or leave the flag out: PowerInfer exports are padded to " + POWERINFER_PAD + " by default)");
            }
            nPad = POWERINFER_PAD;
        }
        return nPad;
    }

    private static void predictorWarnings(Request q, ModelConfig c, PredictorFiles.Loaded preds, List<String> warnings) {
        String id = PredictorCompat.checkIdentity(q.model(), c, q.predictors(), preds.json());
        String dense = PredictorCompat.densityWarning(c, preds.json(), preds.predictors().get(0).rank());
        for (String w : java.util.Arrays.asList(id, dense)) {
            if (w != null) {
                LOG.warn(w);
                warnings.add(w);
            }
        }
    }

    /** Refuses, by name, what the target engine cannot run; collects warnings for what it runs differently. */
    static void checkSupported(ModelConfig c, boolean sparse, Request q, List<String> warnings) {
        String where = "--model " + q.model();
        if (c.family() != ModelType.LLAMA) {
            throw ProsparseException.usage(where + ": model_type " + c.modelType() + " cannot be exported: llama.cpp's llama"
                    + " architecture (and PowerInfer's sparse path) has no " + c.modelType() + " support here (qwen2, qwen3,"
                    + " mistral and minicpm are refused); only model_type llama is exported");
        }
        JsonNode raw = c.raw();
        String ropeType = raw.path("rope_parameters").path("rope_type").asText(raw.path("rope_scaling").path("rope_type").asText("default"));
        if (!ropeType.equals("default") || (raw.hasNonNull("rope_scaling") && !raw.get("rope_scaling").isNull())) {
            throw ProsparseException.usage(where + ": rope type " + ropeType + " (rope_scaling) is not supported: PowerInfer has"
                    + " no llama3 rope; export only default-rope checkpoints");
        }
        if (raw.path("attention_bias").asBoolean(false) || raw.path("mlp_bias").asBoolean(false)) {
            throw ProsparseException.usage(where + ": attention_bias / mlp_bias checkpoints are not supported by the llama architecture export");
        }
        if (c.numAttentionHeads() * c.headDim() != c.hiddenSize()) {
            throw ProsparseException.usage(where + ": head_dim " + c.headDim() + " x " + c.numAttentionHeads() + " heads != hidden_size "
                    + c.hiddenSize() + "; this llama.cpp version assumes head_dim = hidden_size / heads");
        }
        Activation a = c.hiddenAct();
        if (sparse) {
            if (a == Activation.FATRELU) {
                String w = "hidden_act fatrelu (threshold " + c.hiddenActParam() + "): PowerInfer computes plain ReLU and ignores"
                        + " the threshold, so activations in (0, threshold) are kept";
                LOG.warn(w);
                warnings.add(w);
            } else if (a != Activation.RELU) {
                throw ProsparseException.usage(where + ": hidden_act " + a.hfName() + " cannot run in PowerInfer's sparse path,"
                        + " which asserts on any activation but ReLU (relu2, drelu, shiftrelu and silu are refused)");
            }
            if (q.f32()) {
                throw ProsparseException.usage("--f32 with --predictors: PowerInfer's sparse kernels read F16 weights and print"
                        + " garbage with F32; drop --f32");
            }
        } else if (a != Activation.SILU) {
            String w = "hidden_act is " + a.hfName() + " but llama.cpp's llama architecture computes SiLU whatever the checkpoint"
                    + " says: this dense GGUF will NOT compute this model (wrong but finite logits)";
            if (!q.force()) {
                throw ProsparseException.usage(where + ": " + w + ". Export with --predictors DIR for PowerInfer's ReLU path, or pass"
                        + " --allow-wrong-activation to write it anyway");
            }
            LOG.warn("!!! {} !!!", w);
            warnings.add(w);
        }
    }

    /** The shapes the engine's loader expects (it does not check all of them itself: a transposed fc2 aborts later). */
    static void checkShapes(List<GgufTensor> ts, ModelConfig c, int nPad, boolean sparse) {
        for (GgufTensor t : ts) {
            long[] s = t.shape();                // shapes only: the values are read (and their count checked) by the writer
            String n = t.name();
            long e = c.hiddenSize();
            boolean ok;
            if (n.endsWith("ffn_down_t.weight") || n.endsWith("ffn_gate.weight") || n.endsWith("ffn_up.weight")) {
                ok = s.length == 2 && s[0] == nPad && s[1] == e;
            } else if (n.endsWith("ffn_down.weight")) {
                ok = s.length == 2 && s[0] == e && s[1] == nPad;
            } else if (n.endsWith("fc1.weight")) {
                ok = s.length == 2 && s[1] == e;
            } else if (n.endsWith("fc2.weight")) {
                ok = s.length == 2 && s[0] == nPad;
            } else {
                ok = true;
            }
            if (!ok) {
                throw ProsparseException.checkpoint("tensor " + n + " has shape " + java.util.Arrays.toString(s)
                        + ", not what the engine's loader expects (hidden " + e + ", n_ff " + nPad + ")");
            }
        }
        if (sparse) {
            for (int l = 0; l < c.numHiddenLayers(); l++) {
                String fc1 = "blk." + l + ".fc1.weight", fc2 = "blk." + l + ".fc2.weight";
                long r1 = find(ts, fc1).shape()[0], r2 = find(ts, fc2).shape()[1];
                if (r1 != r2) {
                    throw ProsparseException.checkpoint("layer " + l + ": fc1 rank " + r1 + " != fc2 rank " + r2);
                }
            }
        }
    }

    private static GgufTensor find(List<GgufTensor> ts, String name) {
        return ts.stream().filter(t -> t.name().equals(name)).findFirst().orElseThrow();
    }

    /** [rows, cols] padded with zero rows to [rowsPad, cols]. */
    static float[] padRows(float[] a, int rows, int rowsPad, int cols) {
        if (rowsPad == rows) {
            return a;
        }
        float[] out = new float[rowsPad * cols];
        System.arraycopy(a, 0, out, 0, rows * cols);
        return out;
    }

    static Map<String, GgufValue> metadata(HfCheckpoint ck, ModelConfig c, int nFf, boolean sparse, boolean f32,
            PredictorFiles.Loaded preds, SpmVocab vocab) {
        Map<String, GgufValue> kv = new LinkedHashMap<>();
        kv.put("general.architecture", new GgufValue.Str("llama"));
        kv.put("general.name", new GgufValue.Str(ck.dir().toAbsolutePath().normalize().getFileName().toString()));
        kv.put("general.alignment", new GgufValue.U32(GgufWriter.DEFAULT_ALIGNMENT));
        kv.put("llama.context_length", new GgufValue.U32(c.raw().path("max_position_embeddings").asLong(2048)));
        kv.put("llama.embedding_length", new GgufValue.U32(c.hiddenSize()));
        kv.put("llama.block_count", new GgufValue.U32(c.numHiddenLayers()));
        kv.put("llama.feed_forward_length", new GgufValue.U32(nFf));
        kv.put("llama.rope.dimension_count", new GgufValue.U32(c.headDim()));
        kv.put("llama.attention.head_count", new GgufValue.U32(c.numAttentionHeads()));
        kv.put("llama.attention.head_count_kv", new GgufValue.U32(c.numKeyValueHeads()));
        kv.put("llama.attention.layer_norm_rms_epsilon", new GgufValue.F32((float) c.rmsNormEps()));
        kv.put("llama.rope.freq_base", new GgufValue.F32((float) c.ropeTheta()));
        kv.put("general.file_type", new GgufValue.U32(f32 ? 0 : 1));   // ALL_F32 / MOSTLY_F16
        if (sparse) {
            kv.put("powerinfer.sparse_threshold", new GgufValue.F32(preds.threshold()));
        }
        kv.putAll(GgufTokenizer.keys(ck, vocab));
        return kv;
    }
}
