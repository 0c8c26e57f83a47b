package dev.prosparse.dist;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Phaser;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

/**
 * STAND-IN backend, for CPU tests only: the ranks are threads of one JVM that exchange their arrays through Java
 * memory (copies through float/double arrays, summed in rank order). It is not c10d and moves nothing between
 * processes; it exists so that the sharding logic above {@link Collectives} runs in CI, where the c10d glue cannot be
 * built (docs/distributed.md, "What is tested where").
 *
 * <p>DJL allows one gradient collector per process, so the ranks take turns computing: a rank holds this group's
 * compute lock except while it waits in a collective. Results do not depend on the order of turns.
 */
public final class LocalGroup {
    private final int world;
    private final Duration timeout;
    private final Phaser arrive;
    private final Phaser leave;
    private final Object[] slots;
    private final long[] entered;                 // collectives each rank has entered (to name the missing ones)
    private volatile String failure;              // "rank 1 failed: …" once a rank's body threw
    private final ReentrantLock compute = new ReentrantLock(true);

    private LocalGroup(int world, Duration timeout) {
        this.world = world;
        this.timeout = timeout;
        this.arrive = new Phaser(world);
        this.leave = new Phaser(world);
        this.slots = new Object[world];
        this.entered = new long[world];
    }

    /**
     * Runs {@code body} once per rank, each on its own thread with its own {@link Collectives}, and returns the
     * results in rank order. A rank that throws breaks the group: the others fail in their next collective.
     */
    public static <T> List<T> run(int world, Duration timeout, Function<Collectives, T> body) {
        LocalGroup g = new LocalGroup(world, timeout);
        int threads = ai.djl.pytorch.jni.JniUtils.getNumThreads();
        List<FutureTask<T>> tasks = new ArrayList<>();
        for (int r = 0; r < world; r++) {
            Member m = g.new Member(r);
            FutureTask<T> task = new FutureTask<>(() -> {
                ai.djl.pytorch.jni.JniUtils.setNumThreads(threads);   // libtorch's thread count is per thread
                g.compute.lock();
                try {
                    return body.apply(m);
                } catch (RuntimeException | Error e) {
                    if (g.failure == null) {
                        g.failure = "rank " + m.rank + " failed: " + e.getMessage();   // the others' waits end with this
                    }
                    throw e;
                } finally {
                    g.compute.unlock();
                }
            });
            tasks.add(task);
            Thread t = new Thread(task, "stand-in-rank-" + r);
            t.setDaemon(true);
            t.start();
        }
        List<T> out = new ArrayList<>();
        RuntimeException first = null;
        for (Future<T> f : tasks) {
            try {
                out.add(f.get());
            } catch (ExecutionException e) {
                Throwable c = e.getCause();
                if (first == null) {
                    first = c instanceof RuntimeException re ? re : new IllegalStateException(c);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while the stand-in ranks ran", e);
            }
        }
        if (first != null) {
            throw first;
        }
        return out;
    }

    private final class Member extends GroupSeat {
        private long count;

        Member(int rank) {
            super(rank, LocalGroup.this.world, LocalGroup.this.timeout);
        }

        @Override
        public String describe() {
            return "in-process STAND-IN (" + world + " threads of one JVM; not c10d)";
        }

        @Override
        public void allReduceSum(NDArray x) {
            Object[] all = exchange("all_reduce", values(x));
            write(x, sum(all, 0, length(all[0])));
        }

        @Override
        public void reduceScatterSum(NDArray in, NDArray out) {
            Object[] all = exchange("reduce_scatter", values(in));
            int s = length(all[0]) / world;
            write(out, sum(all, rank * s, s));
        }

        @Override
        public void allGather(NDArray in, NDArray out) {
            Object[] all = exchange("all_gather", values(in));
            int s = length(all[0]);
            Object joined = in.getDataType() == DataType.FLOAT64 ? new double[s * world] : new float[s * world];
            for (int r = 0; r < world; r++) {
                System.arraycopy(all[r], 0, joined, r * s, s);
            }
            write(out, joined);
        }

        @Override
        public void broadcast(NDArray x, int root) {
            Object[] all = exchange("broadcast", values(x));
            write(x, all[root]);
        }

        @Override
        public void barrier() {
            exchange("barrier", new float[0]);
        }

        @Override
        public void close() {
            // nothing: the threads end with their body
        }

        /** Puts this rank's values in its slot, waits for all ranks, returns a snapshot of every slot. */
        private Object[] exchange(String op, Object mine) {
            count++;
            entered[rank] = count;
            slots[rank] = mine;
            compute.unlock();
            try {
                await(arrive, op);
                Object[] all = slots.clone();
                await(leave, op);          // nobody refills a slot before every rank took its snapshot
                return all;
            } finally {
                compute.lock();
            }
        }

        /**
         * Arrives and waits for the phase to advance, polling so that a rank that failed (its body threw) ends the wait
         * at once with its reason, while a collective that every rank completed returns normally even if a rank ends
         * right after it.
         */
        private void await(Phaser p, String op) {
            int phase = p.arrive();
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                try {
                    p.awaitAdvanceInterruptibly(phase, 20, TimeUnit.MILLISECONDS);
                    return;
                } catch (TimeoutException e) {
                    if (p.getPhase() != phase) {
                        return;                 // it advanced as the wait timed out: the collective is complete
                    }
                    if (failure != null) {
                        throw new CollectiveFailure(String.format("rank %d: %s #%d failed: %s (stand-in backend)", rank, op,
                                count, failure));
                    }
                    if (System.nanoTime() > deadline) {
                        StringBuilder missing = new StringBuilder();
                        for (int r = 0; r < world; r++) {
                            if (entered[r] < count) {
                                missing.append(missing.length() == 0 ? "" : ", ").append(r);
                            }
                        }
                        failure = "rank " + rank + " timed out in " + op;
                        throw new CollectiveFailure(String.format("rank %d: %s #%d timed out after %d s waiting for rank %s"
                                + " (stand-in backend)", rank, op, count, timeout.toSeconds(), missing), e);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new CollectiveFailure("rank " + rank + ": interrupted in " + op, e);
                }
            }
        }
    }

    private static Object values(NDArray x) {
        DataType t = x.getDataType();
        if (t == DataType.FLOAT64) {
            return x.toDoubleArray();
        }
        if (t == DataType.FLOAT32) {
            return x.toFloatArray();
        }
        throw new IllegalArgumentException("the stand-in backend handles float32 and float64 arrays, not " + t);
    }

    private static int length(Object a) {
        return a instanceof double[] d ? d.length : ((float[]) a).length;
    }

    /** Σ over ranks in rank order of elements [from, from + n). */
    private static Object sum(Object[] all, int from, int n) {
        if (all[0] instanceof double[]) {
            double[] s = new double[n];
            for (Object o : all) {
                double[] a = (double[]) o;
                for (int i = 0; i < n; i++) {
                    s[i] += a[from + i];
                }
            }
            return s;
        }
        float[] s = new float[n];
        for (Object o : all) {
            float[] a = (float[]) o;
            for (int i = 0; i < n; i++) {
                s[i] += a[from + i];
            }
        }
        return s;
    }

    private static void write(NDArray x, Object values) {
        if (values instanceof double[] d) {
            x.set(DoubleBuffer.wrap(d));
        } else {
            x.set(FloatBuffer.wrap((float[]) values));
        }
    }
}
