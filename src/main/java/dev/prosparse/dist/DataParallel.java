package dev.prosparse.dist;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Map;

/**
 * What a training step needs to run as one rank of a ZeRO-1 data-parallel group (docs/distributed.md): which
 * micro-batches this rank draws, the reduction of its gradients to its shard, the sum of the step's statistics over
 * ranks, and the sharded update. A single process has none of this (the trainer passes null).
 */
public final class DataParallel implements AutoCloseable {
    private final Collectives group;
    private final ZeroAdamW optimizer;

    public DataParallel(Collectives group, ZeroAdamW optimizer) {
        this.group = group;
        this.optimizer = optimizer;
    }

    public Collectives group() {
        return group;
    }

    public ZeroAdamW optimizer() {
        return optimizer;
    }

    public int worldSize() {
        return group.worldSize();
    }

    public int rank() {
        return group.rank();
    }

    /**
     * The index, among the global step's world × grad_accum micro-batches, of this rank's micro-batch {@code micro}:
     * micro·world + rank. The batch is then a function of (seed, step, rank, micro), and the world's batches of a step
     * are exactly those of one process running grad_accum × world micro-batches.
     */
    public int microBatchIndex(int micro) {
        return micro * group.worldSize() + group.rank();
    }

    /** This rank's shard of the mean gradient (see {@link ZeroAdamW#reduceGradients}). */
    public NDArray reduceGradients(Map<String, NDArray> grads, NDManager scope) {
        return optimizer.reduceGradients(grads, scope);
    }

    /** stats ← Σ over ranks, in place: the loss and L1 sums, zero counts and squared gradient norm of the world. */
    public NDArray sumOverRanks(NDArray stats) {
        group.allReduceSum(stats);
        return stats;
    }

    /** The sharded AdamW update and the all-gather of the weights. */
    public void step(NDArray gradShard, int t, double lr, double gradScale, NDManager scope) {
        optimizer.step(gradShard, t, lr, gradScale, scope);
    }

    @Override
    public void close() {
        optimizer.close();
    }
}
