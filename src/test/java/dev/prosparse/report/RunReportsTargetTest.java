package dev.prosparse.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The sparsity chart draws the controller's target when metrics.jsonl has one, and nothing extra otherwise. */
class RunReportsTargetTest {

    static Charts.Line sparsityChart(Path dir) {
        return RunReports.charts(TrainingMetrics.read(dir)).stream().filter(c -> c.title().startsWith("Activation sparsity"))
                .findFirst().orElseThrow();
    }

    @Test
    void targetSeriesOnlyWhereTheControllerSetOne(@TempDir Path tmp) throws IOException {
        Path dir = RunReportsTest.run(tmp, 60, true, true);
        assertTrue(sparsityChart(dir).series().stream().noneMatch(s -> s.name().startsWith("target")), "no controller, no target");

        // the same run with a controller: target_sparsity on the train lines after stage 0 (step > 20)
        List<String> lines = Files.readAllLines(dir.resolve("metrics.jsonl"));
        StringBuilder out = new StringBuilder();
        for (String l : lines) {
            if (l.startsWith("{\"type\":\"train\"")) {
                int step = Integer.parseInt(l.replaceAll(".*\"step\":(\\d+),.*", "$1"));
                if (step > 20) {
                    l = l.substring(0, l.length() - 1) + ",\"target_sparsity\":" + (0.6 + step / 200.0) + "}";
                }
            }
            out.append(l).append('\n');
        }
        Files.writeString(dir.resolve("metrics.jsonl"), out);
        Charts.Series target = sparsityChart(dir).series().stream().filter(s -> s.name().startsWith("target")).findFirst()
                .orElseThrow();
        assertArrayEquals(new double[] {25, 30, 35, 40, 45, 50, 55, 60}, target.x());
        assertEquals(100 * (0.6 + 25 / 200.0), target.y()[0], 1e-9, "in percent, like the other series");
        RunReports.write(dir);                                              // and the charts still render
        assertTrue(Files.isRegularFile(dir.resolve("reports/sparsity.png")));
    }
}
