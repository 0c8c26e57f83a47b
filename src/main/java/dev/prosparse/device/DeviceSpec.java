package dev.prosparse.device;

import ai.djl.Device;
import ai.djl.engine.Engine;
import dev.prosparse.ProsparseException;
import java.util.Locale;

/**
 * Where a command computes: {@code auto} (the first GPU when DJL sees one, else the CPU), {@code cpu}, {@code cuda}
 * (the first GPU, required) or {@code cuda:N}. Parsed from the {@code --device} flag or the recipe key {@code device};
 * {@link #resolve} checks it against what the engine sees and names the fix when it cannot be met.
 *
 * @param kind  which of the four forms
 * @param index the GPU index of {@code cuda:N}; 0 for {@code cuda}; −1 for auto and cpu
 */
public record DeviceSpec(Kind kind, int index) {
    public enum Kind { AUTO, CPU, CUDA }

    public static final DeviceSpec AUTO = new DeviceSpec(Kind.AUTO, -1);
    public static final DeviceSpec CPU = new DeviceSpec(Kind.CPU, -1);

    /** @param where the flag or key being parsed, for the error line (e.g. "--device" or "recipe key device") */
    public static DeviceSpec parse(String s, String where) {
        DeviceSpec d = tryParse(s);
        if (d == null) {
            throw ProsparseException.usage(where + " " + s + ": expected auto, cpu, cuda or cuda:N (for example "
                    + where + " cuda:0)");
        }
        return d;
    }

    /** The spec, or null when {@code s} is not one of the four forms. */
    public static DeviceSpec tryParse(String s) {
        String v = s == null ? "" : s.trim().toLowerCase(Locale.ROOT);
        switch (v) {
            case "auto":
                return AUTO;
            case "cpu":
                return CPU;
            case "cuda":
            case "gpu":
                return new DeviceSpec(Kind.CUDA, 0);
            default:
                break;
        }
        if (v.matches("(cuda|gpu):\\d{1,3}")) {
            return new DeviceSpec(Kind.CUDA, Integer.parseInt(v.substring(v.indexOf(':') + 1)));
        }
        return null;
    }

    /** The form the flag takes ({@code auto}, {@code cpu}, {@code cuda:N}). */
    @Override
    public String toString() {
        switch (kind) {
            case AUTO:
                return "auto";
            case CPU:
                return "cpu";
            default:
                return "cuda:" + index;
        }
    }

    /**
     * The DJL device this spec means on {@code engine}. {@code cuda} with no GPU visible and an index past the GPUs
     * are usage errors (exit 2) naming what DJL found and the fix.
     *
     * @param where the flag or key the spec came from
     */
    public Device resolve(Engine engine, String where) {
        int gpus = gpuCount(engine);
        switch (kind) {
            case CPU:
                return Device.cpu();
            case AUTO:
                return gpus > 0 ? Device.gpu(0) : Device.cpu();
            default:
                if (gpus == 0) {
                    throw ProsparseException.usage(where + " " + this + ": DJL sees no GPU (engine " + engine.getEngineName()
                            + " " + engine.getVersion() + ", natives " + Natives.flavour() + "); this build computes on the"
                            + " CPU only. Get GPU natives (docs/gpu.md: mvn -Pcuda package, or PYTORCH_LIBRARY_PATH with a"
                            + " matching DJL JNI), check with `prosparse doctor`, or use --device cpu");
                }
                if (index >= gpus) {
                    throw ProsparseException.usage(where + " " + this + ": this machine has " + gpus + " GPU"
                            + (gpus == 1 ? " (cuda:0)" : "s (cuda:0 .. cuda:" + (gpus - 1) + ")") + "; choose one of those"
                            + " (or set CUDA_VISIBLE_DEVICES)");
                }
                return Device.gpu(index);
        }
    }

    /** GPUs the engine sees (0 when it has no CUDA support or the driver is missing). */
    public static int gpuCount(Engine engine) {
        try {
            return engine.getGpuCount();
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            return 0;
        }
    }
}
