package dev.prosparse.predict;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.prosparse.Fixtures;
import dev.prosparse.data.TokenStream;
import dev.prosparse.io.CheckpointFiles;
import dev.prosparse.io.HfCheckpoint;
import dev.prosparse.config.Activation;
import dev.prosparse.model.CausalLM;
import dev.prosparse.model.Weights;
import dev.prosparse.util.Torch;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Predictors trained on tiny-llama with ReLU reach their recall target on windows they never saw, measured against
 * the exact masks 1[x1 ≠ 0] of the model's own forward pass (not the collector's pairs), while skipping neurons.
 */
class PredictorTrainingTest {

    /** {@code n} window starts spread evenly over {@code stream}, each with room for {@code seq} + 1 tokens. */
    static long[] evenStarts(TokenStream stream, int seq, int n) {
        long[] starts = new long[n];
        long stride = (stream.length() - seq - 1) / n;
        for (int i = 0; i < n; i++) {
            starts[i] = i * stride;
        }
        return starts;
    }

    @Test
    void recallAndSparsityAgainstExactMasks() {
        Torch.start(2);
        HfCheckpoint ck = HfCheckpoint.open(Fixtures.model("tiny-llama"));
        TokenStream stream = Fixtures.validationTokens(ck);
        int seq = 64, train = 40, calib = 8, test = 8;
        long[] starts = evenStarts(stream, seq, train + calib + test);
        try (NDManager root = NDManager.newBaseManager(); CheckpointFiles files = ck.files();
                Weights w = Weights.load(ck.config(), files, root)) {
            CausalLM lm = new CausalLM(ck.config(), w, Activation.RELU, 0);
            List<LayerPairs> pairs = PairCollector.collect(lm, stream, java.util.Arrays.copyOf(starts, train + calib), seq, 8, root);
            List<Predictor> ps = new ArrayList<>();
            List<Float> cuts = new ArrayList<>();
            for (LayerPairs p : pairs) {
                Predictor pr = PredictorTrainer.train(p.slice(0, train * seq),
                        new PredictorTrainer.Settings(128, 8, 512, 0.01, 0.01, 5), root);
                LayerPairs ca = p.slice(train * seq, (train + calib) * seq);
                cuts.add(Cuts.choose(pr.scores(ca.x(), ca.rows(), root), ca.labels(), 0.97));
                ps.add(pr);
            }
            // the exact masks of unseen windows, from CausalLM.forward (keepX1), and the predictors on the same positions
            long tp = 0, fn = 0, predicted = 0, total = 0;
            for (int i = train + calib; i < starts.length; i++) {
                long[] ids = stream.window(starts[i], seq);
                try (NDManager s = root.newSubManager()) {
                    NDArray in = Torch.fromLongs(s, ids, new Shape(1, seq));
                    List<NDArray> x1 = Torch.noGrad(() -> lm.forward(in, true).x1());
                    CausalLM.Positions pos = lm.positions(in);
                    NDArray h = lm.embed(in);
                    for (int l = 0; l < ps.size(); l++) {
                        NDArray a = lm.attentionBlock(h, l, pos);
                        h = lm.ffnBlock(a, l, null);
                        float[] sc = ps.get(l).scores(a.toFloatArray(), seq, s);
                        float[] ex = x1.get(l).toFloatArray();
                        for (int k = 0; k < ex.length; k++) {
                            boolean on = ex[k] != 0f, pr = sc[k] >= cuts.get(l);
                            tp += on && pr ? 1 : 0;
                            fn += on && !pr ? 1 : 0;
                            predicted += pr ? 1 : 0;
                            total++;
                        }
                    }
                }
            }
            double recall = (double) tp / (tp + fn), predSparsity = 1 - (double) predicted / total;
            assertTrue(recall >= 0.94, "recall on unseen windows " + recall);
            // measured 0.26 here (8 short epochs); an untrained predictor skips ~0 % at this recall
            assertTrue(predSparsity >= 0.20, "predicted sparsity " + predSparsity + " (true ≈ 0.61)");
        }
    }
}
