package dev.prosparse.dist;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.prosparse.TorchTestBase;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The STAND-IN backend's collectives against hand-computed results, and a rank that dies: the other one fails, naming its op. */
class LocalGroupTest extends TorchTestBase {

    @Test
    void collectivesOnThreeRanks() {
        List<float[][]> out = LocalGroup.run(3, Duration.ofSeconds(30), c -> {
            try (NDManager m = base.newSubManager()) {
                float r = c.rank();
                NDArray x = m.create(new float[] {r, 10 * r});
                c.allReduceSum(x);                                              // [0+1+2, 0+10+20]
                NDArray in = m.create(new float[] {r, r, r, 1, 1, 1});          // [3·2]
                NDArray shard = m.zeros(new Shape(2));
                c.reduceScatterSum(in, shard);                                  // rank 0: [3, 3], 1: [3, 3], 2: [3, 3]
                NDArray gathered = m.zeros(new Shape(3));
                c.allGather(m.create(new float[] {r * r}), gathered);           // [0, 1, 4]
                NDArray b = m.create(new float[] {r + 1});
                c.broadcast(b, 2);                                              // [3]
                c.barrier();
                return new float[][] {x.toFloatArray(), shard.toFloatArray(), gathered.toFloatArray(), b.toFloatArray()};
            }
        });
        float[][] expectShard = {{3, 3}, {3, 3}, {3, 3}};
        for (int r = 0; r < 3; r++) {
            assertArrayEquals(new float[] {3, 30}, out.get(r)[0]);
            assertArrayEquals(expectShard[r], out.get(r)[1]);
            assertArrayEquals(new float[] {0, 1, 4}, out.get(r)[2]);
            assertArrayEquals(new float[] {3}, out.get(r)[3]);
        }
        // reduce-scatter hands each rank its own part
        List<float[]> parts = LocalGroup.run(2, Duration.ofSeconds(30), c -> {
            try (NDManager m = base.newSubManager()) {
                NDArray s = m.zeros(new Shape(2));
                c.reduceScatterSum(m.create(new float[] {1, 2, 3, 4}), s);
                return s.toFloatArray();
            }
        });
        assertArrayEquals(new float[] {2, 4}, parts.get(0));
        assertArrayEquals(new float[] {6, 8}, parts.get(1));
    }

    @Test
    void aRankThatDiesStopsTheOthers() {
        CollectiveFailure e = assertThrows(CollectiveFailure.class, () -> LocalGroup.run(2, Duration.ofSeconds(30), c -> {
            if (c.rank() == 1) {
                throw new CollectiveFailure("rank 1 died");
            }
            try (NDManager m = base.newSubManager()) {
                c.allReduceSum(m.create(new float[] {1}));
                return 0;
            }
        }));
        assertTrue(e.getMessage().contains("rank 1 died"), e.getMessage());
        CollectiveFailure t = assertThrows(CollectiveFailure.class, () -> LocalGroup.run(2, Duration.ofMillis(300), c -> {
            if (c.rank() == 1) {
                return 0;                 // leaves without taking part
            }
            try (NDManager m = base.newSubManager()) {
                c.allReduceSum(m.create(new float[] {1}));
                return 0;
            }
        }));
        assertTrue(t.getMessage().contains("rank 0: all_reduce #1 timed out after 0 s waiting for rank 1"), t.getMessage());
    }
}
