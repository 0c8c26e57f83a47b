package dev.prosparse.device;

import ai.djl.Device;
import dev.prosparse.ProsparseException;
import java.nio.file.Path;
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

    /** The recipe's memory knobs as the error quotes them (plain values: this package sits below {@code train}). */
    public record Knobs(int batchSize, int seqLen, Precision precision, boolean activationCheckpointing) {}

    /**
     * An out-of-memory error at step t as one line (exit 5) with the peak memory and the knobs to turn; any other engine
     * error is rethrown as it is.
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
        return new ProsparseException(ProsparseException.Kind.IO, String.format(Locale.ROOT,
                "out of %s memory at step %d (%s; batch_size %d × seq_len %d, precision %s, activation_checkpointing %s);"
                        + " nothing after the last save was written (last save: %s). Lower batch_size (raise grad_accum to"
                        + " keep the tokens per step) or seq_len, or set activation_checkpointing: true or precision:"
                        + " fp16-mixed, in %s, then continue with --resume %s",
                device != null && device.isGpu() ? "GPU cuda:" + device.getDeviceId() : "device", step, mem, r.batchSize(), r.seqLen(),
                r.precision(), r.activationCheckpointing(), lastSave, run.resolve("recipe.yaml"), run), e);
    }
}
