package dev.prosparse.train;

import dev.prosparse.optim.AdamW;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.prosparse.model.Weights;
import dev.prosparse.util.Torch;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The float16 compute copies of fp16-mixed training: once per optimizer step each float32 master is cast to a float16
 * leaf that requires a gradient (DJL's cast is not recorded by autograd, so the copies are leaves, not graph nodes);
 * the forward and backward passes run on them; after each micro-batch their float16 gradients are added, in float32,
 * to a float32 gradient per master ({@link #collect}), which is what AdamW (moments in float32) applies to the
 * masters. The copies and gradients die with the step's scope.
 */
final class MixedPrecision {
    private MixedPrecision() {}

    /** A {@link Weights} view of float16 copies of {@code master}'s parameters, in {@code scope}. */
    static Weights computeCopies(Weights master, DataType dtype, NDManager scope) {
        Map<String, NDArray> copies = new LinkedHashMap<>();
        Torch.noGrad(() -> {
            for (Map.Entry<String, NDArray> e : master.asMap().entrySet()) {
                NDArray c = e.getValue().toType(dtype, true);
                c.attach(scope);
                c.setRequiresGradient(true);
                copies.put(e.getKey(), c);
            }
            return null;
        });
        return Weights.of(scope, copies, master.tied());
    }

    /**
     * Adds the copies' gradients of one micro-batch, as float32, to {@code sums} (a new map, in scope, when null) and
     * zeroes the copies' gradients for the next micro-batch.
     */
    static Map<String, NDArray> collect(Weights copies, Map<String, NDArray> sums, NDManager scope) {
        Map<String, NDArray> out = sums != null ? sums : new LinkedHashMap<>();
        for (Map.Entry<String, NDArray> e : copies.asMap().entrySet()) {
            NDArray g = e.getValue().getGradient();
            g.attach(scope);
            NDArray g32 = g.toType(DataType.FLOAT32, true);
            out.merge(e.getKey(), g32, NDArray::add);
            ai.djl.pytorch.jni.JniUtils.zeroGrad((ai.djl.pytorch.engine.PtNDArray) e.getValue());
        }
        return out;
    }
}
