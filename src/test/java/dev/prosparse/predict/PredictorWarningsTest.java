package dev.prosparse.predict;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import dev.prosparse.config.ModelConfig;
import dev.prosparse.Fixtures;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The low-predicted-sparsity warning and the estimate printed before a predictors run. */
class PredictorWarningsTest {

    @Test
    void predictorsThatSkipAlmostNothingOfASparseLayerAreWarned() {
        List<String> w = PredictorRun.warnLowSparsity(List.of(
                new Cuts.Quality(0.99, 0.5, 0.023, 0.48),     // the symptom: 2.3 % predicted where 48 % are zero
                new Cuts.Quality(0.99, 0.6, 0.80, 0.90),      // fine
                new Cuts.Quality(0.99, 0.9, 0.03, 0.04)), 0.99); // a dense layer: nothing to skip, no warning
        assertEquals(1, w.size(), w.toString());
        assertTrue(w.get(0).startsWith("layer 0: the predictor skips only 2.3% of the neurons while 48.0% are zero"), w.get(0));
        assertTrue(w.get(0).contains("--samples") && w.get(0).contains("--recall"), w.get(0));
    }

    @Test
    void theEstimateCountsTheArithmeticAndTheMemory() {
        ModelConfig c = ModelConfig.read(Fixtures.model("tiny-llama"));   // E 128, I 352, kv 64, 4 layers, V 4096
        PredictorEstimate e = PredictorEstimate.of(c, 1000, 4, 16, 2, Device.cpu(), 2);
        // by hand, per layer: params 128·(256 + 128) + 3·128·352 = 184,320; collect 2·184,320·1000 = 368.64 M;
        // train 2 epochs · 800 rows · 6·16·480 = 73.728 M; 4 layers: 1,769.472 M FLOP; at 30 GFLOP/s: 0.0590 s
        assertEquals(1_769_472_000.0, e.flops(), 1);
        assertEquals(1_769_472_000.0 / 30e9, e.seconds(), 1e-9);
        // host: the pairs (LayerPairs.bytesWhileTraining) + the float32 model (4·184,320 + 2·4096·128 weights)
        assertEquals(LayerPairs.bytesWhileTraining(1000, 128, 352) + (4L * 184_320 + 2L * 4096 * 128) * 4, e.hostBytes());
        assertTrue(e.text().startsWith("Estimate: 4 layers x 1,000 positions"), e.text());
    }

    @Test
    void onAGpuTheEstimateCountsFloat16PairsAtHalfTheBytesOfX() {
        ModelConfig c = ModelConfig.read(Fixtures.model("tiny-llama"));   // E 128, I 352, 4 heads
        PredictorEstimate f32 = PredictorEstimate.of(c, 100_000, 256, 1, 16, 2, 1024, Device.gpu(), 2, PairStore.TENSOR_FLOAT32);
        PredictorEstimate f16 = PredictorEstimate.of(c, 100_000, 256, 1, 16, 2, 1024, Device.gpu(), 2, PairStore.TENSOR_FLOAT16);
        // 80,000 train rows: x float32 80,000·128·4 = 40.96 MB vs float16 20.48 MB (both above the collection's working
        // set of 8 windows of 256 tokens: 8·256·(8·128 + 4·352)·4 + 2·8·4·256²·4 = 36.7 MB, so the pairs decide)
        assertEquals(80_000L * 128 * 2, f32.deviceBytes() - f16.deviceBytes());
        assertTrue(f16.text().contains("x in float16") && f32.text().contains("x in float32"), f16.text());
    }
}
