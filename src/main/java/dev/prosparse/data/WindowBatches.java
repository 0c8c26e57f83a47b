package dev.prosparse.data;

import java.util.AbstractList;
import java.util.List;

/**
 * The one loop that cuts windows of a token stream into batches: evaluation windows ({@link EvalWindows}, T+1 tokens
 * each) or windows at given start offsets. Batches hold {@code batch} windows, the last one fewer (docs/layer-walk.md).
 */
public final class WindowBatches {
    private WindowBatches() {}

    /** The evaluation windows of T+1 tokens, {@code batch} at a time, in window order. */
    public static List<WindowBatch> of(TokenStream stream, EvalWindows windows, int batch) {
        long[] starts = new long[windows.count()];
        for (int i = 0; i < starts.length; i++) {
            starts[i] = windows.start(i);
        }
        return of(stream, starts, windows.seqLen() + 1, batch);
    }

    /**
     * Windows of {@code length} tokens from each of {@code starts}, {@code batch} at a time, in order. The list is
     * lazy: each batch's ids are read from the stream when it is asked for.
     */
    public static List<WindowBatch> of(TokenStream stream, long[] starts, int length, int batch) {
        if (batch <= 0) {
            throw new IllegalArgumentException("batch must be ≥ 1, got " + batch);
        }
        return new AbstractList<>() {
            @Override
            public WindowBatch get(int index) {
                int first = Math.multiplyExact(index, batch);
                int b = Math.min(batch, starts.length - first);
                long[] ids = new long[Math.multiplyExact(b, length)];                 // [b, length]
                for (int i = 0; i < b; i++) {
                    System.arraycopy(stream.window(starts[first + i], length), 0, ids, i * length, length);
                }
                return new WindowBatch(first, b, length, ids);
            }

            @Override
            public int size() {
                return (starts.length + batch - 1) / batch;
            }
        };
    }
}
