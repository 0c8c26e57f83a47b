package dev.prosparse.cli;

import dev.prosparse.config.ModelConfig;
import dev.prosparse.data.DataSource;
import dev.prosparse.device.DeviceSpec;
import dev.prosparse.predict.PredictorOutput;
import dev.prosparse.predict.PredictorRun;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code prosparse predictors train}: one fc2·relu(fc1·x) predictor per layer, trained on the model's own activations. */
@Command(name = "train",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {"Train one activation predictor per layer, fc2 . relu(fc1 . x) (fc1 [rank, hidden], fc2 [intermediate, rank],",
            "no biases), with weighted binary cross-entropy against 1[x1 != 0] on (x, x1) pairs collected by running the model",
            "(x = the residual stream before post_attention_layernorm). Per layer, a cut is chosen on held-out pairs for the",
            "--recall target and folded into fc2 so that one global threshold applies (as PowerInfer does). Prints recall,",
            "precision and predicted sparsity on other held-out pairs, and the perplexity when only predicted neurons are",
            "computed. Writes model.safetensors + predictors.json into --out (default: <model>/predictors)."},
        footerHeading = "%nExamples:%n",
        footer = {"  prosparse predictors train --model checkpoints/runs/my-run/final",
            "  prosparse predictors train --model checkpoints/runs/my-run/final --rank 64 --recall 0.95 --samples 65536",
            "  prosparse predictors train --model checkpoints/runs/my-run/final --out predictors/ --force",
            "  prosparse predictors train --model llama2-7b-relu --device cuda --max-layers 2 --samples 131072",
            "  prosparse predictors train --model llama2-7b-relu --device cuda --pairs-dtype float32"})
public final class PredictorsTrainCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "A ReLU-family HuggingFace checkpoint folder (for example a prosparse train run's final/).")
    Path model;

    @Option(names = "--out", paramLabel = "DIR", description = "Output folder. Default: <model>/predictors.")
    Path out;

    @Option(names = "--force", description = "Replace predictors already in --out.")
    boolean force;

    @Option(names = "--rank", paramLabel = "R", description = "Predictor rank (hidden units). Default: min(1024, hidden_size).")
    Integer rank;

    @Option(names = "--recall", paramLabel = "R", defaultValue = "0.99", description = "Recall target for each layer's cut, on held-out pairs. Default: ${DEFAULT-VALUE}.")
    double recall;

    @Option(names = "--data", paramLabel = "FILE", defaultValue = DataSource.EMBEDDED_TRAIN, description = "Text the pairs are collected on (.jsonl, .jsonl.gz, .txt or embedded:train). Default: ${DEFAULT-VALUE}.")
    String data;

    @Option(names = "--samples", paramLabel = "N", defaultValue = "32768", description = "Token positions collected (80 %% train, 10 %% choose the cut, 10 %% report). Default: ${DEFAULT-VALUE}.")
    int samples;

    @Option(names = "--epochs", paramLabel = "N", defaultValue = "20", description = "Passes over the training pairs. Default: ${DEFAULT-VALUE}.")
    int epochs;

    @Option(names = "--batch-size", paramLabel = "B", defaultValue = "1024", description = "Pairs per AdamW step. Default: ${DEFAULT-VALUE}.")
    int batch;

    @Option(names = "--lr", paramLabel = "LR", defaultValue = "0.01", description = "Peak learning rate (cosine to 0). Default: ${DEFAULT-VALUE}.")
    double lr;

    @Option(names = "--eval-data", paramLabel = "FILE", defaultValue = DataSource.EMBEDDED_VALID, description = "Text for the perplexities. Default: ${DEFAULT-VALUE}.")
    String evalData;

    @Option(names = "--windows", paramLabel = "N", defaultValue = "32", description = "Perplexity windows of --seq-len tokens. Default: ${DEFAULT-VALUE}.")
    int windows;

    @Option(names = "--seq-len", paramLabel = "T", defaultValue = "256", description = "Tokens per window. Default: ${DEFAULT-VALUE}.")
    int seqLen;

    @picocli.CommandLine.Mixin
    ThreadsOption threads = new ThreadsOption();

    @Option(names = "--seed", paramLabel = "N", defaultValue = "1234", description = "Seed. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--device", paramLabel = "DEVICE", defaultValue = "auto", description = "auto, cpu, cuda or cuda:N: where pairs are collected and predictors trained (auto: the first GPU DJL sees). Default: ${DEFAULT-VALUE}.")
    String device;

    @Option(names = "--max-layers", paramLabel = "N", defaultValue = "0", description = "A timing run: collect and train only the first N layers, print their times, write nothing (0 = all layers).")
    int maxLayers;

    @Option(names = "--pairs-dtype", paramLabel = "DTYPE", defaultValue = "auto", description = {"auto, float16 or float32:"
            + " how each layer's training inputs x are stored while its predictor trains (auto: float16 on a GPU, half the"
            + " memory of float32; float32 on the CPU). Minibatches are cast to float32, so the training maths is float32"
            + " either way; a layer whose |x| passes float16's range keeps float32. Default: ${DEFAULT-VALUE}.",
            "  for example: --pairs-dtype float32"})
    String pairsDtype;

    @Override
    public Integer call() {
        DeviceSpec spec = DeviceSpec.parse(device, "--device");
        dev.prosparse.predict.PairStore.resolve(pairsDtype, false, "--pairs-dtype");   // refused before any work
        if (maxLayers < 0) {
            throw dev.prosparse.ProsparseException.usage("--max-layers must be >= 0, got " + maxLayers + " (for example --max-layers 2)");
        }
        int r = rank != null ? rank : Math.min(1024, ModelConfig.read(model).hiddenSize());
        PredictorRun.Result res = PredictorRun.run(new PredictorRun.Request(model, out, force, r, DataSource.of(data), samples,
                recall, epochs, batch, lr, seqLen, DataSource.of(evalData), windows, threads.value(), seed, spec, maxLayers,
                pairsDtype));
        if (res.out() == null) {
            System.out.print(PredictorOutput.timing(res));
            return 0;
        }
        System.out.print(PredictorOutput.text(res));
        System.out.flush();
        return 0;
    }
}
