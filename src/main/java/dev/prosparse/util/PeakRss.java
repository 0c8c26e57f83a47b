package dev.prosparse.util;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/** The process's peak resident memory, as Linux reports it (VmHWM of /proc/self/status). */
public final class PeakRss {
    private static final Path STATUS = Path.of("/proc/self/status");

    private PeakRss() {}

    /** VmHWM in bytes; empty where there is no procfs (not Linux) or it cannot be read. */
    public static OptionalLong bytes() {
        try {
            for (String line : Files.readAllLines(STATUS)) {
                if (line.startsWith("VmHWM:")) {
                    return OptionalLong.of(parseKib(line));
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or an unexpected format: no figure
        }
        return OptionalLong.empty();
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
