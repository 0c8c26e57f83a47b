package dev.prosparse.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A missed sparsity target is said in words, with the distance, in the summary (the figures of the run). */
class TargetOutcomeTest {

    @Test
    void distanceAndToleranceByHand() {
        // target 80 %, ended at 70.77 %: 9.23 points below, more than 1
        TargetOutcome miss = new TargetOutcome(0.80, 0.7077);
        assertEquals(-9.23, miss.distancePoints(), 1e-9);
        assertTrue(miss.missed());
        assertEquals("Target sparsity 80.00% MISSED: the trained model ended at 70.77%, 9.23 points below it (more than"
                + " the 1-point tolerance); train longer (the controller needs steps to get there) or raise l1.lambda_max"
                + " if λ sat at its cap", miss.sentence());
        // 0.6 points above 85 %: reached
        TargetOutcome hit = new TargetOutcome(0.85, 0.856);
        assertFalse(hit.missed());
        assertTrue(hit.sentence().startsWith("Target sparsity 85.00% reached: the trained model ended at 85.60%, 0.60"
                + " points above it"), hit.sentence());
        TargetOutcome over = new TargetOutcome(0.85, 0.8615);
        assertTrue(over.missed(), "1.15 points above is a miss too");
        assertTrue(over.sentence().contains("ended at 86.15%, 1.15 points above it (more than the 1-point tolerance); the"
                + " model is sparser than asked"), over.sentence());
        assertEquals(miss, TargetOutcome.of(miss.json()), "final_report.json's target object reads back");
    }

    @Test
    void summaryStatesTheMissedTarget(@TempDir Path tmp) throws IOException {
        Path dir = RunReportsTest.run(tmp, 60, true, true);
        assertFalse(RunReports.summary(TrainingMetrics.read(dir)).contains("Target sparsity"), "no target, no line");
        List<String> lines = Files.readAllLines(dir.resolve("metrics.jsonl"));
        StringBuilder out = new StringBuilder();
        for (String l : lines) {
            if (l.startsWith("{\"type\":\"final\"")) {
                l = l.substring(0, l.length() - 1) + ",\"target\":" + new TargetOutcome(0.80, 0.7077).json() + "}";
            }
            out.append(l).append('\n');
        }
        Files.writeString(dir.resolve("metrics.jsonl"), out);
        String summary = RunReports.summary(TrainingMetrics.read(dir));
        assertTrue(summary.contains("\n**Target sparsity 80.00% MISSED: the trained model ended at 70.77%, 9.23 points below"
                + " it (more than the 1-point tolerance);"), summary);
    }
}
