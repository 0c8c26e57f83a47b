package dev.prosparse.dist;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link Collectives} on c10d, the distributed engine inside libtorch that PyTorch DDP and FSDP run on: Gloo for CPU
 * tensors, NCCL for CUDA tensors, over c10d's TCPStore (hosted by rank 0, or torchrun's agent store under its
 * prefix). The calls reach c10d through a small JNI library compiled against this process's libtorch
 * ({@link C10dGlue}; docs/distributed.md) and work on the tensor behind each DJL array in place.
 *
 * <p>Each rank bumps a liveness counter in the store every {@value #BEAT_MS} ms; when a collective fails, the counters
 * that stopped moving name the rank that died.
 */
public final class NativeCollectives extends GroupSeat {
    private static final Logger LOG = LoggerFactory.getLogger(NativeCollectives.class);
    static final long BEAT_MS = 1000;

    private final long handle;
    private final String backend;
    private final ScheduledExecutorService beat;
    private long count;

    private NativeCollectives(long handle, int rank, int world, Duration timeout, String backend) {
        super(rank, world, timeout);
        this.handle = handle;
        this.backend = backend;
        this.beat = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "c10d-liveness");
            t.setDaemon(true);
            return t;
        });
        beat.scheduleAtFixedRate(() -> {
            try {
                nativeStoreAdd(handle, "prosparse/alive/" + rank, 1);
            } catch (RuntimeException e) {
                // the store is gone (its host died): the next collective reports it
            }
        }, 0, BEAT_MS, TimeUnit.MILLISECONDS);
    }

    /**
     * Joins the group the launcher describes: Gloo when {@code cudaDevice} is negative, else NCCL on that GPU. Blocks
     * until every rank has joined or {@code timeout} has passed.
     */
    public static NativeCollectives connect(LaunchEnv env, int cudaDevice, Duration timeout) {
        C10dGlue.load();
        String backend = cudaDevice < 0 ? "gloo" : "nccl";
        if (!C10dGlue.backends().contains(backend)) {
            throw new CollectiveFailure("the c10d glue library " + C10dGlue.path() + " has no " + backend + " backend (it has "
                    + C10dGlue.backends() + "); rebuild it with scripts/build-c10d-glue.sh against a torch that has it");
        }
        long h;
        try {
            h = nativeCreate(env.masterAddr(), env.masterPort(), env.hostsStore(), env.storePrefix(), env.rank(),
                    env.worldSize(), timeout.toMillis(), cudaDevice);
        } catch (IllegalStateException e) {
            throw new CollectiveFailure("rank " + env.rank() + " could not join the " + backend + " group at "
                    + env.masterAddr() + ":" + env.masterPort() + " within " + timeout.toSeconds() + " s: " + e.getMessage()
                    + ". Check that every rank was started with the same MASTER_ADDR/MASTER_PORT and WORLD_SIZE", e);
        }
        LOG.info("c10d {}: {}", backend, env.describe());
        return new NativeCollectives(h, env.rank(), env.worldSize(), timeout, backend);
    }

    @Override
    public String describe() {
        return "c10d " + backend + " (" + world + " ranks, libtorch " + C10dGlue.torchVersion() + ")";
    }

    @Override
    public void allReduceSum(NDArray x) {
        call("all_reduce", () -> nativeAllReduceSum(handle, ptr(x)));
    }

    @Override
    public void reduceScatterSum(NDArray in, NDArray out) {
        call("reduce_scatter", () -> nativeReduceScatterSum(handle, ptr(in), ptr(out)));
    }

    @Override
    public void allGather(NDArray in, NDArray out) {
        call("all_gather", () -> nativeAllGather(handle, ptr(in), ptr(out)));
    }

    @Override
    public void broadcast(NDArray x, int root) {
        call("broadcast", () -> nativeBroadcast(handle, ptr(x), root));
    }

    @Override
    public void barrier() {
        call("barrier", () -> nativeBarrier(handle));
    }

    @Override
    public void close() {
        beat.shutdownNow();
        nativeDestroy(handle);
    }

    private void call(String op, Runnable body) {
        count++;
        try {
            body.run();
        } catch (IllegalStateException e) {
            throw new CollectiveFailure(String.format("rank %d: %s #%d failed%s: %s; the ranks stop here and the last"
                    + " complete save is intact", rank, op, count, silentRanks(), e.getMessage()), e);
        }
    }

    /** " (rank 1 stopped responding)" from the liveness counters, "" when they cannot tell. */
    private String silentRanks() {
        try {
            long[] before = counters();
            Thread.sleep(3 * BEAT_MS);
            long[] after = counters();
            List<String> silent = new ArrayList<>();
            for (int r = 0; r < world; r++) {
                if (r != rank && after[r] == before[r]) {
                    silent.add(Integer.toString(r));
                }
            }
            return silent.isEmpty() ? "" : " (rank " + String.join(", ", silent) + " stopped responding)";
        } catch (RuntimeException e) {
            return rank == 0 ? "" : " (the store on rank 0's host is unreachable: rank 0 stopped responding)";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    private long[] counters() {
        long[] c = new long[world];
        for (int r = 0; r < world; r++) {
            c[r] = nativeStoreAdd(handle, "prosparse/alive/" + r, 0);
        }
        return c;
    }

    private static long ptr(NDArray x) {
        return ((PtNDArray) x).getHandle();
    }

    static native String nativeTorchVersion();

    static native String nativeBackends();

    private static native long nativeCreate(String host, int port, boolean isServer, String prefix, int rank, int world,
            long timeoutMs, int cudaDevice);

    private static native void nativeAllReduceSum(long group, long tensor);

    private static native void nativeReduceScatterSum(long group, long in, long out);

    private static native void nativeAllGather(long group, long in, long out);

    private static native void nativeBroadcast(long group, long tensor, int root);

    private static native void nativeBarrier(long group);

    private static native long nativeStoreAdd(long group, String key, long delta);

    private static native void nativeDestroy(long group);
}
