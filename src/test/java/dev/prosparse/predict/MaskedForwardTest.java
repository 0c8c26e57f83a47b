package dev.prosparse.predict;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import dev.prosparse.Fixtures;
import dev.prosparse.data.EvalWindows;
import dev.prosparse.data.TokenStream;
import dev.prosparse.io.CheckpointFiles;
import dev.prosparse.io.HfCheckpoint;
import dev.prosparse.io.SafetensorsFile;
import dev.prosparse.config.Activation;
import dev.prosparse.model.CausalLM;
import dev.prosparse.model.Weights;
import dev.prosparse.util.Json;
import dev.prosparse.util.Torch;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The masked-FFN forward against transformers' loss (fixtures golden: tiny-llama with ReLU on two windows of 32
 * tokens): an all-true mask gives the dense loss; an all-false mask changes it.
 */
class MaskedForwardTest {

    @Test
    void allTrueMaskIsTheDenseModel() throws Exception {
        Torch.start(1);
        JsonNode g = Json.MAPPER.readTree(Fixtures.golden("tiny-llama.json").toFile());
        double golden = g.get("acts").get("relu").get("loss").asDouble();
        long[] ids;
        try (SafetensorsFile f = SafetensorsFile.open(Fixtures.golden("tiny-llama.safetensors"))) {
            ids = f.readInt64("input_ids");                 // [2, 32]
        }
        int[] toks = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            toks[i] = (int) ids[i];
        }
        TokenStream stream = new TokenStream(toks, 2);
        EvalWindows windows = new EvalWindows(2, 31, 32);     // windows at 0 and 32: exactly the golden rows
        HfCheckpoint ck = HfCheckpoint.open(Fixtures.model("tiny-llama"));
        try (NDManager root = NDManager.newBaseManager(); CheckpointFiles files = ck.files();
                Weights w = Weights.load(ck.config(), files, root)) {
            CausalLM lm = new CausalLM(ck.config(), w, Activation.RELU, 0);
            int layers = ck.config().numHiddenLayers(), e = ck.config().hiddenSize(), n = ck.config().intermediateSize();
            List<Predictor> zero = new ArrayList<>();
            for (int l = 0; l < layers; l++) {
                zero.add(new Predictor(4, e, n, new float[4 * e], new float[n * 4])); // scores are all 0
            }
            MaskedForward.Result dense = MaskedForward.evaluate(lm, stream, windows, 2, null, 0f, root);
            MaskedForward.Result allTrue = MaskedForward.evaluate(lm, stream, windows, 2, zero, -1f, root);  // 0 ≥ −1
            MaskedForward.Result allFalse = MaskedForward.evaluate(lm, stream, windows, 2, zero, 1f, root);  // 0 < 1
            assertEquals(golden, dense.loss(), 1e-5 * golden);
            assertEquals(golden, allTrue.loss(), 1e-5 * golden);
            assertEquals(0.0, allTrue.skippedFraction());
            assertEquals(1.0, allFalse.skippedFraction());
            assertTrue(Math.abs(allFalse.loss() - golden) > 0.1, "no FFN at all must change the loss: " + allFalse.loss());
        }
    }
}
