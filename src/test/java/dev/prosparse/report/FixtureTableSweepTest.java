package dev.prosparse.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.prosparse.Fixtures;
import dev.prosparse.data.DataSource;
import dev.prosparse.config.Activation;
import dev.prosparse.sparsity.SparsityReport;
import dev.prosparse.sparsity.SparsityRun;
import dev.prosparse.util.Json;
import dev.prosparse.util.Torch;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code --thresholds} on the default windows (64 × 256 of the validation text) reproduces the relu and
 * fatrelu 0.01 rows of the tables in fixtures/README.md, whole-model and layer-streamed: for the first fixtures,
 * and for tiny-mistral (its 64-token sliding window matters on 256-token windows) and tiny-llama3 (rope llama3
 * with original_max_position_embeddings 64, shorter than the windows). Each model is evaluated in its own token
 * stream (BOS where its tokenizer adds one, its EOS after each document).
 */
class FixtureTableSweepTest {

    @BeforeAll
    static void start() {
        Torch.start(2);
    }

    static List<SparsityReport> sweep(String model, List<Double> thresholds, Boolean stream) {
        return SparsityRun.runAll(new SparsityRun.Request(Fixtures.model(model), Activation.FATRELU, null,
                DataSource.of(DataSource.EMBEDDED_VALID), 256, 64, 8, 2, List.of(), thresholds, stream));
    }

    static SparsityReport silu(String model) {
        return SparsityRun.runAll(new SparsityRun.Request(Fixtures.model(model), Activation.SILU, null,
                DataSource.of(DataSource.EMBEDDED_VALID), 256, 64, 8, 2, List.of(), null, false)).get(0);
    }

    static void assertRow(SparsityReport r, double ppl, double zero) {
        double got = r.result().perplexity();
        assertTrue(Math.abs(got - ppl) <= 0.0015, "perplexity " + got + " vs the table's " + ppl);
        assertEquals(zero, r.result().zeroFraction(), 0.00005 + 1e-12, "zero fraction (table: 4 decimals)");
        assertEquals(16384, r.result().tokens());
    }

    @Test
    void tinyLlamaSweepReproducesTheTable() throws Exception {
        List<SparsityReport> rows = sweep("tiny-llama", List.of(0.0, 0.01), null);
        assertEquals(SparsityReport.MODE_WHOLE, rows.get(0).mode());
        // fatrelu with t = 0 zeroes exactly the entries relu zeroes (g < 0; g = 0 gives 0 either way)
        assertRow(rows.get(0), 120.209, 0.6072);
        assertRow(rows.get(1), 120.209, 0.6150);

        SparsityOutput out = new SparsityOutput(rows, true);
        JsonNode j = Json.MAPPER.readTree(out.json());
        assertEquals("sweep", j.get("kind").asText());
        assertEquals(0.01, j.get("sweep").get(1).get("threshold").asDouble(), 0.0);
        assertEquals(rows.get(1).result().zeroFraction(), j.get("sweep").get(1).get("zero_fraction").asDouble(), 0.0);
        String text = out.text();
        assertTrue(text.matches("(?s).*\\b0\\.01\\s+120\\.209\\s+4\\.7892\\s+0\\.6150.*"), text);
    }

    @Test
    void tinyMinicpmStreamedSweepReproducesTheTable() {
        List<SparsityReport> rows = sweep("tiny-minicpm", List.of(0.01), true);
        assertEquals(SparsityReport.MODE_STREAMED, rows.get(0).mode());
        assertRow(rows.get(0), 106.112, 0.7442);
    }

    /** The sliding window: without it transformers' logits on these windows move by 26 %, and the perplexity with them. */
    @Test
    void tinyMistralReproducesTheTable() {
        assertRow(silu("tiny-mistral"), 97.412, 0);
        List<SparsityReport> rows = sweep("tiny-mistral", List.of(0.0, 0.01), true);
        assertEquals(SparsityReport.MODE_STREAMED, rows.get(0).mode());
        assertRow(rows.get(0), 114.565, 0.6404);
        assertRow(rows.get(1), 114.563, 0.6454);
    }

    @Test
    void tinyLlama3ReproducesTheTable() {
        List<SparsityReport> rows = sweep("tiny-llama3", List.of(0.0, 0.01), false);
        assertRow(rows.get(0), 112.205, 0.6465);
        assertRow(rows.get(1), 112.204, 0.6510);
    }
}
