package dev.prosparse.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.prosparse.model.CausalLM;
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
 * state"). The copies and their gradients die with the step's scope; under optimizer offload {@link TrainStep} keeps
 * them instead and the offloaded update writes their next values (docs/gpu.md, "Optimizer offload").
 */
final class MixedPrecision {
    private MixedPrecision() {}

    /** A {@link Weights} view of float16 copies of {@code master}'s parameters, in {@code scope}. */
    static Weights computeCopies(Weights master, DataType dtype, NDManager scope) {
        return computeCopies(master, dtype, scope.getDevice(), true, scope);
    }

    /**
     * Copies of {@code master}'s parameters in {@code dtype} on {@code device}, in {@code scope}; with
     * {@code trainable} they are leaves that require a gradient. Masters in host memory (optimizer offload) are cast
     * there and then copied, so that only the compute dtype's bytes cross to the device; each host-side cast is freed
     * as soon as its copy exists.
     */
    static Weights computeCopies(Weights master, DataType dtype, ai.djl.Device device, boolean trainable, NDManager scope) {
        Map<String, NDArray> copies = new LinkedHashMap<>();
        Torch.noGrad(() -> {
            for (Map.Entry<String, NDArray> e : master.asMap().entrySet()) {
                NDArray c = e.getValue().toType(dtype, true);
                if (!c.getDevice().equals(device)) {
                    NDArray d = c.toDevice(device, false);
                    c.close();
                    c = d;
                }
                c.attach(scope);
                if (trainable) {
                    c.setRequiresGradient(true);
                }
                copies.put(e.getKey(), c);
            }
            return null;
        });
        return Weights.of(scope, copies, master.tied());
    }

    /**
     * Where the master weights and the optimizer state live: {@code base} (the training device), or with optimizer
     * offload a CPU sub-manager of it (host memory; docs/gpu.md, "Optimizer offload").
     */
    static NDManager stateManager(NDManager base, dev.prosparse.optim.Offload offload) {
        return offload.toHost() ? base.newSubManager(ai.djl.Device.cpu()) : base;
    }

    /**
     * Runs {@code f} on {@code model} with its weights on {@code scope}'s device: the model itself when they are there
     * already, else (optimizer offload) on float32 device copies that live as long as {@code f} runs.
     */
    static <T> T onDevice(CausalLM model, NDManager scope, java.util.function.Function<CausalLM, T> f) {
        NDArray any = model.weights().asMap().values().iterator().next();
        if (any.getDevice().equals(scope.getDevice())) {
            return f.apply(model);
        }
        try (NDManager copies = scope.newSubManager()) {
            Weights w = computeCopies(model.weights(), DataType.FLOAT32, scope.getDevice(), false, copies);
            return f.apply(model.withWeights(w));
        }
    }
}
