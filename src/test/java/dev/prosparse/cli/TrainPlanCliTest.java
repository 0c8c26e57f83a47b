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

    /** llama2-7b at 1 × 4096, fp16-mixed, recompute, one evaluation window, planned for a GPU this machine lacks. */
    Cli plan7b(String... extra) {
        List<String> args = new ArrayList<>(List.of("train", "--config", "configs/train/llama2-7b.yaml", "--plan",
                "--device", "cuda", "--precision", "fp16-mixed", "--set", "batch_size=1", "--set", "grad_accum=1",
                "--set", "activation_checkpointing=true", "--set", "eval.windows=1", "--set", "output_dir=" + tmp.resolve("runs")));
        args.addAll(List.of(extra));
        return Cli.run(args.toArray(String[]::new));
    }

    @Test
    void aGpuIsPlannedFromAMachineWithoutOneWhenItsMemoryIsGiven() {
        // without offload: 112,380,778,905 B on the GPU (MemoryPlanTest's hand sum) > 79 GiB = 84,825,604,096 B
        Cli off = plan7b("--device-memory", "79GiB");
        assertEquals(2, off.exitCode(), off.out() + off.err());
        assertTrue(off.out().contains("on cuda:0 (--device-memory 79GiB)"), off.out());
        assertTrue(off.out().contains("device peak: 112.38 GB"), off.out());
        assertTrue(off.out().contains("free: 84.83 GB"), off.out());
        assertTrue(off.out().contains("host memory not checked: give the GPU machine's with --host-memory"), off.out());
        assertTrue(off.out().contains("optimizer.offload: cpu →"), off.out());
        // 139 GiB = 149,250,113,536 B: fits
        Cli h200 = plan7b("--device-memory", "139GiB");
        assertEquals(0, h200.exitCode(), h200.out() + h200.err());
        // offload with one evaluation window: 37,174,342,451 B on the GPU, 84,067,008,512 B host (MemoryPlanTest);
        // 126 GiB = 135,291,469,824 B of host memory
        Cli offload = plan7b("--device-memory", "79GiB", "--host-memory", "126GiB", "--set", "optimizer.offload=cpu");
        assertEquals(0, offload.exitCode(), offload.out() + offload.err());
        assertTrue(offload.out().contains("device peak: 37.17 GB"), offload.out());
        assertTrue(offload.out().contains("host peak: 84.07 GB"), offload.out());
        assertTrue(offload.out().contains("host available: 135.29 GB"), offload.out());
        // the same on a host of 64 GiB: the host side does not fit
        Cli small = plan7b("--device-memory", "79GiB", "--host-memory", "64GiB", "--set", "optimizer.offload=cpu");
        assertEquals(2, small.exitCode(), small.out() + small.err());
        assertTrue(small.out().contains("does not fit"), small.out());
        assertFalse(Files.exists(tmp.resolve("runs")), "--plan created the output folder");
    }

    @Test
    void aFolderWithOnlyAConfigJsonIsPlannedForAGivenGpu() throws Exception {
        Path cfg = Files.createDirectories(tmp.resolve("config-only"));
        Files.copy(Fixtures.model("tiny-llama").resolve("config.json"), cfg.resolve("config.json"));
        Cli c = Cli.run("train", "--plan", "--device", "cuda", "--precision", "fp16-mixed", "--set", "model=" + cfg,
                "--set", "output_dir=" + tmp.resolve("runs"), "--device-memory", "16GiB");
        assertEquals(0, c.exitCode(), c.out() + c.err());
        assertTrue(c.out().startsWith("Memory plan for " + cfg), c.out());
        // fp16-mixed: 2 B × 1,787,008 = 3,574,016 bytes of float16 copies, on the given GPU
        assertTrue(c.out().contains("3.6 MB  fp16 compute copies of the weights"), c.out());
        assertTrue(c.out().contains("on cuda:0 (--device-memory 16GiB)"), c.out());
    }

    @Test
    void aPlanForAbsentGpuWithoutItsMemoryNamesTheFlag() {
        Cli c = plan7b();       // CI has no GPU (DeviceSpecTest asserts it)
        assertEquals(2, c.exitCode(), c.out() + c.err());
        assertTrue(c.err().contains("--device cuda:0: this machine has no GPU that DJL sees"), c.err());
        assertTrue(c.err().contains("--device-memory 79GiB"), c.err());
    }

    @Test
    void memoryFlagsAreRefusedOutsideAPlanAndOnTheCpu() {
        Cli run = tiny("--device-memory", "79GiB");
        assertEquals(2, run.exitCode(), run.err());
        assertTrue(run.err().contains("--device-memory only goes with --plan"), run.err());
        assertFalse(Files.exists(tmp.resolve("runs").resolve("r")), "a refused start left a run folder");
        Cli cpu = tiny("--plan", "--device-memory", "79GiB");
        assertEquals(2, cpu.exitCode(), cpu.err());
        assertTrue(cpu.err().contains("--device-memory plans a GPU run, but --device is cpu: add --device cuda"), cpu.err());
        Cli bad = plan7b("--device-memory", "lots");
        assertEquals(2, bad.exitCode(), bad.err());
        assertTrue(bad.err().contains("--device-memory lots: not a size"), bad.err());
        // the CPU plan checked against a given host: 648,562,688 B (MemoryPlanTest) > 600MB
        Cli host = tiny("--plan", "--host-memory", "600MB");
        assertEquals(2, host.exitCode(), host.out() + host.err());
        assertTrue(host.out().contains("peak: 648.6 MB") && host.out().contains("host available: 600.0 MB"), host.out());
    }
}
