package dev.prosparse.sparsity;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prosparse.Fixtures;
import dev.prosparse.TorchTestBase;
import dev.prosparse.config.ModelConfig;
import dev.prosparse.data.EvalWindows;
import dev.prosparse.data.TokenStream;
import dev.prosparse.io.CheckpointFiles;
import dev.prosparse.io.HfCheckpoint;
import dev.prosparse.config.Activation;
import dev.prosparse.model.CausalLM;
import dev.prosparse.model.Weights;
import dev.prosparse.util.Torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Training-free thresholds on SiLU and ReLU tiny models: the recomputed FFN, the quantiles, the budget search. */
class TrainingFreeTest extends TorchTestBase {

    @Test
    void quantileThresholdsByHand() {
        float[][] sorted = {{0f, 0f, 1f, 2f, 3f, 4f, 5f, 6f, 7f, 8f}, {10f, 20f, 30f, 40f}};
        assertArrayEquals(new double[] {0, 10}, TrainingFree.thresholds(sorted, 0.0));
        // floor(0.5·10) = 5 → sorted[5] = 4 (5 of 10 values lie below it); floor(0.5·4) = 2 → 30
        assertArrayEquals(new double[] {4, 30}, TrainingFree.thresholds(sorted, 0.5));
        assertArrayEquals(new double[] {8, 40}, TrainingFree.thresholds(sorted, 0.999));
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"tiny-llama, silu", "tiny-minicpm, relu"})
    void budgetSearchOnTheSameWindowsItCalibratesOn(String name, String actName) {
        HfCheckpoint ckpt = HfCheckpoint.open(Fixtures.model(name));
        ModelConfig config = ckpt.config();
        Activation act = Activation.parse(actName, "test");
        TokenStream stream = Fixtures.validationTokens(ckpt);
        EvalWindows windows = EvalWindows.over(stream, 6, 48, "embedded:valid");
        try (CheckpointFiles files = ckpt.files(); Weights w = Weights.load(config, files, base)) {
            CausalLM model = new CausalLM(config, w, act, 0);
            SparsityResult plain = Torch.noGrad(() -> SparsityEvaluator.evaluate(model, base, stream, windows, 4, null));
            TrainingFree tf = new TrainingFree(model, base, stream, windows, 4);
            // thresholds of 0 zero nothing: the recomputed FFN gives the model's own numbers
            SparsityResult same = Torch.noGrad(() -> tf.evaluate(TrainingFree.Method.X1, new double[config.numHiddenLayers()]));
            assertEquals(plain.loss(), same.loss(), 1e-6 * plain.loss());
            assertArrayEquals(plain.layerZeros(), same.layerZeros());
            for (TrainingFree.Method m : TrainingFree.Method.values()) {
                TrainingFree.Found f = Torch.noGrad(() -> tf.search(m, 0.01, plain, 16));
                assertTrue(f.result().perplexity() <= 1.01 * plain.perplexity(), m + " within budget: " + f.result().perplexity()
                        + " vs " + plain.perplexity());
                assertTrue(f.result().zeroFraction() > plain.zeroFraction() + 0.05, m + " adds zeros: " + f.result().zeroFraction());
                if (m == TrainingFree.Method.X1) {
                    // the quantiles come from these very windows: each layer's zero fraction is the level (± sampling),
                    // or the layer's own zero fraction where ReLU already zeroes more
                    for (int l = 0; l < config.numHiddenLayers(); l++) {
                        assertEquals(Math.max(f.level(), plain.zeroFraction(l)), f.result().zeroFraction(l), 0.01, "layer " + l);
                    }
                }
            }
        }
    }
}
