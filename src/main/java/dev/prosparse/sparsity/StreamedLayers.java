package dev.prosparse.sparsity;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.prosparse.config.ModelConfig;
import dev.prosparse.model.LayerSource;
import dev.prosparse.model.LayerTensor;
import dev.prosparse.model.LayerWeights;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A {@link LayerSource} that reads each decoder layer from the checkpoint when the walk asks for it (docs/layer-walk.md).
 * Every layer has the same shapes: layer 0's buffers are allocated once in {@code manager} and overwritten by each
 * later layer, so no layer allocates (and page-faults in) fresh memory.
 */
final class StreamedLayers implements LayerSource {
    private final ModelConfig config;
    private final TensorLoader loader;
    private final NDManager manager;
    private final List<NDArray> buffers = new ArrayList<>();
    private long loadNanos;

    StreamedLayers(ModelConfig config, TensorLoader loader, NDManager manager) {
        this.config = config;
        this.loader = loader;
        this.manager = manager;
    }

    @Override
    public LayerWeights layer(int layer) {
        long t0 = System.nanoTime();
        Map<String, NDArray> w = new HashMap<>();
        List<String> names = LayerStreamedEvaluator.layerTensors(config, layer);
        for (int i = 0; i < names.size(); i++) {
            if (buffers.size() <= i) {
                buffers.add(loader.load(names.get(i), manager));
            } else {
                loader.fill(names.get(i), buffers.get(i));
            }
            w.put(names.get(i), buffers.get(i));
        }
        loadNanos += System.nanoTime() - t0;
        return LayerWeights.from(layer, w::get);
    }

    /** Time spent reading layer weights so far. */
    long loadNanos() {
        return loadNanos;
    }
}
