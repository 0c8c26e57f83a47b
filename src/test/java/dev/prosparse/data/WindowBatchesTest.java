package dev.prosparse.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The one batching loop over evaluation windows: order, sizes and ids, checked against the stream by hand. */
class WindowBatchesTest {

    @Test
    void evaluationWindowsInBatchesTheLastOneShort() {
        int[] tokens = new int[100];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = 1000 + i;
        }
        TokenStream stream = new TokenStream(tokens, 1);
        EvalWindows windows = new EvalWindows(5, 3, 19);         // windows of 4 tokens at 0, 19, 38, 57, 76
        List<WindowBatch> batches = WindowBatches.of(stream, windows, 2);
        assertEquals(3, batches.size());
        assertEquals(0, batches.get(0).first());
        assertEquals(2, batches.get(0).count());
        assertArrayEquals(new long[] {1000, 1001, 1002, 1003, 1019, 1020, 1021, 1022}, batches.get(0).ids());
        assertArrayEquals(new long[] {1038, 1039, 1040, 1041, 1057, 1058, 1059, 1060}, batches.get(1).ids());
        assertEquals(2, batches.get(1).first());
        assertEquals(4, batches.get(2).first());
        assertEquals(1, batches.get(2).count());
        assertEquals(4, batches.get(2).length());
        assertArrayEquals(new long[] {1076, 1077, 1078, 1079}, batches.get(2).ids());
    }

    @Test
    void windowsAtGivenStarts() {
        int[] tokens = {5, 6, 7, 8, 9, 10};
        List<WindowBatch> batches = WindowBatches.of(new TokenStream(tokens, 1), new long[] {4, 0, 2}, 2, 8);
        assertEquals(1, batches.size());
        assertEquals(3, batches.get(0).count());
        assertArrayEquals(new long[] {9, 10, 5, 6, 7, 8}, batches.get(0).ids());
    }
}
