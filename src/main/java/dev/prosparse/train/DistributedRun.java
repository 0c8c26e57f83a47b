package dev.prosparse.train;

import dev.prosparse.util.Plural;
import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.prosparse.ProsparseException;
import dev.prosparse.device.DeviceSpec;
import dev.prosparse.dist.Collectives;
import dev.prosparse.dist.DataParallel;
import dev.prosparse.dist.LaunchEnv;
import dev.prosparse.dist.NativeCollectives;
import dev.prosparse.dist.ShardLayout;
import dev.prosparse.dist.ZeroAdamW;
import dev.prosparse.dist.ZeroState;
import dev.prosparse.optim.AdamW;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the trainer does differently as one rank of a ZeRO-1 data-parallel run (docs/distributed.md), and nothing
 * when the process was not started by a launcher ({@link #single()}): the rank's device, joining the group, the
 * sharded optimizer, the save in which every rank writes its optimizer shard, resume with re-sharding, and which
 * rank writes the run's files (rank 0 only).
 */
final class DistributedRun {
    private static final Logger LOG = LoggerFactory.getLogger(DistributedRun.class);
    /** Seconds a collective waits for the other ranks (env PROSPARSE_DIST_TIMEOUT; default 300). */
    static final String TIMEOUT_ENV = "PROSPARSE_DIST_TIMEOUT";

    private final LaunchEnv env;          // null: a single process
    private Collectives group;

    private DistributedRun(LaunchEnv env, Collectives group) {
        this.env = env;
        this.group = group;
    }

    /** The launch this process's environment describes; half-set launcher variables fail here, before any work. */
    static DistributedRun detect() {
        return new DistributedRun(LaunchEnv.detect().orElse(null), null);
    }

    static DistributedRun single() {
        return new DistributedRun(null, null);
    }

    /** A rank of an already formed group (the in-process stand-in of the tests). */
    static DistributedRun of(Collectives group) {
        return new DistributedRun(null, group);
    }

    boolean active() {
        return env != null || group != null;
    }

    boolean isRoot() {
        return group != null ? group.rank() == 0 : env == null || env.rank() == 0;
    }

    int world() {
        return group != null ? group.worldSize() : env != null ? env.worldSize() : 1;
    }

    /** The rank's device: {@code cuda} (and {@code auto} with GPUs) means cuda:LOCAL_RANK; a fixed GPU shared by two ranks is refused. */
    DeviceSpec deviceSpec(DeviceSpec spec, String raw, String where) {
        if (env == null) {
            return spec;
        }
        if (spec.kind() == DeviceSpec.Kind.AUTO) {
            return Engine.getInstance().getGpuCount() > 0 ? new DeviceSpec(DeviceSpec.Kind.CUDA, env.localRank()) : DeviceSpec.CPU;
        }
        return DeviceSpec.parse(env.deviceFor(raw, where), where);
    }

    /** Joins the group (Gloo on the CPU, NCCL on a GPU); every rank blocks here until all have joined. */
    void connect(Device device) {
        if (env != null && group == null) {
            group = NativeCollectives.connect(env, device.isGpu() ? device.getDeviceId() : -1, timeout());
        }
        if (group != null) {
            LOG.info("data parallel: rank {} of {} on {}, collectives {}", group.rank(), group.worldSize(), device,
                    group.describe());
        }
    }

    /** The ZeRO-1 optimizer of this rank over {@code params}, or null for a single process. */
    DataParallel dataParallel(NDManager base, Map<String, NDArray> params, Recipe.Optimizer o) {
        if (group == null) {
            return null;
        }
        return new DataParallel(group, new ZeroAdamW(base, params, group, o.betas().get(0), o.betas().get(1), o.eps(),
                o.weightDecay()));
    }

    /** "global batch 2 × 4 × 8 ranks = 64 windows" (or without ranks for a single process). */
    String describeBatch(Recipe r) {
        return "global batch " + r.batchSize() + " × " + r.gradAccum() + (active() ? " × " + world() + " ranks" : "")
                + " = " + Plural.of((long) r.batchSize() * r.gradAccum() * world(), "window") + " (batch_size × grad_accum"
                + (active() ? " × world size" : "") + ")";
    }

    /**
     * Restores the optimizer state of a save, whatever world size wrote it: the same one exactly, another one
     * re-sharded (and said so).
     */
    void loadOptimizer(AdamW adam, DataParallel dp, Path dir, Map<String, NDArray> params) {
        int saved = ZeroState.savedWorld(dir);
        int savedRanks = Math.max(1, saved);
        if (dp != null) {
            dp.optimizer().load(dir);
        } else if (saved == 0) {
            adam.load(dir.resolve(RunDir.OPTIMIZER));
        } else {
            List<Map<String, float[]>> m = ZeroState.readAll(dir, ShardLayout.of(params, 1));
            adam.restore(m.get(0), m.get(1));
        }
        if (savedRanks != world() && isRoot()) {
            LOG.warn("resuming a save of {} rank(s) on {}: the optimizer state was re-sharded; the global batch is now {}",
                    savedRanks, world(), world() + " × batch_size × grad_accum windows");
        }
    }

    /**
     * Saves step {@code step}: every rank puts its optimizer shard next to the run folder, then rank 0 writes the
     * checkpoint ({@code rootSave} gets the writer of the optimizer files) and moves the shards into it before the
     * atomic rename; the save exists only once every rank's part is in it. A single process just calls rootSave
     * with its AdamW writer.
     */
    void save(int step, RunDir run, AdamW adam, DataParallel dp, Consumer<Consumer<Path>> rootSave) {
        if (dp == null) {
            rootSave.accept(d -> adam.save(d.resolve(RunDir.OPTIMIZER)));
            return;
        }
        Path staging = run.path().resolve("." + RunDir.saveName(step) + ".tmp-shards");
        int rank = group.rank();
        if (rank != 0) {
            Path mine = staging.resolve(".rank-" + rank);
            io(() -> Files.createDirectories(mine));
            dp.optimizer().save(mine);
            String name = ZeroState.shardName(rank, world());
            io(() -> Files.move(mine.resolve(name), staging.resolve(name), StandardCopyOption.ATOMIC_MOVE));
        }
        group.barrier();                                   // every shard is on disk
        if (rank == 0) {
            rootSave.accept(d -> {
                dp.optimizer().save(d);
                for (int r = 1; r < world(); r++) {
                    String name = ZeroState.shardName(r, world());
                    io(() -> Files.move(staging.resolve(name), d.resolve(name)));
                }
            });
            io(() -> RunDir.deleteTree(staging));
        }
        group.barrier();                                   // the save is complete before any rank goes on
    }

    private static Duration timeout() {
        String s = System.getenv(TIMEOUT_ENV);
        try {
            return Duration.ofSeconds(s == null || s.isBlank() ? 300 : Long.parseLong(s.trim()));
        } catch (NumberFormatException e) {
            throw ProsparseException.usage(TIMEOUT_ENV + "=" + s + " is not a number of seconds, e.g. " + TIMEOUT_ENV + "=300");
        }
    }

    private interface IoAction {
        void run() throws IOException;
    }

    private static void io(IoAction a) {
        try {
            a.run();
        } catch (IOException e) {
            throw ProsparseException.io("Cannot write the optimizer shard of a save: " + e, e);
        }
    }
}
