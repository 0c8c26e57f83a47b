package dev.prosparse.util;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.prosparse.optim.Offload;
import dev.prosparse.optim.StepKernel;
import org.junit.jupiter.api.Test;

class ClosedNamesTest {
    @Test
    void namesAreTrimmedAndReadInAnyCase() {
        assertEquals(StepKernel.PER_TENSOR, StepKernel.parse("  Per-Tensor "));
        assertEquals(Offload.CPU, Offload.parse("CPU"));
    }

    @Test
    void anUnknownNameIsRefusedWithEveryValidName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> StepKernel.parse("fast"));
        assertEquals("must be auto, fused or per-tensor, got 'fast'", e.getMessage());
        IllegalArgumentException n = assertThrows(IllegalArgumentException.class, () -> Offload.parse(null));
        assertEquals("must be none or cpu, got 'null'", n.getMessage());
    }
}
