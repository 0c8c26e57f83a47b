package dev.prosparse.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prosparse.ProsparseException;
import dev.prosparse.optim.Offload;
import dev.prosparse.optim.StepKernel;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** optimizer.offload, optimizer.kernel and phase_timing: defaults for recipes without them, bad values refused. */
class RecipeOptimizerKeysTest {
    private static final Path DEMO = Path.of("configs/train/demo.yaml");

    @Test
    void recipesWithoutTheKeysGetTheDefaults() {
        Recipe r = Recipe.load(DEMO, List.of());
        assertEquals(Offload.NONE, r.optimizer().offload());
        assertEquals(StepKernel.AUTO, r.optimizer().kernel());
        assertFalse(r.phaseTiming());
        assertTrue(r.toYaml().contains("offload: none"), r.toYaml());
    }

    @Test
    void keysAreSetAndRoundTrip() {
        Recipe r = Recipe.load(DEMO, List.of("optimizer.offload=cpu", "optimizer.kernel=per-tensor", "phase_timing=true"));
        assertEquals(Offload.CPU, r.optimizer().offload());
        assertEquals(StepKernel.PER_TENSOR, r.optimizer().kernel());
        assertTrue(r.phaseTiming());
        assertTrue(Offload.CPU.toHost());
        assertFalse(StepKernel.AUTO.fused(false, false), "auto: per-tensor on a CPU");
        assertTrue(StepKernel.AUTO.fused(true, false), "auto: fused on a GPU");
        assertTrue(StepKernel.AUTO.fused(false, true), "auto: fused under offload");
        assertFalse(StepKernel.PER_TENSOR.fused(true, true));
    }

    @Test
    void badValuesNameTheKeyAndTheChoices() {
        ProsparseException e = assertThrows(ProsparseException.class,
                () -> Recipe.load(DEMO, List.of("optimizer.offload=gpu")));
        assertEquals(ProsparseException.Kind.USAGE, e.kind());
        assertTrue(e.getMessage().contains("optimizer.offload") && e.getMessage().contains("none, cpu"), e.getMessage());
        e = assertThrows(ProsparseException.class, () -> Recipe.load(DEMO, List.of("optimizer.kernel=fast")));
        assertTrue(e.getMessage().contains("optimizer.kernel") && e.getMessage().contains("auto, fused, per-tensor"),
                e.getMessage());
    }
}
