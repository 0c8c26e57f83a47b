package dev.prosparse.cli;

import dev.prosparse.gguf.GgufExporter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code prosparse export gguf}: llama.cpp GGUF, or PowerInfer GGUF with --predictors. */
@Command(name = "gguf",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {"Write a GGUF v3 file: without --predictors a standard llama.cpp GGUF (llama architecture, q/k permuted",
            "as llama.cpp's converter does, tokenizer.ggml.*); with --predictors a PowerInfer GGUF (magic PWRI, ffn_down_t,",
            "fc1/fc2 per layer, powerinfer.sparse_threshold, F16). Refuses what the engine cannot run. Contract: docs/powerinfer.md."},
        footerHeading = "%nExamples:%n",
        footer = {"  prosparse export gguf --model checkpoints/tiny-llama --out tiny.gguf",
            "  prosparse export gguf --model run/final --predictors run/final/predictors --out tiny.powerinfer.gguf",
            "  prosparse export gguf --model run/final --predictors run/final/predictors --pad-ffn 1024 --out padded.gguf"})
public final class ExportGgufCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "HuggingFace checkpoint folder (model_type llama).")
    Path model;

    @Option(names = "--predictors", paramLabel = "DIR", description = "Predictors folder from 'prosparse predictors train': write a PowerInfer GGUF.")
    Path predictors;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "The .gguf file to write.")
    Path out;

    @Option(names = "--f32", description = "2-D weights as F32 instead of F16 (dense export only).")
    boolean f32;

    @Option(names = "--pad-ffn", paramLabel = "N", defaultValue = "0", description = "Pad the FFN with zero neurons to at least N (the maths is unchanged). Default: a PowerInfer export with n_ff <= 1000 is padded to 1024 (its kernels misbehave below), a dense one is not padded.")
    int padFfn;

    @Option(names = "--force", description = "Write a dense export of a non-SiLU checkpoint anyway (llama.cpp computes SiLU: the file will not compute this model).")
    boolean force;

    @Option(names = "--overwrite", description = "Replace --out if it exists.")
    boolean overwrite;

    @Override
    public Integer call() {
        GgufExporter.Result r = GgufExporter.export(new GgufExporter.Request(model, predictors, out, f32, padFfn, force, overwrite));
        System.out.println("wrote " + r.out() + " (" + r.magic() + ", " + r.tensors() + " tensors, n_ff " + r.intermediate() + ", "
                + r.bytes() + " bytes)");
        for (String w : r.warnings()) {
            System.out.println("WARNING: " + w);
        }
        return 0;
    }
}
