package dev.prosparse.train;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prosparse.model.Activation;
import dev.prosparse.report.TargetOutcome;
import dev.prosparse.sparsity.SparsityResult;
import dev.prosparse.util.Json;

/** Parts of what a finished run reports: final_report.json's result and target objects, the closing line's note. */
final class FinalReport {
    private FinalReport() {}

    /** One result object of final_report.json: the activation, its parameter, and the evaluation. */
    static ObjectNode result(Activation act, double param, SparsityResult r) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("activation", act.hfName());
        if (act.takesParam()) {
            o.put("activation_param", param);
        }
        MetricsLog.putResult(o, r);
        return o;
    }

    /**
     * With a sparsity target ({@code l1.target_sparsity}), puts how far the trained model ended from it under
     * {@code target} and returns it; null (and nothing put) without one.
     */
    static TargetOutcome putTarget(ObjectNode report, Recipe recipe, SparsityResult trained) {
        if (recipe.l1() == null) {
            return null;
        }
        TargetOutcome t = new TargetOutcome(recipe.l1().targetSparsity(), trained.zeroFraction());
        report.set("target", t.json());
        return t;
    }

    /** Which software loads a checkpoint with this activation, for the closing line of a run. */
    static String loadsWhere(Activation act) {
        switch (act) {
            case RELU:
            case SILU:
                return "loads in prosparse and stock transformers as it is";
            case FATRELU:
                return "loads in prosparse, vLLM (FatreluAndMul) and MiniCPM-S-style remote code, not in stock transformers;"
                        + " set final_format: relu for a transformers-loadable ReLU checkpoint";
            default:
                return "loads in prosparse; stock transformers has no " + act.hfName() + " activation";
        }
    }
}
