package dev.prosparse.train;

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
 * the forward and backward passes of every micro-batch run on them and libtorch accumulates their float16 gradients
 * in place. The update reads those float16 gradients one tensor at a time, casting each to float32 just before its
 * AdamW update; there is no float32 gradient set, so the state is 16 bytes per parameter (docs/gpu.md, "Training
 * state"). The copies and their gradients die with the step's scope.
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
}
