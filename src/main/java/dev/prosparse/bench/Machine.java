package dev.prosparse.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The machine a benchmark ran on, in one line: CPU model (from /proc/cpuinfo), cores, JVM. */
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
}
