package dev.prosparse.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.EngineException;
import dev.prosparse.Fixtures;
import dev.prosparse.ProsparseException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Running out of memory while a run sets up is one line with exit 5, not an internal error. */
class TrainingPlanTest {
    @Test
    void outOfMemoryAtSetupIsExitFive() {
        Path tiny = Fixtures.model("tiny-llama");
        Recipe r = Recipe.load(null, List.of("model=" + tiny));
        ProsparseException e = TrainingPlan.outOfMemoryAtSetup(new EngineException(
                "CUDA out of memory. Tried to allocate 1.95 GiB. GPU 0 has a total capacity of 79.19 GiB"), r, tiny, Device.cpu());
        assertEquals(5, e.exitCode());
        assertTrue(e.getMessage().startsWith("out of host memory while setting up the run"), e.getMessage());
        assertTrue(e.getMessage().contains("bytes per parameter"), e.getMessage());
        ProsparseException heap = TrainingPlan.outOfMemoryAtSetup(new OutOfMemoryError("Java heap space"), r, tiny, Device.cpu());
        assertTrue(heap.getMessage().contains("PROSPARSE_JAVA_OPTS=-Xmx"), heap.getMessage());
        assertNull(TrainingPlan.outOfMemoryAtSetup(new EngineException("shape mismatch"), r, tiny, Device.cpu()));
    }
}
