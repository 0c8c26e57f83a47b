package dev.prosparse.calibrate;

import dev.prosparse.train.Stage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The fits recover the parameters that generated the points (the paper's LLaMA2-7B law; a power law). */
class LambdaFitTest {
    /** prosparse-tiny.yaml's stage table. */
    static final List<Stage> PROSPARSE_TINY = List.of(
            new Stage("relu-swap", 360, 0.0, Stage.Ramp.CONSTANT), new Stage("l1-warmup", 72, 0.5, Stage.Ramp.CONSTANT),
            new Stage("ramp-1", 288, 5.0, Stage.Ramp.SINE), new Stage("hold-1", 144, 5.0, Stage.Ramp.CONSTANT),
            new Stage("ramp-2", 288, 20.0, Stage.Ramp.SINE), new Stage("hold-2", 48, 20.0, Stage.Ramp.CONSTANT));

    /** The ProSparse paper's fit for LLaMA2-7B: sparsity % = 100 − exp(−1.76·λ^0.30 + 3.49). */
    static double paper7b(double lambda) {
        return (100 - Math.exp(-1.76 * Math.pow(lambda, 0.30) + 3.49)) / 100;
    }

    @Test
    void paperLawRecoversThePapersParameters() {
        List<LambdaFit.Point> pts = new ArrayList<>();
        for (double l : new double[] {0.005, 0.01, 0.02, 0.05, 0.1, 0.2}) {
            pts.add(new LambdaFit.Point(l, paper7b(l)));
        }
        LambdaFit f = LambdaFit.fit(LambdaFit.Law.PAPER, pts);
        assertEquals(0.30, f.b(), 0.01);            // the b grid has steps of ~1.4 %
        assertEquals(-1.76, f.a(), 0.06);
        assertEquals(3.49, f.c(), 0.03);
        assertTrue(f.rmsPoints() < 0.05, "rms " + f.rmsPoints());
        // and the inverse: 89 % sparsity (the paper's 7B result) at λ = ((ln 11 − 3.49)/−1.76)^(1/0.3)
        double expect = Math.pow((Math.log(11) - 3.49) / -1.76, 1 / 0.30);
        assertEquals(expect, f.lambdaFor(0.89), expect * 0.03);
        assertEquals(0.89, f.sparsity(f.lambdaFor(0.89)), 1e-9);
    }

    @Test
    void powerLawIsExactOnPowerLawData() {
        // density 0.42·(λ/0.6)^−0.8 (what the controller test's plant settles at)
        List<LambdaFit.Point> pts = new ArrayList<>();
        for (double l : new double[] {1, 2, 4, 8, 16, 32}) {
            pts.add(new LambdaFit.Point(l, 1 - 0.42 * Math.pow(l / 0.6, -0.8)));
        }
        LambdaFit f = LambdaFit.fit(LambdaFit.Law.POWER, pts);
        assertEquals(-0.8, f.b(), 1e-9);
        assertEquals(Math.log(0.42 * Math.pow(0.6, 0.8)), f.a(), 1e-9);
        // 90 %: 0.1 = 0.42·(λ/0.6)^−0.8 → λ = 0.6·4.2^(1/0.8)
        assertEquals(0.6 * Math.pow(4.2, 1 / 0.8), f.lambdaFor(0.9), 1e-6);
    }

    @Test
    void heldOutProbesChooseTheLaw() {
        // data from the power law: the power fit predicts the held-out probes exactly, so it is chosen
        List<Calibrator.Probe> probes = new ArrayList<>();
        double[] lams = {0.5, 1, 2, 4, 8, 16, 32};
        for (int i = 0; i < lams.length; i++) {
            probes.add(new Calibrator.Probe(lams[i], i % 2 == 1, 1 - 0.42 * Math.pow(lams[i] / 0.6, -0.8), 90));
        }
        Calibrator.Result r = Calibrator.fit(probes);
        assertSame(r.power(), r.chosen());
        assertTrue(r.powerHeldOut() < 1e-6, "held-out error " + r.powerHeldOut());
        assertTrue(r.paperHeldOut() >= r.powerHeldOut());
    }

    @Test
    void compressedTableKeepsShapeAndLength() {
        List<Stage> c = Calibrator.compress(PROSPARSE_TINY, 240);
        assertEquals(List.of(72, 14, 58, 29, 58, 9), c.stream().map(Stage::steps).toList());
        assertEquals("[{name: a, steps: 72, l1_lambda: 0, ramp: constant}, {name: b, steps: 14, l1_lambda: 2.5, ramp: sine}]",
                Calibrator.stagesYaml(List.of(new Stage("a", 72, 0, Stage.Ramp.CONSTANT), new Stage("b", 14, 10, Stage.Ramp.SINE)), 2.5));
    }
}
