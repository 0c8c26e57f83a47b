package dev.prosparse.predict;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prosparse.Fixtures;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The timing-run summary: collect and train minutes per layer after the first, the extrapolation, estimate vs taken. */
class PredictorOutputTest {

    @Test
    void timingSummaryByHand() {
        PredictorRun.Request q = new PredictorRun.Request(Fixtures.model("tiny-llama"), null, false, 16, null, 3072, 0.99, 5,
                1024, 0.01, 1024, null, 1, 2, 0, null, 3, "float16");
        PredictorEstimate est = new PredictorEstimate(3072, 3, 1e12, 30, 1L << 30, 3L << 30, true, PairStore.TENSOR_FLOAT16);
        PredictorRun.Result r = new PredictorRun.Result(q, List.of(), Float.NaN, Double.NaN, Double.NaN, Double.NaN, 2048, 512,
                512, null, new double[] {10, 6, 8}, new double[] {20, 12, 14}, 5L << 30, 2L << 30, est, PairStore.TENSOR_FLOAT16);
        String t = PredictorOutput.timing(r);
        // after the first layer: collect (6 + 8)/2 = 7 s = 0.1167 min, train (12 + 14)/2 = 13 s = 0.2167 min, 20 s = 0.33 min;
        // tiny-llama has 4 layers: 30 + 3 · 20 = 90 s = 1.5 min; the three layers took 70 s = 1.2 min against 30 s = 0.5 min
        assertTrue(t.contains("layer 1: collect 6.0 s + train 12.0 s = 18.0 s"), t);
        assertTrue(t.contains("0.33 min per layer (collect 0.12 + train 0.22) (layers after the first)"), t);
        assertTrue(t.contains("extrapolated to all 4 layers: 1.5 min"), t);
        assertTrue(t.contains("estimate before the work: 0.5 min for these 3 layers, GPU 3.00 GiB, host 1.00 GiB; took 1.2 min"), t);
        assertTrue(t.contains("peak GPU memory in use (sampled): 5.00 GiB"), t);
        assertTrue(t.contains("peak host memory of this process (VmHWM): 2.00 GiB"), t);
        assertTrue(t.contains("pairs tensors, x float16"), t);
    }
}
