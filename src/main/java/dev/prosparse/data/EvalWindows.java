package dev.prosparse.data;

import dev.prosparse.ProsparseException;

/**
 * The fixed evaluation windows of {@code docs/method.md} §5: from a stream of N tokens, n windows of T+1
 * tokens starting at i·⌊(N−T−1)/n⌋ for i = 0..n−1. Loss is the mean cross-entropy of the T next-token
 * predictions of every window.
 */
public record EvalWindows(int count, int seqLen, long stride) {

    public static EvalWindows over(TokenStream stream, int count, int seqLen, String source) {
        if (count <= 0) {
            throw ProsparseException.usage("--windows must be ≥ 1, got " + count + " (for example --windows 64)");
        }
        if (seqLen <= 0) {
            throw ProsparseException.usage("--seq-len must be ≥ 1, got " + seqLen + " (for example --seq-len 256)");
        }
        long room = (long) stream.length() - seqLen - 1;
        if (room < 0 || room / count == 0 && count > 1) {
            throw ProsparseException.data(source + " has " + stream.length() + " tokens: too few for " + count
                    + " windows of " + (seqLen + 1) + " tokens; use fewer --windows, a shorter --seq-len or more data");
        }
        return new EvalWindows(count, seqLen, room / count);
    }

    public long start(int i) {
        return i * stride;
    }

    /** Total predicted tokens: windows × T. */
    public long tokens() {
        return (long) count * seqLen;
    }
}
