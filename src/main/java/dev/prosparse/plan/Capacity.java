package dev.prosparse.plan;

import dev.prosparse.device.DeviceSetup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

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
        long[] dev = DeviceSetup.gpuMemory(index);
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
}
