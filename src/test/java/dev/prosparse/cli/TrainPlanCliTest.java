package dev.prosparse.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prosparse.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code train --plan} and the memory check every start runs: the table and its exit code, no run folder for a plan, an
 * absurd batch or a plan over memory (docs/memory-plan.md).
 */
class TrainPlanCliTest {
    @TempDir
    Path tmp;

    Cli train(String... extra) {
        List<String> args = new ArrayList<>(List.of("train", "--run-name", "r", "--device", "cpu",
                "--set", "output_dir=" + tmp.resolve("runs"), "--set", "threads=1"));
        args.addAll(List.of(extra));
        return Cli.run(args.toArray(String[]::new));
    }

    Cli tiny(String... extra) {
        List<String> args = new ArrayList<>(List.of("--set", "model=" + Fixtures.model("tiny-llama")));
        args.addAll(List.of(extra));
        return train(args.toArray(String[]::new));
    }

    @Test
    void planOfTheDemoRecipeFitsAndCreatesNothing() {
        Cli c = tiny("--plan");
        // 4 B × 1,787,008 parameters = 7,148,032 bytes of fp32 weights; the whole plan is 648,562,688 B = 648.6 MB (MemoryPlanTest)
        assertTrue(c.out().contains("7.1 MB  weights (fp32"), c.out());
        assertTrue(c.out().contains("peak: 648.6 MB"), c.out());
        // the verdict depends on this machine's available memory (0.66 GB: any CI box has it); the exit code follows it
        boolean fits = c.out().lines().anyMatch(l -> l.equals("fits"));
        assertEquals(fits ? 0 : 2, c.exitCode(), c.err());
        assertFalse(Files.exists(tmp.resolve("runs")), "--plan created the output folder");
    }

    @Test
    void planOfTheLlama7bPresetNeedsNoWeights() {
        Cli c = train("--config", "configs/train/llama2-7b.yaml", "--plan", "--set", "batch_size=1");
        // 6,738,415,616 parameters; fp32 weights 4 B each = 26,953,662,464 bytes
        assertTrue(c.out().contains("6.74 B parameters"), c.out() + c.err());
        assertTrue(c.out().contains("26.95 GB  weights (fp32"), c.out());
        boolean fits = c.out().lines().anyMatch(l -> l.equals("fits"));
        assertEquals(fits ? 0 : 2, c.exitCode(), c.err());
        assertFalse(Files.exists(tmp.resolve("runs")));
    }

    @Test
    void theRecipesOffloadReachesThePlan() {
        Cli c = train("--config", "configs/train/llama2-7b.yaml", "--plan", "--set", "batch_size=1", "--set",
                "optimizer.offload=cpu");
        assertTrue(c.out().contains("optimizer offloaded to the host"), c.out() + c.err());
        // fp32 under offload: master weights 4 B × 6,738,415,616 = 26,953,662,464 bytes on the host, compute copies per step
        assertTrue(c.out().contains("26.95 GB  fp32 master weights"), c.out());
        assertTrue(c.out().contains("26.95 GB  fp32 compute copies of the weights"), c.out());
    }

    @Test
    void anAbsurdBatchIsRefusedBeforeAnythingIsCreated() {
        Cli c = tiny("--set", "batch_size=2000000000");
        assertEquals(2, c.exitCode(), c.err());
        assertTrue(c.err().contains("batch_size 2000000000 × (seq_len 256 + 1)"), c.err());
        assertFalse(Files.exists(tmp.resolve("runs").resolve("r")), "a refused start left a run folder");
    }

    @Test
    void aPlanOverMemoryIsRefusedWithTheFiguresAndTheKnobs() {
        // 100,000 × 256 tokens: the logits' backward pass alone is 25.6e6 × 4096 × 12 bytes = 1.26 TB
        Cli c = tiny("--set", "batch_size=100000");
        assertEquals(2, c.exitCode(), c.err());
        assertTrue(c.err().contains("does not fit in memory"), c.err());
        assertTrue(c.err().contains("batch_size 50000, grad_accum 2"), c.err());
        assertTrue(c.err().contains("train --plan"), c.err());
        assertFalse(Files.exists(tmp.resolve("runs").resolve("r")), "a refused start left a run folder");
    }
}
