package dev.prosparse.calibrate;

import dev.prosparse.train.Recipe;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.prosparse.Fixtures;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The probe defaults of {@code calibrate}, against the shipped recipes read by eye (steps summed, λ_S multiplied by hand). */
class ProbeDefaultsTest {

    static Recipe recipe(String name) {
        return Recipe.load(Fixtures.repo().resolve("configs/train/" + name), List.of());
    }

    @Test
    void prosparseTinyGivesTheProbesThatTransferredOnTheGpu() {
        Recipe r = recipe("prosparse-tiny.yaml");
        // stages 360 + 72 + 288 + 144 + 288 + 48 = 1,200 steps; half is 600; λ_S = 20
        assertEquals(600, ProbeDefaults.steps(r));
        assertEquals(List.of(2.0, 5.0, 10.0, 20.0, 40.0), ProbeDefaults.lambdas(r));
        assertEquals(List.of(2), ProbeDefaults.heldOut(5));
    }

    @Test
    void otherRecipesScaleTheirOwnLambdaAndLength() {
        // demo: 90 + 18 + 72 + 36 + 72 + 12 = 300 steps, λ_S = 10
        assertEquals(150, ProbeDefaults.steps(recipe("demo.yaml")));
        assertEquals(List.of(1.0, 2.5, 5.0, 10.0, 20.0), ProbeDefaults.lambdas(recipe("demo.yaml")));
        // llama2-7b: 5,000 + 1,000 + 4,000 + 2,000 + 4,000 + 500 = 16,500 steps, λ_S = 0.2
        assertEquals(8250, ProbeDefaults.steps(recipe("llama2-7b.yaml")));
        assertEquals(List.of(0.02, 0.05, 0.1, 0.2, 0.4), ProbeDefaults.lambdas(recipe("llama2-7b.yaml")));
    }

    @Test
    void theMiddleProbeIsHeldOutWhileThreeRemainForTheFit() {
        assertEquals(List.of(3), ProbeDefaults.heldOut(7));
        assertEquals(List.of(2), ProbeDefaults.heldOut(4));
        assertEquals(List.of(), ProbeDefaults.heldOut(3));
    }
}
