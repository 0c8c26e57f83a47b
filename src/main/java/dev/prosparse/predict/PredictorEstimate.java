package dev.prosparse.predict;

import ai.djl.Device;
import dev.prosparse.config.ModelConfig;
import java.util.Locale;

/**
 * What {@code predictors train} will cost, printed before any work (docs/powerinfer.md, "Predictors on the GPU"):
 * memory from the sizes it allocates, time from the arithmetic it does at an assumed rate (15 GFLOP/s per CPU thread,
 * 30 TFLOP/s on a GPU in float32). Rough by design; the log then gives the measured time of every layer.
 *
 * @param flops collection (one forward through the layers) + training (epochs × train rows × 6·r·(E + I) per layer)
 */
public record PredictorEstimate(long positions, int layers, double flops, double seconds, long hostBytes, long deviceBytes,
        boolean gpu) {

    static final double CPU_FLOPS_PER_THREAD = 15e9, GPU_FLOPS = 30e12;

    public static PredictorEstimate of(ModelConfig c, long positions, int layers, int rank, int epochs, Device d, int threads) {
        double e = c.hiddenSize(), i = c.intermediateSize(), kv = (double) c.numKeyValueHeads() * c.headDim();
        double perLayerParams = e * (2 * e + 2 * kv) + 3 * e * i;
        long modelBytes = (long) (c.numHiddenLayers() * perLayerParams + 2.0 * c.vocabSize() * e) * 4;
        long trainRows = positions * 8 / 10;
        double flops = layers * (2 * perLayerParams * positions + epochs * trainRows * 6 * rank * (e + i));
        boolean gpu = d != null && d.isGpu();
        int t = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        double rate = gpu ? GPU_FLOPS : CPU_FLOPS_PER_THREAD * t;
        long pairs = LayerPairs.bytesWhileTraining(positions, c.hiddenSize(), c.intermediateSize());
        long device = gpu ? modelBytes + DevicePairs.bytes(trainRows, c.hiddenSize(), c.intermediateSize()) : 0;
        return new PredictorEstimate(positions, layers, flops, flops / rate, pairs + (gpu ? 0 : modelBytes), device, gpu);
    }

    public String text() {
        return String.format(Locale.ROOT, "Estimate: %d layers x %,d positions, %.3g FLOP: about %.1f min on the %s (assumed"
                + " %s); memory: host %.2f GiB%s. Measured times follow per layer", layers, positions, flops, seconds / 60,
                gpu ? "GPU" : "CPU", gpu ? "30 TFLOP/s float32" : "15 GFLOP/s per thread", hostBytes / 1073741824.0,
                gpu ? String.format(Locale.ROOT, ", GPU %.2f GiB (weights float32 + one layer's pairs)", deviceBytes / 1073741824.0) : "");
    }
}
