package dev.prosparse.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.prosparse.config.ModelConfig;
import dev.prosparse.device.LossScaler;
import dev.prosparse.model.CausalLM;
import dev.prosparse.model.Weights;
import dev.prosparse.optim.AdamW;
import dev.prosparse.sparsity.SparsityResult;
import java.util.Map;

/** Everything a run holds while it trains; closing it frees the model and optimizer state. */
final class TrainSession implements AutoCloseable {
    final NDManager base;
    final Engine engine;
    final TrainData data;
    final ModelConfig config;
    final Weights weights;
    final Map<String, NDArray> params;
    final CausalLM model;
    final AdamW adam;
    final Device device;                 // where the weights, optimizer state and batches live (docs/gpu.md)
    final LossScaler scaler;             // fp16-mixed only, else null
    dev.prosparse.dist.DataParallel dp;  // a rank's group and ZeRO-1 optimizer (then adam is null); null alone
    long gpuPeak = -1;                   // GPU memory in use after a step, the highest so far (−1: CPU)
    int step;          // the last completed global step
    long tokensSeen;
    int lastSaved;     // the step of the newest save of this run (0: none)
    SparsityResult lastEval;

TrainSession(NDManager base, Engine engine, TrainData data, ModelConfig config, Weights weights, CausalLM model, AdamW adam,
            Device device, LossScaler scaler) {
        this.base = base;
        this.engine = engine;
        this.data = data;
        this.config = config;
        this.weights = weights;
        this.params = weights.asMap();
        this.model = model;
        this.adam = adam;
        this.device = device;
        this.scaler = scaler;
    }

    @Override
    public void close() {
        base.close();
    }
}
