package dev.prosparse.convert;

import dev.prosparse.ProsparseException;
import dev.prosparse.config.ModelConfig;
import dev.prosparse.io.CheckpointFiles;
import dev.prosparse.config.Activation;
import dev.prosparse.model.Weights;

/** Validation of a conversion's inputs: the activation and its parameter, and the source checkpoint. */
public final class ConvertChecks {
    private ConvertChecks() {}

    /**
     * The {@code hidden_act_param} to write: {@code --threshold} is refused for an activation that takes none,
     * and checked (present, ≥ 0) for one that does.
     */
    public static double activationParam(Activation act, Double threshold) {
        if (!act.takesParam() && threshold != null) {
            throw ProsparseException.usage("--threshold applies to fatrelu and shiftrelu only, not --act " + act.hfName()
                    + "; drop --threshold");
        }
        return act.checkParam(threshold, "--act " + act.hfName());
    }

    /** The source's tensors match its config.json, and the preset's dimensions when one is named. */
    static void source(ModelConfig config, CheckpointFiles files, ConvertRequest r) {
        Weights.validate(config, files, r.source().toString());
        if (r.preset() != null) {
            r.preset().check(config, r.source());
        }
    }

    /**
     * Why there is nothing to do — the source already has the activation (and parameter) and every tensor the
     * target dtype — or null when there is a conversion to make or {@code --force} asks for a copy anyway.
     */
    static String nothingToDo(ModelConfig config, CheckpointFiles files, ConvertRequest r, double param) {
        Activation act = r.activation();
        boolean sameAct = config.hiddenAct() == act && (!act.takesParam() || config.hiddenActParam() == param);
        boolean dtypeNoop = files.names().stream()
                .allMatch(n -> r.dtype().target(files.info(n).dtype()) == files.info(n).dtype());
        if (!sameAct || !dtypeNoop || r.force()) {
            return null;
        }
        return r.source() + " already uses hidden_act " + act.hfName()
                + (act.takesParam() ? " with hidden_act_param " + param : "")
                + "; nothing to do (pass --force to write a copy to " + r.out() + " anyway)";
    }
}
