package dev.prosparse.util;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class RelativeErrorTest {
    @Test
    void handWorkedValues() {
        // ‖(1,2) − (1,1)‖ / ‖(1,1)‖ = 1 / √2
        assertEquals(1 / Math.sqrt(2), RelativeError.of(new float[] {1, 2}, new float[] {1, 1}), 1e-15);
        // ‖(0,0) − (3,4)‖ / ‖(3,4)‖ = 1
        assertEquals(1.0, RelativeError.of(new float[] {0, 0}, new float[] {3, 4}), 1e-15);
        assertEquals(0.0, RelativeError.of(new float[] {3, 4}, new float[] {3, 4}));
        assertThrows(IllegalArgumentException.class, () -> RelativeError.of(new float[1], new float[2]));
    }
}
