package dev.prosparse.plan;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The memory a run can use: the device's free memory (a GPU's through the CUDA runtime as DJL reads it, else
 * nvidia-smi; the CPU's is the host's) and the host's available memory (/proc/meminfo MemAvailable, capped by a
 * cgroup limit when the process runs under one). −1 where a figure cannot be read; such a check is then skipped.
 *
 * @param device "cpu" or "cuda:0"
 */
public record Capacity(String device, long deviceFree, long deviceTotal, long hostAvailable, long hostTotal) {

    /** The CPU: device and host memory are the same. */
    public static Capacity cpu() {
        long[] host = hostMemory();
        return new Capacity("cpu", host[0], host[1], host[0], host[1]);
    }

    /** GPU {@code index} and the host. */
    public static Capacity gpu(int index) {
        long[] host = hostMemory();
        long[] dev = cudaMemory(index);
        if (dev[0] < 0) {
            dev = nvidiaSmi(index);
        }
        return new Capacity("cuda:" + index, dev[0], dev[1], host[0], host[1]);
    }

    /** Figures given outright (tests, and plans for a machine other than this one). */
    public static Capacity of(String device, long deviceFree, long hostAvailable) {
        return new Capacity(device, deviceFree, -1, hostAvailable, -1);
    }

    /**
     * A GPU that need not be on this machine ({@code train --plan --device-memory}): its memory and, when known, the
     * host memory of the machine it sits in (−1: not checked). Each figure counts as both free and total.
     *
     * @param label how the device reads in the table, e.g. "cuda:0 (--device-memory 80GiB)"
     */
    public static Capacity givenGpu(String label, long deviceMemory, long hostMemory) {
        if (!label.startsWith("cuda")) {
            throw new IllegalArgumentException("a GPU label starts with cuda, got " + label);
        }
        return new Capacity(label, deviceMemory, deviceMemory, hostMemory, hostMemory);
    }

    /** This machine's device, its host figures replaced by {@code hostMemory} (available and total). */
    public Capacity withHost(long hostMemory) {
        return isGpu() ? new Capacity(device, deviceFree, deviceTotal, hostMemory, hostMemory)
                : new Capacity(device, hostMemory, hostMemory, hostMemory, hostMemory);
    }

    public boolean isGpu() {
        return device.startsWith("cuda");
    }

    /** {MemAvailable, MemTotal} in bytes, each capped by the cgroup's memory.max (minus memory.current). */
    static long[] hostMemory() {
        long avail = -1, total = -1;
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemAvailable:")) {
                    avail = kib(line);
                } else if (line.startsWith("MemTotal:")) {
                    total = kib(line);
                }
            }
        } catch (IOException | RuntimeException e) {
            return new long[] {-1, -1};
        }
        long limit = readLong(Path.of("/sys/fs/cgroup/memory.max"));
        long used = readLong(Path.of("/sys/fs/cgroup/memory.current"));
        if (limit > 0 && used >= 0) {
            avail = avail < 0 ? limit - used : Math.min(avail, limit - used);
            total = total < 0 ? limit : Math.min(total, limit);
        }
        return new long[] {avail, total};
    }

    private static long kib(String line) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
    }

    private static long readLong(Path p) {
        try {
            String s = Files.readString(p).trim();
            return s.matches("\\d+") ? Long.parseLong(s) : -1;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** {free, total} through DJL's CUDA runtime binding (cudaMemGetInfo), or {−1, −1}. */
    private static long[] cudaMemory(int index) {
        try {
            java.lang.management.MemoryUsage m = ai.djl.util.cuda.CudaUtils.getGpuMemory(ai.djl.Device.gpu(index));
            return new long[] {m.getMax() - m.getCommitted(), m.getMax()};
        } catch (RuntimeException | LinkageError e) {
            return new long[] {-1, -1};
        }
    }

    /** {free, total} from nvidia-smi (MiB), or {−1, −1}. */
    static long[] nvidiaSmi(int index) {
        try {
            Process p = new ProcessBuilder("nvidia-smi", "--query-gpu=memory.free,memory.total", "--format=csv,noheader,nounits",
                    "-i", String.valueOf(index)).redirectErrorStream(true).start();
            String line;
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                line = r.readLine();
            }
            if (!p.waitFor(5, TimeUnit.SECONDS) || p.exitValue() != 0 || line == null || !line.matches("\\s*\\d+\\s*,\\s*\\d+\\s*")) {
                p.destroy();
                return new long[] {-1, -1};
            }
            String[] f = line.split(",");
            return new long[] {Long.parseLong(f[0].trim()) << 20, Long.parseLong(f[1].trim()) << 20};
        } catch (IOException e) {
            return new long[] {-1, -1};
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new long[] {-1, -1};
        }
    }
}
