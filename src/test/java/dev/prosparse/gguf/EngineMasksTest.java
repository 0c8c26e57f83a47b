package dev.prosparse.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import dev.prosparse.TorchTest;
import dev.prosparse.util.Torch;
import org.junit.jupiter.api.Test;

/** The engine's F16 rounding of the predictor's inputs and the count of decisions near the threshold, by hand. */
class EngineMasksTest extends TorchTest {

    @Test
    void inputsAreRoundedToF16NearestEven() {
        float ulp = (float) Math.pow(2, -10);   // F16 spacing in [1, 2)
        NDArray a = Torch.fromFloats(base, new float[] {1 + ulp / 2, 1 + 3 * ulp / 2, 1 + ulp / 4, 65504f, 3e-8f}, new Shape(5));
        // ties go to even: 1 + ulp/2 → 1, 1 + 3·ulp/2 → 1 + 2·ulp; 3e-8 → the nearest subnormal multiple of 2^-24 (5.96e-8) or 0
        assertArrayEquals(new float[] {1f, 1 + 2 * ulp, 1f, 65504f, (float) Math.pow(2, -24)}, EngineMasks.f16(a).toFloatArray());
    }

    @Test
    void masksAndBorderlineDecisions() {
        // E = 1, r = 1, I = 3: h = relu(1 · x); scores = fc2 · h with fc2 = [1, -1, 1.001]; τ = 1
        NDArray fc1 = Torch.fromFloats(base, new float[] {1f}, new Shape(1, 1));
        NDArray fc2 = Torch.fromFloats(base, new float[] {1f, -1f, 1.001f}, new Shape(3, 1));
        NDArray x = Torch.fromFloats(base, new float[] {1.0002f, 2f}, new Shape(1, 2, 1));
        EngineMasks m = new EngineMasks();
        float[] mask = m.mask(x, fc1, fc2, 1f).toFloatArray();
        // x = 1.0002 rounds to 1 in F16: scores [1, -1, 1.001] → [1, 0, 1]; x = 2: [2, -2, 2.002] → [1, 0, 1]
        assertArrayEquals(new float[] {1, 0, 1, 1, 0, 1}, mask);
        assertEquals(6, m.decisions);
        // within 2^-9 · |score| of τ = 1: scores 1 and 1.001 of the first position (|1.001 − 1| = 0.001 < 0.00195)
        assertEquals(2, m.borderline);
    }
}
