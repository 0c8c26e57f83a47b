package dev.prosparse.data;

/**
 * Consecutive windows of a token stream, batched for one forward pass (see {@link WindowBatches}).
 *
 * @param first  index of the first window in the batch
 * @param count  windows in the batch (B)
 * @param length tokens per window (T+1 for evaluation windows: inputs and their next-token targets)
 * @param ids    [B, length] row-major token ids
 */
public record WindowBatch(int first, int count, int length, long[] ids) {}
