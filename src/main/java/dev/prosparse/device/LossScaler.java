package dev.prosparse.device;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Dynamic loss scaling for fp16-mixed training, as PyTorch's GradScaler does it: the loss is multiplied by
 * {@link #scale()} before backward; a step whose gradients hold an inf or NaN is skipped and the scale halved; after
 * {@code growthInterval} clean steps in a row the scale doubles. A scale below 1 means the overflow is not a matter of
 * range: training has diverged ({@link #diverged()}).
 *
 * <p>Its state (scale and the clean-step count) goes into trainer_state.json so that resume continues exactly.
 */
public final class LossScaler {
    public static final double INITIAL_SCALE = 65536.0;
    public static final int GROWTH_INTERVAL = 2000;

    private final int growthInterval;
    private double scale;
    private int cleanSteps;
    private long skipped;

    public LossScaler() {
        this(INITIAL_SCALE, GROWTH_INTERVAL);
    }

    public LossScaler(double initialScale, int growthInterval) {
        this.scale = initialScale;
        this.growthInterval = growthInterval;
    }

    /** The factor the loss is multiplied by before backward. */
    public double scale() {
        return scale;
    }

    /** Steps skipped since the run began. */
    public long skipped() {
        return skipped;
    }

    /**
     * Records the outcome of one step: {@code finite} false means the step's update was skipped.
     *
     * @return whether the update should be applied
     */
    public boolean update(boolean finite) {
        if (!finite) {
            skipped++;
            cleanSteps = 0;
            scale = scale / 2;
            return false;
        }
        if (++cleanSteps >= growthInterval) {
            scale = scale * 2;
            cleanSteps = 0;
        }
        return true;
    }

    /** The scale fell below 1: the gradients overflow even unscaled. */
    public boolean diverged() {
        return scale < 1.0;
    }

    public void saveState(ObjectNode state) {
        ObjectNode o = state.putObject("loss_scaler");
        o.put("scale", scale);
        o.put("clean_steps", cleanSteps);
        o.put("skipped_steps", skipped);
    }

    public void restoreState(JsonNode state) {
        JsonNode o = state.path("loss_scaler");
        if (o.isObject()) {
            scale = o.path("scale").asDouble(INITIAL_SCALE);
            cleanSteps = o.path("clean_steps").asInt(0);
            skipped = o.path("skipped_steps").asLong(0);
        }
    }
}
