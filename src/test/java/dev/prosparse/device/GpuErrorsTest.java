package dev.prosparse.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import dev.prosparse.ProsparseException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The out-of-memory line advises only the knobs that are not already at their lighter setting. */
class GpuErrorsTest {

    @Test
    void everythingAlreadySetLeavesOnlySeqLen() {
        // the 3.4B report's case: fp16-mixed, recompute, offload on, batch 1: neither of the three may be advised again
        GpuErrors.Knobs k = new GpuErrors.Knobs(1, 4096, Precision.FP16_MIXED, true, true);
        assertEquals(List.of("lower seq_len"), k.advice(true));
    }

    @Test
    void fp16MixedAndRecomputeSetStillAdviseOffloadOnAGpu() {
        List<String> a = new GpuErrors.Knobs(4, 1024, Precision.FP16_MIXED, true, false).advice(true);
        assertEquals(3, a.size(), a.toString());
        assertTrue(a.get(0).startsWith("lower batch_size"), a.toString());
        assertEquals("lower seq_len", a.get(1));
        assertTrue(a.get(2).startsWith("set optimizer.offload: cpu"), a.toString());
        assertFalse(a.toString().contains("activation_checkpointing") || a.toString().contains("fp16-mixed"), a.toString());
    }

    @Test
    void fp32WithoutRecomputeAdvisesAllOnAGpuButNotTheGpuOnlyKnobsOnTheCpu() {
        GpuErrors.Knobs k = new GpuErrors.Knobs(8, 256, Precision.FP32, false, false);
        assertEquals(5, k.advice(true).size(), k.advice(true).toString());
        assertEquals(List.of("lower batch_size (raise grad_accum to keep the tokens per step)", "lower seq_len",
                "set activation_checkpointing: true"), k.advice(false));
    }

    @Test
    void theLineNamesThePlanAndTheResume() {
        Path run = Path.of("runs", "r1");
        RuntimeException e = GpuErrors.outOfMemory(new RuntimeException("CUDA out of memory. Tried to allocate 2.00 GiB"), 3,
                Device.cpu(), -1, new GpuErrors.Knobs(2, 512, Precision.FP32, true, false), run, "step 2");
        ProsparseException p = (ProsparseException) e;
        assertEquals(5, p.exitCode());
        String m = p.getMessage();
        assertTrue(m.startsWith("out of device memory at step 3 (memory full; batch_size 2 × seq_len 512"), m);
        assertTrue(m.contains("activation_checkpointing true, optimizer.offload none"), m);
        assertFalse(m.contains("set activation_checkpointing"), m);
        assertTrue(m.contains("lower batch_size"), m);
        assertTrue(m.contains("'prosparse train --resume " + run + " --plan'"), m);
        assertTrue(m.endsWith("continue with --resume " + run), m);
        RuntimeException other = new RuntimeException("shape mismatch");
        assertSame(other, GpuErrors.outOfMemory(other, 3, Device.cpu(), -1, new GpuErrors.Knobs(2, 512, Precision.FP32, true, false),
                run, "step 2"));
    }
}
