package dev.prosparse.dist;

import ai.djl.ndarray.NDArray;
import java.time.Duration;

/**
 * The collectives of data-parallel training on DJL arrays, in place, issued in the same order by every rank
 * (docs/distributed.md). Two backends: {@link NativeCollectives}, c10d's Gloo (CPU) or NCCL (CUDA) process group in
 * this process's libtorch, and {@link LocalGroup}, an in-process stand-in (threads of one JVM) for CPU tests.
 *
 * <p>Every call returns once this rank's result is in place or fails with {@link CollectiveFailure} within
 * {@link #timeout()}, naming the operation and, when it can tell, the rank that did not take part.
 */
public interface Collectives extends AutoCloseable {
    int rank();

    int worldSize();

    /** How long one collective may wait for the other ranks before it fails. */
    Duration timeout();

    /** "c10d gloo" or "in-process stand-in (threads of one JVM)": for logs. */
    String describe();

    /** x ← Σ_ranks x, in place (same shape and dtype on every rank). */
    void allReduceSum(NDArray x);

    /**
     * out ← the {@code rank}-th of {@code worldSize} equal parts of Σ_ranks in; in is [world·S], out is [S] (1-D,
     * same dtype). in is left unspecified.
     */
    void reduceScatterSum(NDArray in, NDArray out);

    /** out ← the concatenation over ranks of their {@code in}; in is [S], out is [world·S] (1-D, same dtype). */
    void allGather(NDArray in, NDArray out);

    /** x ← root's x, in place. */
    void broadcast(NDArray x, int root);

    /** Returns once every rank has called it. */
    void barrier();

    @Override
    void close();
}
