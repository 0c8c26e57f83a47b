package dev.prosparse.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prosparse.Fixtures;
import dev.prosparse.data.DataSource;
import dev.prosparse.io.CheckpointFiles;
import dev.prosparse.config.Activation;
import dev.prosparse.sparsity.SparsityReport;
import dev.prosparse.sparsity.SparsityRun;
import dev.prosparse.util.Torch;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The benchmark's random sharded BF16 checkpoint, at a small size: it loads, its activations stay finite,
 * and layer streaming over two shards gives the whole-model numbers.
 */
class SyntheticCheckpointTest {

    @BeforeAll
    static void start() {
        Torch.start(2);
    }

    @Test
    void shardedRandomCheckpointStreamsLikeTheWholeModel(@TempDir Path tmp) throws IOException {
        Path dir = tmp.resolve("synthetic");
        long bytes = SyntheticCheckpoint.write(dir, SyntheticCheckpoint.config(64, 160, 4, 4, 2, 4096),
                Fixtures.model("tiny-llama"), 7);
        try (CheckpointFiles files = CheckpointFiles.open(dir)) {
            assertEquals(2, files.shards().size());
            assertEquals(bytes, files.totalBytes());
            float[] q = files.readFloat32("model.layers.3.self_attn.q_proj.weight");
            double sq = 0;
            for (float v : q) {
                sq += v * v;
            }
            assertEquals(0.02, Math.sqrt(sq / q.length), 0.002, "weights ~ N(0, 0.02)");
            assertEquals(1f, files.readFloat32("model.layers.0.input_layernorm.weight")[5]);
        }
        List<SparsityReport> r = new java.util.ArrayList<>();
        for (Boolean stream : new Boolean[] {false, true}) {
            r.addAll(SparsityRun.runAll(new SparsityRun.Request(dir, Activation.RELU, null,
                    DataSource.of(DataSource.EMBEDDED_VALID), 64, 5, 2, 2, List.of(), null, stream)));
        }
        double loss = r.get(0).result().loss();
        assertTrue(Double.isFinite(loss) && loss > 5 && loss < 12, "random model, near ln(4096) = 8.3: " + loss);
        assertEquals(loss, r.get(1).result().loss(), 1e-6 * loss);
        assertArrayEquals(r.get(0).result().layerZeros(), r.get(1).result().layerZeros());
        assertEquals(SparsityReport.MODE_STREAMED, r.get(1).mode());
    }
}
