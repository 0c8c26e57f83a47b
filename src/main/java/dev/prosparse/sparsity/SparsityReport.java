package dev.prosparse.sparsity;

import dev.prosparse.config.ModelConfig;
import dev.prosparse.data.EvalWindows;
import dev.prosparse.config.Activation;

/**
 * One evaluation of {@code report sparsity}: one model, one activation, one set of windows. Every rendering
 * of it (text, JSON, CSV, Markdown, charts; one report or several side by side) is in {@code dev.prosparse.report}.
 *
 * @param mode    how it was computed: {@link #MODE_WHOLE} or {@link #MODE_STREAMED}
 * @param seconds wall time of the evaluation (loading included)
 */
public record SparsityReport(String modelPath, ModelConfig config, Activation activation, double activationParam,
        String dataSource, String dataSha256, long streamTokens, EvalWindows windows, SparsityResult result,
        String mode, double seconds) {

    public static final String MODE_WHOLE = "whole-model";
    public static final String MODE_STREAMED = "layer-streamed";
}
