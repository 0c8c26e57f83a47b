package dev.prosparse.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The machine a benchmark ran on, in one line: CPU model (from /proc/cpuinfo), cores, JVM; and what else shapes the timing. */
public final class Machine {
    private Machine() {}

    public static String describe() {
        String cpu = "unknown CPU";
        try {
            List<String> lines = Files.readAllLines(Path.of("/proc/cpuinfo"));
            cpu = lines.stream().filter(l -> l.startsWith("model name")).findFirst()
                    .map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse(cpu);
        } catch (IOException | RuntimeException e) {
            cpu = System.getProperty("os.arch") + " (no /proc/cpuinfo)";
        }
        return cpu + ", " + Runtime.getRuntime().availableProcessors() + " cores visible, "
                + System.getProperty("os.name") + ", Java " + System.getProperty("java.version");
    }

    /**
     * The settings that move memory-bound timings here (docs/sparse-ffn.md): libgomp's wait policy (its spinning
     * threads take a core from the Java kernels after every libtorch call unless PASSIVE), huge pages for the Java
     * heap and for libtorch's allocations, and the 1-minute load average when the bench started.
     */
    public static String environment() {
        String load = "?";
        try {
            load = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+")[0];
        } catch (IOException | RuntimeException e) {
            // not Linux: left as "?"
        }
        String thp = "?";
        try {
            thp = java.lang.management.ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class)
                    .getVMOption("UseTransparentHugePages").getValue();
        } catch (RuntimeException e) {
            // another JVM: left as "?"
        }
        return "OMP_WAIT_POLICY=" + env("OMP_WAIT_POLICY") + ", THP_MEM_ALLOC_ENABLE=" + env("THP_MEM_ALLOC_ENABLE")
                + ", JVM -XX:+UseTransparentHugePages " + thp + ", load average (1 min) at start " + load;
    }

    private static String env(String name) {
        String v = System.getenv(name);
        return v == null ? "(unset)" : v;
    }
}
