package dev.prosparse.gguf;

/**
 * llama.cpp's names for the llama architecture (keys and tensors) and the q/k row permutation of its converter
 * (docs/powerinfer.md). Kept in one place so the exporter and the tests spell them once.
 */
public final class LlamaGguf {
    private LlamaGguf() {}

    /** HF tensor name → GGUF tensor name (dense layout; the PowerInfer layout renames ffn_down, see GgufExporter). */
    public static String tensorName(String hf) {
        switch (hf) {
            case "model.embed_tokens.weight":
                return "token_embd.weight";
            case "model.norm.weight":
                return "output_norm.weight";
            case "lm_head.weight":
                return "output.weight";
            default:
                break;
        }
        if (!hf.startsWith("model.layers.")) {
            throw new IllegalArgumentException("no GGUF name for " + hf);
        }
        String rest = hf.substring("model.layers.".length());
        int dot = rest.indexOf('.');
        String layer = rest.substring(0, dot), part = rest.substring(dot + 1);
        String g;
        switch (part) {
            case "input_layernorm.weight": g = "attn_norm"; break;
            case "self_attn.q_proj.weight": g = "attn_q"; break;
            case "self_attn.k_proj.weight": g = "attn_k"; break;
            case "self_attn.v_proj.weight": g = "attn_v"; break;
            case "self_attn.o_proj.weight": g = "attn_output"; break;
            case "post_attention_layernorm.weight": g = "ffn_norm"; break;
            case "mlp.gate_proj.weight": g = "ffn_gate"; break;
            case "mlp.up_proj.weight": g = "ffn_up"; break;
            case "mlp.down_proj.weight": g = "ffn_down"; break;
            default: throw new IllegalArgumentException("no GGUF name for " + hf);
        }
        return "blk." + layer + "." + g + ".weight";
    }

    /**
     * The rows of an HF q_proj / k_proj [heads·D, E] reordered for ggml's rope (adjacent pairs): within each head, HF
     * keeps the two rotary halves apart (rotate_half); llama.cpp's converter interleaves them:
     * out row h·D + 2i + j ← in row h·D + j·D/2 + i (i &lt; D/2, j ∈ {0, 1}).
     */
    public static float[] permuteQk(float[] w, int heads, int cols) {
        int rows = w.length / cols, d = rows / heads, half = d / 2;
        float[] out = new float[w.length];
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < half; i++) {
                for (int j = 0; j < 2; j++) {
                    System.arraycopy(w, (h * d + j * half + i) * cols, out, (h * d + 2 * i + j) * cols, cols);
                }
            }
        }
        return out;
    }

    /** The inverse of {@link #permuteQk}. */
    public static float[] unpermuteQk(float[] w, int heads, int cols) {
        int rows = w.length / cols, d = rows / heads, half = d / 2;
        float[] out = new float[w.length];
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < half; i++) {
                for (int j = 0; j < 2; j++) {
                    System.arraycopy(w, (h * d + 2 * i + j) * cols, out, (h * d + j * half + i) * cols, cols);
                }
            }
        }
        return out;
    }

    /** [rows, cols] → [cols, rows]. */
    public static float[] transpose(float[] a, int rows, int cols) {
        float[] t = new float[a.length];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                t[j * rows + i] = a[i * cols + j];
            }
        }
        return t;
    }
}
