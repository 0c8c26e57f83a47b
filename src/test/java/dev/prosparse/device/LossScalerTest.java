package dev.prosparse.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prosparse.util.Json;
import org.junit.jupiter.api.Test;

/** Dynamic loss scaling as GradScaler does it (hand-computed sequences). */
class LossScalerTest {

    @Test
    void halvesAndSkipsOnOverflowGrowsAfterTheIntervalOfCleanSteps() {
        LossScaler s = new LossScaler(1024, 3);
        assertTrue(s.update(true));
        assertTrue(s.update(true));
        assertEquals(1024, s.scale());
        assertTrue(s.update(true));                 // third clean step in a row: doubles
        assertEquals(2048, s.scale());
        assertFalse(s.update(false));               // overflow: skip, halve, count
        assertEquals(1024, s.scale());
        assertEquals(1, s.skipped());
        assertTrue(s.update(true));
        assertTrue(s.update(true));
        assertFalse(s.update(false));               // the clean run restarts after an overflow
        assertTrue(s.update(true));
        assertTrue(s.update(true));
        assertEquals(512, s.scale());
        assertEquals(2, s.skipped());
    }

    @Test
    void belowOneIsDivergence() {
        LossScaler s = new LossScaler(4, 2000);
        s.update(false);
        s.update(false);
        assertFalse(s.diverged());                  // 1.0
        s.update(false);
        assertTrue(s.diverged());                   // 0.5
        assertEquals(3, s.skipped());
    }

    @Test
    void stateRoundTripsThroughTrainerState() {
        LossScaler s = new LossScaler(65536, 2000);
        s.update(false);
        s.update(true);
        ObjectNode state = Json.MAPPER.createObjectNode();
        s.saveState(state);
        LossScaler r = new LossScaler();
        r.restoreState(state);
        assertEquals(32768, r.scale());
        assertEquals(1, r.skipped());
        for (int i = 0; i < 1998; i++) {
            r.update(true);
        }
        assertEquals(32768, r.scale());             // 1 + 1998 clean steps: one short of the interval
        r.update(true);
        assertEquals(65536, r.scale());
    }
}
