package dev.prosparse.predict;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** This process's peak resident memory (Java heap, libtorch's host tensors, direct buffers, the JVM itself). */
final class HostMemory {
    private static final Path STATUS = Path.of("/proc/self/status");

    private HostMemory() {}

    /** VmHWM of /proc/self/status in bytes (the kernel's high-water mark of resident memory), or −1 off Linux. */
    static long peakResidentBytes() {
        try {
            for (String line : Files.readAllLines(STATUS, StandardCharsets.US_ASCII)) {
                if (line.startsWith("VmHWM:")) {
                    return parseKib(line);
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or no procfs
        }
        return -1;
    }

    /** "VmHWM:\t  123456 kB" → 123456 · 1024. */
    static long parseKib(String line) {
        String v = line.substring(line.indexOf(':') + 1).trim();
        if (!v.endsWith("kB")) {
            throw new IllegalArgumentException("unexpected /proc/self/status line: " + line);
        }
        return Long.parseLong(v.substring(0, v.length() - 2).trim()) * 1024;
    }
}
