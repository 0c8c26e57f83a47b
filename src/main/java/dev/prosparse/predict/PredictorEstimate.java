package dev.prosparse.predict;

import ai.djl.Device;
import dev.prosparse.config.ModelConfig;
import dev.prosparse.util.Torch;
import java.util.Locale;

/**
 * What {@code predictors train} will cost, printed before any work (docs/powerinfer.md, "Predictors on the GPU"):
 * memory from the sizes it allocates, time from the arithmetic it does at an assumed rate (15 GFLOP/s per CPU thread,
 * 30 TFLOP/s on a GPU in float32). Rough by design; the log then gives the measured time of every layer.
 *
 * @param flops       collection (one forward through the layers) + training (epochs × train rows × 6·r·(E + I) per layer)
 * @param deviceBytes on a GPU: the float32 weights + the larger of the collection's working set (a batch of 8 windows
 *                    through one layer) and one layer's training pairs in their {@link PairStore} dtype with a
 *                    minibatch's working set
 */
public record PredictorEstimate(long positions, int layers, double flops, double seconds, long hostBytes, long deviceBytes,
        boolean gpu, PairStore pairs) {

    static final double CPU_FLOPS_PER_THREAD = 15e9, GPU_FLOPS = 30e12;
    /** Windows per collection batch (PredictorRun passes 8 to the collector). */
    static final int COLLECT_WINDOWS = 8;

    /** With windows of 256 tokens, minibatches of 1024 and the pairs where --pairs-dtype auto puts them. */
    public static PredictorEstimate of(ModelConfig c, long positions, int layers, int rank, int epochs, Device d, int threads) {
        boolean gpu = d != null && d.isGpu();
        return of(c, positions, 256, layers, rank, epochs, 1024, d, threads, PairStore.resolve("auto", gpu, "--pairs-dtype"));
    }

    public static PredictorEstimate of(ModelConfig c, long positions, int seqLen, int layers, int rank, int epochs, int batch,
            Device d, int threads, PairStore store) {
        double e = c.hiddenSize(), i = c.intermediateSize(), kv = (double) c.numKeyValueHeads() * c.headDim();
        double perLayerParams = e * (2 * e + 2 * kv) + 3 * e * i;
        long modelBytes = (long) (c.numHiddenLayers() * perLayerParams + 2.0 * c.vocabSize() * e) * 4;
        long trainRows = positions * 8 / 10;
        double flops = layers * (2 * perLayerParams * positions + epochs * trainRows * 6 * rank * (e + i));
        boolean gpu = d != null && d.isGpu();
        int t = Torch.threads(threads);
        double rate = gpu ? GPU_FLOPS : CPU_FLOPS_PER_THREAD * t;
        long pairs = LayerPairs.bytesWhileTraining(positions, c.hiddenSize(), c.intermediateSize());
        // collection, float32: the batch's hidden states and FFN intermediates, and the attention scores + probabilities
        long tokens = (long) COLLECT_WINDOWS * seqLen;
        long collect = tokens * (long) (8 * e + 4 * i) * 4 + 2L * COLLECT_WINDOWS * c.numAttentionHeads() * seqLen * (long) seqLen * 4;
        // training: x, the labels, scores and their gradients as float32, the gather indices (int64), and fc1, fc2 with
        // their gradients and AdamW moments
        long step = (long) batch * (long) (2 * e + 4 * i) * 4 + (long) batch * (long) (e + i) * 8 + 4L * rank * (long) (e + i) * 4;
        long train = DevicePairs.bytes(trainRows, c.hiddenSize(), c.intermediateSize(), Math.max(store.xBytes(), 1)) + step;
        long device = gpu ? modelBytes + Math.max(collect, train) : 0;
        // on the CPU the weights and a tensor store (--pairs-dtype float16 there) are host memory too
        long host = pairs + (gpu ? 0 : modelBytes + (store == PairStore.HOST ? 0 : train));
        return new PredictorEstimate(positions, layers, flops, flops / rate, host, device, gpu, store);
    }

    public String text() {
        return String.format(Locale.ROOT, "Estimate: %d layers x %,d positions, %.3g FLOP: about %.1f min on the %s (assumed"
                + " %s); memory: host %.2f GiB%s. Measured times follow per layer", layers, positions, flops, seconds / 60,
                gpu ? "GPU" : "CPU", gpu ? "30 TFLOP/s float32" : "15 GFLOP/s per thread", hostBytes / 1073741824.0,
                gpu ? String.format(Locale.ROOT, ", GPU %.2f GiB (weights float32 + one layer's pairs, x in %s)",
                        deviceBytes / 1073741824.0, pairs == PairStore.TENSOR_FLOAT16 ? "float16" : "float32") : "");
    }
}
