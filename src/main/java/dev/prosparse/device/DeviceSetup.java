package dev.prosparse.device;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.util.cuda.CudaUtils;
import dev.prosparse.ProsparseException;
import dev.prosparse.util.Torch;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.MemoryUsage;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Starts the engine on the device a command asked for, checks the precision against it, and logs what it got. */
public final class DeviceSetup {
    private static final Logger LOG = LoggerFactory.getLogger(DeviceSetup.class);
    /** Tests only: let fp16-mixed run on the CPU (slow; for checking the code path where no GPU is). */
    static final String ALLOW_CPU_FP16 = "prosparse.allowCpuFp16";
    private static volatile Device logged;

    private DeviceSetup() {}

    /**
     * Starts libtorch, resolves {@code spec} and makes it the device of {@link Torch#newBaseManager}.
     *
     * @param where the flag or key the spec came from, for error lines
     */
    public static Device select(DeviceSpec spec, int threads, String where) {
        Engine engine = Torch.start(threads);
        Device d = spec.resolve(engine, where);
        Torch.useDevice(d);
        if (!d.equals(logged)) {
            LOG.info("Device: {}", describe(d));
            logged = d;
        }
        return d;
    }

    /** {@link #select} plus the precision check of a training run. */
    public static Device forTraining(DeviceSpec spec, Precision precision, int threads, String where, String precisionWhere) {
        Device d = select(spec, threads, where);
        if (precision == Precision.FP16_MIXED && !d.isGpu() && !Boolean.getBoolean(ALLOW_CPU_FP16)) {
            throw ProsparseException.usage(precisionWhere + " fp16-mixed needs a CUDA GPU, but this run computes on the CPU"
                    + (spec.kind() == DeviceSpec.Kind.AUTO ? " (device auto found no GPU)" : "") + ": CPUs have no FP16"
                    + " matrix units and libtorch's CPU float16 kernels are slower than float32. Use --precision fp32 here,"
                    + " or a GPU (docs/gpu.md; `prosparse doctor` shows what DJL sees)");
        }
        return d;
    }

    /** "cpu" or "cuda:0 (NVIDIA H200, 139.8 GiB, 139.1 GiB free, compute capability 9.0)". */
    public static String describe(Device d) {
        if (!d.isGpu()) {
            return "cpu";
        }
        StringBuilder b = new StringBuilder("cuda:").append(d.getDeviceId()).append(" (");
        String name = gpuName(d.getDeviceId());
        if (name != null) {
            b.append(name).append(", ");
        }
        try {
            MemoryUsage m = CudaUtils.getGpuMemory(d);
            b.append(String.format(Locale.ROOT, "%.1f GiB, %.1f GiB free, ", m.getMax() / GIB, (m.getMax() - m.getCommitted()) / GIB));
        } catch (RuntimeException | LinkageError e) {
            // no figure
        }
        try {
            b.append("compute capability ").append(CudaUtils.getComputeCapability(d.getDeviceId()));
        } catch (RuntimeException | LinkageError e) {
            b.append("compute capability ?");
        }
        return b.append(")").toString();
    }

    static final double GIB = 1024.0 * 1024 * 1024;

    /** Memory in use on the GPU (all processes, as nvidia-smi shows it), or −1 for the CPU or when unknown. */
    public static long gpuMemoryUsed(Device d) {
        if (d == null || !d.isGpu()) {
            return -1;
        }
        try {
            return CudaUtils.getGpuMemory(d).getCommitted();
        } catch (RuntimeException | LinkageError e) {
            return -1;
        }
    }

    /** The GPU's total memory, or −1. */
    public static long gpuMemoryTotal(Device d) {
        if (d == null || !d.isGpu()) {
            return -1;
        }
        try {
            return CudaUtils.getGpuMemory(d).getMax();
        } catch (RuntimeException | LinkageError e) {
            return -1;
        }
    }

    /** The GPU's marketing name from nvidia-smi, or null when that tool is not there (DJL does not expose it). */
    static String gpuName(int index) {
        return nvidiaSmi(index, "name");
    }

    /**
     * {free, total} bytes of GPU {@code index}: through DJL's CUDA runtime binding (cudaMemGetInfo), else nvidia-smi,
     * else {−1, −1}.
     */
    public static long[] gpuMemory(int index) {
        try {
            MemoryUsage m = CudaUtils.getGpuMemory(Device.gpu(index));
            return new long[] {m.getMax() - m.getCommitted(), m.getMax()};
        } catch (RuntimeException | LinkageError e) {
            // no CUDA runtime in this libtorch: ask nvidia-smi
        }
        String line = nvidiaSmi(index, "memory.free,memory.total");
        if (line == null || !line.matches("\\d+\\s*,\\s*\\d+")) {
            return new long[] {-1, -1};
        }
        String[] f = line.split(",");
        return new long[] {Long.parseLong(f[0].trim()) << 20, Long.parseLong(f[1].trim()) << 20};   // MiB
    }

    /** nvidia-smi's one-line answer to {@code --query-gpu=QUERY} (no header, no units) for GPU {@code index}, or null. */
    static String nvidiaSmi(int index, String query) {
        try {
            Process p = new ProcessBuilder("nvidia-smi", "--query-gpu=" + query, "--format=csv,noheader,nounits", "-i",
                    String.valueOf(index)).redirectErrorStream(true).start();
            String line;
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                line = r.readLine();
            }
            if (!p.waitFor(5, TimeUnit.SECONDS) || p.exitValue() != 0 || line == null || line.isBlank()) {
                p.destroy();
                return null;
            }
            return line.trim();
        } catch (java.io.IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
