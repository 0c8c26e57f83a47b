package dev.prosparse.optim;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The offloaded AdamW step as a three-stage pipeline over chunks of parameters (docs/gpu.md, "Optimizer offload"):
 * <ol>
 *   <li>download (calling thread): chunk k's device gradients are copied to host memory (page-locked from a GPU);</li>
 *   <li>update (one coordinating thread, {@link HostAdamW}'s pool underneath): one pass updates the float32 masters
 *       and moments and writes the new compute weights over the host gradient copies;</li>
 *   <li>upload (one thread): those weights are copied into the device compute copies and the device gradients are
 *       zeroed for the next step.</li>
 * </ol>
 * DJL's copies are synchronous, so each stage has a thread: chunk k+1's download and chunk k−1's upload overlap chunk
 * k's update. At most {@link #IN_FLIGHT} chunks' host gradient copies exist at once.
 */
final class OffloadPipeline implements AutoCloseable {
    /** Chunks between download and the end of their upload. */
    static final int IN_FLIGHT = 3;

    private final HostAdamW kernel;
    private final ExecutorService updater = single("prosparse-offload-update");
    private final ExecutorService uploader = single("prosparse-offload-upload");

    OffloadPipeline(int threads, HostKernel hostKernel) {
        this.kernel = new HostAdamW(threads);
        this.hostKernel = hostKernel;
    }

    int threads() {
        return kernel.threads();
    }

    /** One step over {@code chunks}; each chunk lists its tensors as parallel lists (see {@link Chunk}). */
    void run(List<Chunk> chunks, HostAdamW.Hyper h, double[] onePassH, NDManager scope) {
        OptimizerModules.get().loadOffload();
        Deque<Future<?>> inFlight = new ArrayDeque<>();
        RuntimeException failure = null;
        try {
            for (Chunk c : chunks) {
                while (inFlight.size() >= IN_FLIGHT) {
                    await(inFlight.removeFirst());
                }
                Device host = c.params().get(0).getDevice();
                NDManager hostScope = scope.newSubManager(host);
                Future<?> update = null;
                try {
                    List<NDArray> g = download(c.grads(), hostScope);
                    if (hostKernel == HostKernel.JAVA) {
                        List<HostAdamW.Slot> slots = slots(c, g, hostScope);
                        update = updater.submit(() -> kernel.update(slots, h));
                    } else {   // libtorch's one-pass CPU AdamW on a float32 cast of g, then the new weights cast into g
                        update = updater.submit(() -> {
                            OptimizerModules.get().adamwOnePass(c.params(), g, c.expAvg(), c.expAvgSq(), onePassH);
                            OptimizerModules.get().copyInto(g, c.params());
                        });
                    }
                    Future<?> updated = update;
                    inFlight.add(uploader.submit(() -> {
                        try {
                            await(updated);
                            OptimizerModules.get().refresh(c.copies(), g, c.grads());
                        } finally {
                            hostScope.close();
                        }
                    }));
                } catch (RuntimeException e) {
                    if (update != null) {            // submitted, but its upload was not: let it finish first
                        try {
                            await(update);
                        } catch (RuntimeException ignored) {
                            // the first failure is the one reported
                        }
                    }
                    hostScope.close();
                    throw e;
                }
            }
        } catch (RuntimeException e) {
            failure = e;
        }
        // drain: nothing may still run on this step's memory when it returns, whatever failed
        while (!inFlight.isEmpty()) {
            try {
                await(inFlight.removeFirst());
            } catch (RuntimeException e) {
                failure = failure != null ? failure : e;
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    /**
     * Host copies of a chunk's gradients: from a GPU into page-locked memory (the copy engine writes them directly; if
     * libtorch cannot pin memory here, pageable copies from then on, said once in the log); on a CPU-only machine
     * plain copies.
     */
    private List<NDArray> download(List<NDArray> grads, NDManager hostScope) {
        boolean gpu = grads.get(0).getDevice().isGpu();
        if (gpu && pinned) {
            try {
                return OptimizerModules.get().download(grads, true, hostScope);
            } catch (RuntimeException e) {
                pinned = false;
                LOG.warn("optimizer offload: page-locked host memory is not available ({}); copying gradients through"
                        + " pageable memory instead (slower)", e.getMessage());
            }
        }
        return OptimizerModules.get().download(grads, false, hostScope);
    }

    private volatile boolean pinned = true;

    /**
     * The host update: {@code java} ({@link HostAdamW}, the default) or {@code torch} (libtorch's {@code _fused_adamw_}
     * on the CPU, vectorised in C++, plus a float32 cast of the gradients and a cast of the new weights: 40 bytes per
     * parameter instead of 28). Chosen with the system property {@code prosparse.offload.kernel}, for comparing the
     * two on a given host (scripts/bench-offload-update.sh prints both); both compute AdamW to float32 rounding.
     */
    enum HostKernel {
        JAVA, TORCH;

        static HostKernel fromProperty() {
            String v = System.getProperty("prosparse.offload.kernel", "java");
            try {
                return valueOf(v.toUpperCase(java.util.Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("-Dprosparse.offload.kernel=" + v + ": expected java or torch, e.g."
                        + " -Dprosparse.offload.kernel=torch");
            }
        }
    }

    private final HostKernel hostKernel;
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(OffloadPipeline.class);

    /**
     * One chunk: float32 masters and moments (host), the device compute copies and their gradients, index-aligned.
     */
    record Chunk(List<NDArray> params, List<NDArray> expAvg, List<NDArray> expAvgSq, List<NDArray> copies,
            List<NDArray> grads) {}

    private static List<HostAdamW.Slot> slots(Chunk c, List<NDArray> hostGrads, NDManager hostScope) {
        List<HostAdamW.Slot> out = new ArrayList<>();
        for (int i = 0; i < hostGrads.size(); i++) {
            NDArray g = hostGrads.get(i);
            boolean half = g.getDataType() == DataType.FLOAT16;
            if (c.params().get(i).getDataType() != DataType.FLOAT32 || g.getDataType() != c.copies().get(i).getDataType()) {
                throw new IllegalArgumentException("offloaded AdamW: master " + c.params().get(i).getDataType()
                        + ", gradient " + g.getDataType() + ", compute copy " + c.copies().get(i).getDataType()
                        + " (expected float32 masters and gradients in the compute dtype)");
            }
            List<ByteBuffer> p = HostViews.of(c.params().get(i), hostScope), m = HostViews.of(c.expAvg().get(i), hostScope),
                    v = HostViews.of(c.expAvgSq().get(i), hostScope), gv = HostViews.of(g, hostScope);
            for (int k = 0; k < p.size(); k++) {
                out.add(new HostAdamW.Slot(p.get(k), m.get(k), v.get(k), gv.get(k), half));
            }
        }
        return out;
    }

    private static void await(Future<?> f) {
        try {
            f.get();
        } catch (CancellationException e) {
            throw new IllegalStateException("the offloaded optimizer update was cancelled", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted during the offloaded optimizer update", e);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        }
    }

    private static ExecutorService single(String name) {
        return Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public void close() {
        updater.shutdownNow();
        uploader.shutdownNow();
        kernel.close();
    }
}
