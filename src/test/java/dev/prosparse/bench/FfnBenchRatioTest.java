package dev.prosparse.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** bench ffn's cpu-speedup column shows "-" where a CPU time was not measured, never NaNx, Infinityx or 0.00x. */
class FfnBenchRatioTest {
    @Test
    void unmeasuredTimesShowADash() {
        assertEquals("2.00x", FfnBenchOutput.ratio(3.0, 1.5));
        assertEquals("-", FfnBenchOutput.ratio(Double.NaN, 1.0));
        assertEquals("-", FfnBenchOutput.ratio(1.0, Double.NaN));
        assertEquals("-", FfnBenchOutput.ratio(1.0, 0.0));
        assertEquals("-", FfnBenchOutput.ratio(0.0, 1.0));
    }
}
