package dev.prosparse.device;

import ai.djl.Device;
import dev.prosparse.ProsparseException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Turns libtorch's CUDA errors during training into one line that names the fix. */
public final class GpuErrors {
    private GpuErrors() {}

    /** Whether an engine error is libtorch running out of device memory. */
    public static boolean isOutOfMemory(Throwable e) {
        for (Throwable c = e; c != null; c = c.getCause()) {
            String m = c.getMessage();
            if (m != null && (m.contains("out of memory") || m.contains("CUDA_ERROR_OUT_OF_MEMORY"))) {
                return true;
            }
        }
        return false;
    }

    /**
     * The recipe's memory knobs as the error quotes them (plain values: this package sits below {@code train}).
     *
     * @param offload {@code optimizer.offload: cpu} is set
     */
    public record Knobs(int batchSize, int seqLen, Precision precision, boolean activationCheckpointing, boolean offload) {

        /**
         * The changes that can still lower the memory, as recipe edits: only knobs not already at their lighter value
         * (fp16-mixed and offload only on a GPU: on the CPU they save nothing or are not supported).
         */
        List<String> advice(boolean gpu) {
            List<String> out = new ArrayList<>();
            if (batchSize > 1) {
                out.add("lower batch_size (raise grad_accum to keep the tokens per step)");
            }
            out.add("lower seq_len");
            if (!activationCheckpointing) {
                out.add("set activation_checkpointing: true");
            }
            if (gpu && precision != Precision.FP16_MIXED) {
                out.add("set precision: fp16-mixed");
            }
            if (gpu && !offload) {
                out.add("set optimizer.offload: cpu (master weights and AdamW moments in host memory)");
            }
            return out;
        }
    }

    /**
     * An out-of-memory error at step t as one line (exit 5) with the peak memory and the knobs still free to turn; any
     * other engine error is rethrown as it is.
     */
    public static RuntimeException outOfMemory(RuntimeException e, int step, Device device, long peakBytes, Knobs r,
            Path run, String lastSave) {
        if (!isOutOfMemory(e)) {
            return e;
        }
        long total = DeviceSetup.gpuMemoryTotal(device);
        String mem = peakBytes > 0 && total > 0
                ? String.format(Locale.ROOT, "%.1f of %.1f GiB in use", peakBytes / DeviceSetup.GIB, total / DeviceSetup.GIB)
                : "memory full";
        boolean gpu = device != null && device.isGpu();
        return new ProsparseException(ProsparseException.Kind.IO, String.format(Locale.ROOT,
                "out of %s memory at step %d (%s; batch_size %d × seq_len %d, precision %s, activation_checkpointing %s,"
                        + " optimizer.offload %s); nothing after the last save was written (last save: %s). In %s: %s;"
                        + " 'prosparse train --resume %s --plan' prints what each part needs, then continue with --resume %s",
                gpu ? "GPU cuda:" + device.getDeviceId() : "device", step, mem, r.batchSize(), r.seqLen(), r.precision(),
                r.activationCheckpointing(), r.offload() ? "cpu" : "none", lastSave, run.resolve("recipe.yaml"),
                String.join(", or ", r.advice(gpu)), run, run), e);
    }
}
