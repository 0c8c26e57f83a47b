package dev.prosparse.calibrate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.Test;

/** calibrate's decision, driven by synthetic probe results (no training): when the probes give no λ_S, and how far a fit is trusted. */
class FitVerdictTest {

    static final List<Double> GRID = List.of(1.0, 2.0, 4.0, 8.0, 16.0);
    static final Calibrator.Plan PLAN = new Calibrator.Plan(GRID, List.of(2), 10, 1, 1, 8, 1, 2);

    /** Probes at GRID with the middle one held out, their sparsity from {@code law}. */
    static Calibrator.Result probes(DoubleUnaryOperator law) {
        List<Calibrator.Probe> p = new ArrayList<>();
        for (int i = 0; i < GRID.size(); i++) {
            p.add(new Calibrator.Probe(GRID.get(i), i == 2, law.applyAsDouble(GRID.get(i)), 100));
        }
        return Calibrator.fit(p);
    }

    /** density 0.42·(λ/0.6)^−0.8, so λ for sparsity s is 0.6·(0.42/(1 − s))^1.25. */
    static double power(double lambda) {
        return 1 - 0.42 * Math.pow(lambda / 0.6, -0.8);
    }

    @Test
    void flatProbesAreRefusedWithWhatToChange() {
        // the short probes: 59.97–60.05 % whatever λ_S, which fitted to "0.00 points" and λ_S 3918 for 80 %
        double[] flat = {0.6003, 0.5997, 0.6005, 0.6001, 0.5999};
        Calibrator.Result r = probes(l -> flat[GRID.indexOf(l)]);
        FitVerdict v = FitVerdict.judge(r, List.of(0.8, 0.9), PLAN);
        assertNotNull(v.refusal());
        assertTrue(v.refusal().startsWith("sparsity does not respond to λ: the 5 probes measured 59.97%–60.05% across λ_S"
                + " 1–16, a spread of 0.08 points (at least 2 needed)"), v.refusal());
        assertTrue(v.refusal().contains("--probe-steps, now 10") && v.refusal().contains("--lambdas, now 1,2,4,8,16"), v.refusal());
        assertFalse(v.anyRecipe());
        assertEquals(2, v.missing().size());
    }

    @Test
    void aFitThatFallsWithLambdaIsRefused() {
        // 6 points of spread, but sparsity falling as λ rises: noise, not a response
        Calibrator.Result r = probes(l -> 0.66 - 0.015 * Math.log(l) / Math.log(2));
        FitVerdict v = FitVerdict.judge(r, List.of(0.9), PLAN);
        assertNotNull(v.refusal());
        assertTrue(v.refusal().contains(" falls by "), v.refusal());
    }

    @Test
    void extrapolationIsBoundedToOneAndAHalfTimesTheProbedRange() {
        Calibrator.Result r = probes(FitVerdictTest::power);
        assertSame(r.power(), r.chosen(), "power-law data: the power law predicts the held-out probe exactly");
        // probed λ_S 1–16, so recipes may use 1/1.5 to 24
        FitVerdict v = FitVerdict.judge(r, List.of(0.975, 0.98, 0.70, 0.60), PLAN);
        assertNull(v.refusal());
        List<FitVerdict.TargetLambda> t = v.targets();
        // 97.5 %: 0.6·16.8^1.25 = 20.4, within 24
        assertEquals(0.6 * Math.pow(0.42 / 0.025, 1.25), t.get(0).lambda(), 1e-6);
        assertTrue(t.get(0).ok());
        // 98 %: 0.6·21^1.25 = 27.0 > 24
        assertFalse(t.get(1).ok());
        assertTrue(t.get(1).why().startsWith("the fit puts 98.00% at λ_S 26.9"), t.get(1).why());
        assertTrue(t.get(1).why().contains("--lambdas 1,2,4,8,16,27,54"), t.get(1).why());
        // 70 %: 0.6·1.4^1.25 = 0.914, above 1/1.5
        assertEquals(0.6 * Math.pow(1.4, 1.25), t.get(2).lambda(), 1e-6);
        // 60 %: 0.6·1.05^1.25 = 0.638 < 0.667
        assertFalse(t.get(3).ok());
        assertTrue(t.get(3).why().contains("below a 1/1.5 of the smallest probe λ_S 1"), t.get(3).why());
        assertTrue(v.anyRecipe());
        assertEquals(2, v.missing().size());
    }

    @Test
    void nearlyFullSparsityAndTargetsTheLawNeverReachesGetNoRecipe() {
        // the issue's --targets 0.999999, which printed λ_S = 55092
        FitVerdict v = FitVerdict.judge(probes(FitVerdictTest::power), List.of(0.999999), PLAN);
        assertFalse(v.anyRecipe());
        assertTrue(Double.isNaN(v.targets().get(0).lambda()));
        // the paper's LLaMA2-7B law, 100 − exp(−1.76·λ^0.3 + 3.49), is 100 − e^3.49 = 67.2 % at λ = 0: no λ gives 1 %
        List<Calibrator.Probe> p = new ArrayList<>();
        double[] lams = {0.005, 0.01, 0.02, 0.05, 0.1, 0.2};
        for (int i = 0; i < lams.length; i++) {
            p.add(new Calibrator.Probe(lams[i], i == 3, (100 - Math.exp(-1.76 * Math.pow(lams[i], 0.30) + 3.49)) / 100, 100));
        }
        Calibrator.Result r = Calibrator.fit(p);
        assertSame(r.paper(), r.chosen());
        Calibrator.Plan plan = new Calibrator.Plan(List.of(0.005, 0.01, 0.02, 0.05, 0.1, 0.2), List.of(3), 10, 1, 1, 8, 1, 2);
        FitVerdict w = FitVerdict.judge(r, List.of(0.01, 0.85), plan);
        assertNull(w.refusal());
        assertTrue(w.targets().get(0).why().startsWith("the fit (sparsity% = 100 − exp("), w.targets().get(0).why());
        assertTrue(w.targets().get(0).why().contains(") never reaches 1.00%"), w.targets().get(0).why());
        assertTrue(w.targets().get(1).ok(), "85 % lies inside the probes: " + w.targets().get(1));
    }
}
