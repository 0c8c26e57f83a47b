package dev.prosparse.pipeline;

import dev.prosparse.ProsparseException;
import java.nio.file.Path;
import java.util.List;

/**
 * What {@code prosparse sparsify} was asked (docs/sparsify.md).
 *
 * @param model          the source: a folder, a preset or a hub id
 * @param modelDir       the folder holding a preset's or hub id's checkpoint (null: look it up)
 * @param target         the target sparsity for the training controller (0 &lt; S &lt; 1)
 * @param out            the folder every step writes into
 * @param export         what to export at the end
 * @param config         the training recipe (null: the built-in demo recipe)
 * @param sets           recipe overrides (KEY=VALUE), as {@code train --set}
 * @param device         auto, cpu, cuda or cuda:N for training and predictors (null: the recipe's)
 * @param recall         the predictors' recall target
 * @param samples        positions collected for the predictors
 * @param epochs         predictor training epochs
 * @param predictorSeqLen tokens per window for the predictors and their perplexities
 * @param windows        perplexity windows for the predictors
 * @param threads        CPU threads (0: all cores)
 * @param force          start over when --out holds a sparsify run with other settings
 * @param commandLine    the command that made it, for the model card
 */
public record SparsifyRequest(String model, Path modelDir, double target, Path out, Export export, Path config,
        List<String> sets, String device, double recall, int samples, int epochs, int predictorSeqLen, int windows,
        int threads, boolean download, boolean force, String commandLine) {

    /** What the last step exports. */
    public enum Export {
        POWERINFER("powerinfer"), NONE("none");

        public final String flag;

        Export(String flag) {
            this.flag = flag;
        }

        public static Export parse(String s) {
            for (Export e : values()) {
                if (e.flag.equalsIgnoreCase(s)) {
                    return e;
                }
            }
            if ("gguf".equalsIgnoreCase(s)) {
                throw ProsparseException.usage("--export gguf: a dense llama.cpp GGUF of a ReLU model computes SiLU (the"
                        + " llama architecture's activation), not this model; use --export powerinfer (PowerInfer's sparse"
                        + " ReLU path) or --export none");
            }
            throw ProsparseException.usage("--export " + s + ": use powerinfer or none (for example --export powerinfer)");
        }
    }

    public SparsifyRequest {
        if (!(target > 0 && target < 1)) {
            throw ProsparseException.usage("--target-sparsity " + target + ": must be in (0, 1), for example --target-sparsity 0.9");
        }
        sets = List.copyOf(sets);
    }
}
