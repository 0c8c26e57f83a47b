package dev.prosparse.util;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** The one peak-memory reader (convert's result, report's log line, predictors' timing). The build and CI run on Linux. */
class PeakRssTest {

    @Test
    void peakCoversMemoryThisProcessHasTouched() {
        byte[] block = new byte[64 << 20];
        for (int i = 0; i < block.length; i += 4096) {
            block[i] = 1;                                   // every page resident at least once
        }
        OptionalLong peak = PeakRss.bytes();
        assertTrue(peak.isPresent(), "VmHWM is readable on Linux");
        assertTrue(peak.getAsLong() >= block.length, "peak " + peak.getAsLong() + " < the 64 MiB just touched");
        assertTrue(peak.getAsLong() < Runtime.getRuntime().maxMemory() + (8L << 30), "a figure in bytes, not pages");
        java.lang.ref.Reference.reachabilityFence(block); // the block stays resident until the peak was read
    }

    @Test
    void theStatusLineIsReadInKibibytes() {
        assertEquals(123_456L * 1024, PeakRss.parseKib("VmHWM:\t  123456 kB"));
    }
}
