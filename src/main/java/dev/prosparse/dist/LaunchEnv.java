package dev.prosparse.dist;

import dev.prosparse.ProsparseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Where this process stands in a distributed launch, read from the launcher's environment (docs/distributed.md):
 * torchrun's RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT (plus its agent store,
 * TORCHELASTIC_USE_AGENT_STORE and TORCHELASTIC_RESTART_COUNT), or SLURM's SLURM_PROCID, SLURM_LOCALID,
 * SLURM_NTASKS (SLURM_NTASKS_PER_NODE) with MASTER_ADDR/MASTER_PORT set by the job script. Without either set of
 * variables {@link #detect} is empty and a run is the single process it always was.
 *
 * @param agentStore   torchrun's agent already hosts the TCPStore at MASTER_ADDR:MASTER_PORT: every rank is a client
 *                     and keys live under {@link #storePrefix()}
 * @param restartCount torchrun's TORCHELASTIC_RESTART_COUNT (0 when absent)
 */
public record LaunchEnv(Launcher launcher, int rank, int localRank, int worldSize, int localWorldSize, String masterAddr,
        int masterPort, boolean agentStore, int restartCount) {

    /** The launcher the variables came from. */
    public enum Launcher {
        TORCHRUN, SLURM
    }

    private static final List<String> TORCHRUN = List.of("RANK", "LOCAL_RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT");
    private static final List<String> SLURM = List.of("SLURM_PROCID", "SLURM_LOCALID", "SLURM_NTASKS");

    /** The launch described by {@code env}, or empty when no launcher variable is set; half-set variables are an error. */
    public static Optional<LaunchEnv> detect(Map<String, String> env) {
        // MASTER_ADDR/PORT alone do not start a torchrun launch: SLURM job scripts export them too
        if (!present(env, List.of("RANK", "LOCAL_RANK", "WORLD_SIZE", "LOCAL_WORLD_SIZE")).isEmpty()) {
            requireAll(env, TORCHRUN, "torchrun",
                    "torchrun --standalone --no-python --nproc-per-node=2 ./prosparse train …");
            int world = positive(env, "WORLD_SIZE");
            int localWorld = env.containsKey("LOCAL_WORLD_SIZE") ? positive(env, "LOCAL_WORLD_SIZE") : world;
            boolean agent = "true".equalsIgnoreCase(env.getOrDefault("TORCHELASTIC_USE_AGENT_STORE", "false"));
            int restarts = env.containsKey("TORCHELASTIC_RESTART_COUNT") ? nonNegative(env, "TORCHELASTIC_RESTART_COUNT") : 0;
            return Optional.of(check(new LaunchEnv(Launcher.TORCHRUN, nonNegative(env, "RANK"), nonNegative(env, "LOCAL_RANK"),
                    world, localWorld, env.get("MASTER_ADDR"), port(env), agent, restarts)));
        }
        List<String> slurmSet = present(env, SLURM);
        // a SLURM allocation alone (sbatch/salloc without srun tasks) sets SLURM_JOB_ID but not SLURM_PROCID: single process
        if (!slurmSet.isEmpty() && env.containsKey("SLURM_PROCID") && positive(env, "SLURM_NTASKS") > 1) {
            requireAll(env, SLURM, "srun", "srun --ntasks-per-node=8 ./prosparse train …");
            for (String k : List.of("MASTER_ADDR", "MASTER_PORT")) {
                if (!env.containsKey(k) || env.get(k).isBlank()) {
                    throw ProsparseException.usage("SLURM started " + env.get("SLURM_NTASKS") + " tasks but " + k
                            + " is not set: export MASTER_ADDR=$(scontrol show hostnames \"$SLURM_JOB_NODELIST\" | head -n 1)"
                            + " and MASTER_PORT=29500 in the job script before srun (docs/distributed.md)");
                }
            }
            int world = positive(env, "SLURM_NTASKS");
            int localWorld = env.containsKey("SLURM_NTASKS_PER_NODE") ? leadingInt(env, "SLURM_NTASKS_PER_NODE") : world;
            return Optional.of(check(new LaunchEnv(Launcher.SLURM, nonNegative(env, "SLURM_PROCID"),
                    nonNegative(env, "SLURM_LOCALID"), world, localWorld, env.get("MASTER_ADDR"), port(env), false, 0)));
        }
        return Optional.empty();
    }

    /** This process's environment. */
    public static Optional<LaunchEnv> detect() {
        return detect(System.getenv());
    }

    /** The key prefix of the store: torchrun's agent store keys each restart apart, as its own rendezvous does. */
    public String storePrefix() {
        return agentStore ? "/worker/attempt_" + restartCount : "";
    }

    /** rank 0 hosts the TCPStore unless torchrun's agent already does. */
    public boolean hostsStore() {
        return !agentStore && rank == 0;
    }

    /**
     * The device a rank trains on for a {@code device} value: {@code cuda} means {@code cuda:LOCAL_RANK}; a fixed GPU
     * index with several ranks on this node would put two ranks on one GPU (NCCL refuses that), so it is an error.
     */
    public String deviceFor(String device, String where) {
        String d = device.trim().toLowerCase(Locale.ROOT);
        if (d.equals("cuda") || d.equals("gpu")) {
            return "cuda:" + localRank;
        }
        if ((d.startsWith("cuda:") || d.startsWith("gpu")) && localWorldSize > 1) {
            throw ProsparseException.usage(where + " " + device + " asks every one of the " + localWorldSize
                    + " ranks on this node for the same GPU (NCCL runs one rank per GPU): use " + where
                    + " cuda, which means cuda:LOCAL_RANK under a launcher");
        }
        return device;
    }

    /** "rank 1/4 (local 1/2), torchrun, store 10.0.0.1:29500 (agent)". */
    public String describe() {
        return String.format(Locale.ROOT, "rank %d/%d (local %d/%d), %s, store %s:%d%s", rank, worldSize, localRank,
                localWorldSize, launcher.name().toLowerCase(Locale.ROOT), masterAddr, masterPort,
                agentStore ? " (torchrun agent, prefix " + storePrefix() + ")" : hostsStore() ? " (hosted here)" : "");
    }

    private static LaunchEnv check(LaunchEnv e) {
        String vars = e.launcher == Launcher.SLURM ? "SLURM_PROCID/SLURM_NTASKS" : "RANK/WORLD_SIZE";
        if (e.rank >= e.worldSize) {
            throw ProsparseException.usage("launcher variables disagree: rank " + e.rank + " is not below the world size "
                    + e.worldSize + " (" + vars + "); start ranks with torchrun or srun rather than by hand");
        }
        if (e.localRank >= e.localWorldSize || e.localWorldSize > e.worldSize) {
            throw ProsparseException.usage("launcher variables disagree: local rank " + e.localRank + " of "
                    + e.localWorldSize + " ranks on this node, world size " + e.worldSize
                    + "; start ranks with torchrun or srun rather than by hand");
        }
        return e;
    }

    private static List<String> present(Map<String, String> env, List<String> keys) {
        List<String> out = new ArrayList<>();
        for (String k : keys) {
            if (env.containsKey(k)) {
                out.add(k);
            }
        }
        return out;
    }

    private static void requireAll(Map<String, String> env, List<String> keys, String launcher, String example) {
        List<String> missing = new ArrayList<>();
        for (String k : keys) {
            if (!env.containsKey(k) || env.get(k).isBlank()) {
                missing.add(k);
            }
        }
        if (!missing.isEmpty()) {
            List<String> set = new ArrayList<>(keys);
            set.removeAll(missing);
            throw ProsparseException.usage("launcher variables are half set: " + String.join(", ", set) + " set but "
                    + String.join(", ", missing) + " missing. Start every rank with " + launcher + " (e.g. " + example
                    + "), or unset " + String.join(", ", set) + " for a single-process run (docs/distributed.md)");
        }
    }

    private static int nonNegative(Map<String, String> env, String key) {
        int v = parse(env, key);
        if (v < 0) {
            throw ProsparseException.usage(key + "=" + env.get(key) + " must be 0 or more");
        }
        return v;
    }

    private static int positive(Map<String, String> env, String key) {
        int v = parse(env, key);
        if (v < 1) {
            throw ProsparseException.usage(key + "=" + env.get(key) + " must be 1 or more");
        }
        return v;
    }

    private static int port(Map<String, String> env) {
        int p = parse(env, "MASTER_PORT");
        if (p < 1 || p > 65535) {
            throw ProsparseException.usage("MASTER_PORT=" + env.get("MASTER_PORT") + " is not a TCP port (1-65535), e.g. 29500");
        }
        return p;
    }

    /** SLURM_NTASKS_PER_NODE may read "4" or "4(x2)": the leading count. */
    private static int leadingInt(Map<String, String> env, String key) {
        String v = env.get(key).trim();
        int end = 0;
        while (end < v.length() && Character.isDigit(v.charAt(end))) {
            end++;
        }
        if (end == 0) {
            throw ProsparseException.usage(key + "=" + v + " is not a task count like 4");
        }
        return Integer.parseInt(v.substring(0, end));
    }

    private static int parse(Map<String, String> env, String key) {
        String v = env.get(key).trim();
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw ProsparseException.usage(key + "=" + v + " is not a whole number; the launcher sets it (e.g. " + key + "=0)");
        }
    }
}
