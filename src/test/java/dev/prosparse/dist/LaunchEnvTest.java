package dev.prosparse.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prosparse.ProsparseException;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Launcher variables: torchrun's and SLURM's mapping, the agent store prefix, cuda → cuda:LOCAL_RANK, and bad input. */
class LaunchEnvTest {
    static Map<String, String> torchrun(int rank, int local, int world, int localWorld) {
        Map<String, String> env = new HashMap<>();
        env.put("RANK", "" + rank);
        env.put("LOCAL_RANK", "" + local);
        env.put("WORLD_SIZE", "" + world);
        env.put("LOCAL_WORLD_SIZE", "" + localWorld);
        env.put("MASTER_ADDR", "10.0.0.1");
        env.put("MASTER_PORT", "29500");
        return env;
    }

    @Test
    void noLauncherMeansSingleProcess() {
        assertTrue(LaunchEnv.detect(Map.of("HOME", "/root", "SLURM_JOB_ID", "12")).isEmpty());
        // one srun task (SLURM_NTASKS=1) is a single process too
        assertTrue(LaunchEnv.detect(Map.of("SLURM_PROCID", "0", "SLURM_LOCALID", "0", "SLURM_NTASKS", "1")).isEmpty());
    }

    @Test
    void torchrunWithAndWithoutAgentStore() {
        LaunchEnv e = LaunchEnv.detect(torchrun(3, 1, 4, 2)).orElseThrow();
        assertEquals(LaunchEnv.Launcher.TORCHRUN, e.launcher());
        assertEquals(3, e.rank());
        assertEquals(1, e.localRank());
        assertEquals(4, e.worldSize());
        assertEquals("", e.storePrefix());
        assertFalse(e.hostsStore());
        assertTrue(LaunchEnv.detect(torchrun(0, 0, 4, 2)).orElseThrow().hostsStore());
        Map<String, String> agent = torchrun(0, 0, 4, 2);
        agent.put("TORCHELASTIC_USE_AGENT_STORE", "True");
        agent.put("TORCHELASTIC_RESTART_COUNT", "2");
        LaunchEnv a = LaunchEnv.detect(agent).orElseThrow();
        assertEquals("/worker/attempt_2", a.storePrefix());
        assertFalse(a.hostsStore());
        assertEquals("cuda:1", e.deviceFor("cuda", "--device"));
        assertEquals("cpu", e.deviceFor("cpu", "--device"));
    }

    @Test
    void slurmMapping() {
        Map<String, String> env = new HashMap<>(Map.of("SLURM_PROCID", "5", "SLURM_LOCALID", "1", "SLURM_NTASKS", "8",
                "SLURM_NTASKS_PER_NODE", "4(x2)", "MASTER_ADDR", "node01", "MASTER_PORT", "29500"));
        LaunchEnv e = LaunchEnv.detect(env).orElseThrow();
        assertEquals(LaunchEnv.Launcher.SLURM, e.launcher());
        assertEquals(5, e.rank());
        assertEquals(1, e.localRank());
        assertEquals(8, e.worldSize());
        assertEquals(4, e.localWorldSize());
        env.remove("MASTER_ADDR");
        ProsparseException x = assertThrows(ProsparseException.class, () -> LaunchEnv.detect(env));
        assertTrue(x.getMessage().contains("MASTER_ADDR is not set") && x.getMessage().contains("scontrol show hostnames"),
                x.getMessage());
    }

    @Test
    void halfSetVariablesAreOneClearError() {
        Map<String, String> env = torchrun(0, 0, 2, 2);
        env.remove("MASTER_PORT");
        env.remove("LOCAL_RANK");
        ProsparseException e = assertThrows(ProsparseException.class, () -> LaunchEnv.detect(env));
        assertEquals(ProsparseException.Kind.USAGE, e.kind());
        assertTrue(e.getMessage().contains("half set") && e.getMessage().contains("LOCAL_RANK, MASTER_PORT missing")
                && e.getMessage().contains("torchrun --standalone"), e.getMessage());
        Map<String, String> bad = torchrun(2, 0, 2, 2);
        assertTrue(assertThrows(ProsparseException.class, () -> LaunchEnv.detect(bad)).getMessage()
                .contains("rank 2 is not below the world size 2"));
        Map<String, String> port = torchrun(0, 0, 2, 2);
        port.put("MASTER_PORT", "http");
        assertTrue(assertThrows(ProsparseException.class, () -> LaunchEnv.detect(port)).getMessage()
                .contains("MASTER_PORT=http is not a whole number"));
    }

    @Test
    void twoRanksAskingForOneGpuAreRefused() {
        LaunchEnv e = LaunchEnv.detect(torchrun(1, 1, 2, 2)).orElseThrow();
        ProsparseException x = assertThrows(ProsparseException.class, () -> e.deviceFor("cuda:0", "--device"));
        assertTrue(x.getMessage().contains("same GPU") && x.getMessage().contains("--device cuda, which means cuda:LOCAL_RANK"),
                x.getMessage());
        // one rank per node may name its GPU
        assertEquals("cuda:3", LaunchEnv.detect(torchrun(1, 0, 2, 1)).orElseThrow().deviceFor("cuda:3", "--device"));
    }
}
