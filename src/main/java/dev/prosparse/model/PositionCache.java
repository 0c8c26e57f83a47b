package dev.prosparse.model;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * The rotary tables and causal masks of a model, built once per (sequence length, dtype) in a sub-manager of the
 * weights' manager (so on the weights' device) and reused by every forward pass; freed with the weights.
 */
final class PositionCache {
    private final NDManager parent;
    private final Map<String, CausalLM.Positions> cache = new HashMap<>();
    private NDManager manager;

    /** @param parent the weights' manager; null: the manager of the first batch's ids */
    PositionCache(NDManager parent) {
        this.parent = parent;
    }

    /** The tables for {@code seq} tokens in {@code dtype}, built with {@code build} (given the cache's manager) once. */
    synchronized CausalLM.Positions get(int seq, DataType dtype, NDManager fallback,
            Function<NDManager, CausalLM.Positions> build) {
        String key = seq + "/" + dtype;
        // the tables live where the batch is: with optimizer offload the weights' manager is on the host while the
        // forward pass runs on the GPU (docs/gpu.md)
        Device device = fallback.getDevice();
        if (manager != null && manager.isOpen() && !manager.getDevice().equals(device)) {
            manager.close();
        }
        CausalLM.Positions p = cache.get(key);
        if (p == null || manager == null || !manager.isOpen()) {
            if (manager == null || !manager.isOpen()) {
                manager = parent != null ? parent.newSubManager(device) : fallback.newSubManager();
                cache.clear();
            }
            p = build.apply(manager);
            cache.put(key, p);
        }
        return p;
    }
}
