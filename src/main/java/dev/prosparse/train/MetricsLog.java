package dev.prosparse.train;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prosparse.sparsity.SparsityResult;
import dev.prosparse.util.Durations;
import dev.prosparse.util.Json;
import dev.prosparse.util.Progress;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The run's record of itself: one {@code metrics.jsonl} line per logged step and per evaluation (fields in
 * docs/report-formats.md), and the matching console line (a progress bar on a terminal, a log line otherwise).
 */
final class MetricsLog {
    private static final Logger LOG = LoggerFactory.getLogger(MetricsLog.class);

    private final RunDir run;
    private final L1Schedule schedule;
    private final boolean writes;        // false on ranks other than 0 of a distributed run: rank 0 keeps the record

    MetricsLog(RunDir run, L1Schedule schedule) {
        this(run, schedule, true);
    }

    MetricsLog(RunDir run, L1Schedule schedule, boolean writes) {
        this.run = run;
        this.schedule = schedule;
        this.writes = writes;
    }

    /** Step t's training line. */
    void step(int t, double lambda, double lr, TrainStep.Stats s, long tokensSeen, double tokensPerS, double etaSeconds,
            LambdaPolicy policy, Progress bar) {
        if (!writes) {
            return;
        }
        int stage = schedule.stageAt(t);
        String stageName = schedule.stages().get(stage).name();
        double loss = s.lmLoss() + lambda * s.l1();
        ObjectNode m = Json.MAPPER.createObjectNode();
        m.put("type", "train");
        m.put("step", t);
        m.put("stage", stage);
        m.put("stage_name", stageName);
        m.put("lambda", lambda);
        m.put("lr", lr);
        m.put("loss", loss);
        m.put("lm_loss", s.lmLoss());
        m.put("l1", s.l1());
        m.put("grad_norm", s.gradNorm());
        m.put("train_zero_fraction", s.zeroFraction());
        m.put("tokens", tokensSeen);
        m.put("tokens_per_s", Math.round(tokensPerS));
        if (s.lossScale() > 0) {                     // fp16-mixed
            m.put("loss_scale", s.lossScale());
            m.put("skipped", s.skipped());
            m.put("skipped_steps", s.skippedTotal());
        }
        if (s.gpuPeakBytes() >= 0) {                 // on a GPU: memory in use (all processes), the highest so far
            m.put("gpu_memory_peak_bytes", s.gpuPeakBytes());
        }
        policy.describe(t, m);
        run.appendMetrics(m);
        if (bar.isTerminal()) {
            bar.update(t, String.format(Locale.ROOT, "loss %.3f sparsity %.1f%%", s.lmLoss(), 100 * s.zeroFraction()));
        } else {
            LOG.info(String.format(Locale.ROOT,
                    "stage %d/%d %-10s step %d/%d  loss %.4f  lm %.4f  l1 %.4f  λ %.4g  lr %.2e  sparsity %.1f%%  %,.0f tok/s  ETA %s",
                    stage + 1, schedule.stages().size(), stageName, t, schedule.totalSteps(), loss, s.lmLoss(), s.l1(), lambda,
                    lr, 100 * s.zeroFraction(), tokensPerS, Durations.format(etaSeconds)));
        }
    }

    /** An evaluation on the fixed windows after step t (t = 0: before training; stage −1). */
    void eval(int t, int stage, double lambda, SparsityResult r) {
        if (!writes) {
            return;
        }
        ObjectNode m = Json.MAPPER.createObjectNode();
        m.put("type", "eval");
        m.put("step", t);
        m.put("stage", stage);
        m.put("lambda", lambda);
        putResult(m, r);
        run.appendMetrics(m);
        LOG.info(String.format(Locale.ROOT, "eval @ step %d: loss %.4f  perplexity %.3f  sparsity %.2f%%", t, r.loss(),
                r.perplexity(), 100 * r.zeroFraction()));
    }

    /** The closing line of a run (type final), with final_report.json's content. */
    void finish(int t, ObjectNode report) {
        if (!writes) {
            return;
        }
        ObjectNode m = Json.MAPPER.createObjectNode();
        m.put("type", "final");
        m.put("step", t);
        m.setAll(report);
        run.appendMetrics(m);
    }

    /** loss, perplexity, zero_fraction and layer_zero_fraction of an evaluation. */
    static void putResult(ObjectNode o, SparsityResult r) {
        o.put("loss", r.loss());
        o.put("perplexity", r.perplexity());
        o.put("zero_fraction", r.zeroFraction());
        ArrayNode layers = o.putArray("layer_zero_fraction");
        for (int l = 0; l < r.layers(); l++) {
            layers.add(r.zeroFraction(l));
        }
    }
}
