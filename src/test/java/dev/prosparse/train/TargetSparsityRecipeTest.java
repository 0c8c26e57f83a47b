package dev.prosparse.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prosparse.Fixtures;
import dev.prosparse.ProsparseException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The recipe key l1: optional, defaults filled in, bad values and contradicting stage tables refused in one line. */
class TargetSparsityRecipeTest {
    static final Path TINY = Fixtures.repo().resolve("configs/train/prosparse-tiny.yaml");
    static final Path FIXED = Fixtures.repo().resolve("configs/train/fixed-l1-tiny.yaml");

    static ProsparseException refused(Path recipe, String... sets) {
        ProsparseException e = assertThrows(ProsparseException.class, () -> Recipe.load(recipe, List.of(sets)));
        assertEquals(ProsparseException.Kind.USAGE, e.kind());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        return e;
    }

    @Test
    void optionalAndDefaulted() {
        assertNull(Recipe.load(TINY, List.of()).l1(), "shipped recipes have no target");
        L1Control c = Recipe.load(TINY, List.of("l1.target_sparsity=0.85", "l1.ki=0.05")).l1();
        assertEquals(0.85, c.targetSparsity());
        assertEquals(0.05, c.ki());
        assertEquals(L1Control.DEFAULTS.get("kp"), c.kp());
        assertEquals(L1Control.DEFAULTS.get("lookahead"), c.lookahead());
        assertEquals(c, Recipe.load(FIXED, List.of("l1.target_sparsity=0.85", "l1.ki=0.05")).l1());
    }

    @Test
    void targetOutsideTheOpenUnitInterval() {
        for (String t : List.of("0", "1", "1.5", "-0.2", "90")) {
            assertTrue(refused(TINY, "l1.target_sparsity=" + t).getMessage().contains("'l1.target_sparsity' must be in (0, 1)"));
        }
        assertTrue(refused(TINY, "l1.lambda_init=0.5").getMessage().contains("l1.target_sparsity"), "the target is required");
        assertTrue(refused(TINY, "l1.target_sparsity=0.9", "l1.lambda_max=0.5").getMessage().contains("'l1.lambda_init'"));
        assertTrue(refused(TINY, "l1.target_sparsity=0.9", "l1.foo=1").getMessage().contains("unknown key 'l1.foo'"));
    }

    @Test
    void contradictingStageTables() {
        String why = refused(TINY, "l1.target_sparsity=0.9", "stages.1.l1_lambda=1").getMessage();
        assertTrue(why.contains("contradicts 'stages'") && why.contains("stage 1 (relu-swap) has l1_lambda 1"), why);
        why = refused(FIXED, "l1.target_sparsity=0.9", "stages.2.l1_lambda=0").getMessage();
        assertTrue(why.contains("no L1 at the end"), why);
        why = refused(TINY, "l1.target_sparsity=0.9", "stages.6.l1_lambda=10").getMessage();
        assertTrue(why.contains("last stage's l1_lambda 10 is below the table's largest 20"), why);
        why = refused(FIXED, "l1.target_sparsity=0.9", "stages=[{name: a, steps: 10, l1_lambda: 0, ramp: constant}]").getMessage();
        assertTrue(why.contains("one stage"), why);
        // --stages 1 cuts the table to stage 0 alone
        Recipe r = Recipe.load(TINY, List.of("l1.target_sparsity=0.9"));
        ProsparseException e = assertThrows(ProsparseException.class, () -> r.firstStages(1));
        assertTrue(e.getMessage().contains("--stages 1") && e.getMessage().contains("one stage"), e.getMessage());
        assertEquals(3, r.firstStages(3).stages().size(), "ramp-1 ends the cut table at its largest λ: fine");
    }
}
