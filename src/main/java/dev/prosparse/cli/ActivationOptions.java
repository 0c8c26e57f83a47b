package dev.prosparse.cli;

import dev.prosparse.ProsparseException;
import dev.prosparse.config.Activation;
import picocli.CommandLine.Option;

/** {@code --act} and {@code --threshold}, shared by convert and report sparsity, with the one check of the pair. */
final class ActivationOptions {
    @Option(names = "--act", paramLabel = "NAME",
            description = "FFN activation: silu, relu, fatrelu, shiftrelu, relu2 or drelu (convert: required; report: default each checkpoint's hidden_act).")
    String act;

    @Option(names = "--threshold", paramLabel = "T",
            description = "hidden_act_param: the threshold of fatrelu or the shift of shiftrelu (≥ 0).")
    Double threshold;

    /** The activation named by {@code --act}; a usage error when it is missing. */
    Activation required() {
        if (act == null) {
            throw ProsparseException.usage("--act is required: the new activation, for example --act relu"
                    + " (or --act fatrelu --threshold 0.01)");
        }
        return check(false);
    }

    /**
     * {@code --act} parsed with its {@code --threshold} checked (not with a sweep, whose thresholds come from
     * {@code --thresholds}), or null when neither is given (each checkpoint keeps its own activation).
     */
    Activation check(boolean sweep) {
        if (act == null) {
            if (threshold != null) {
                throw ProsparseException.usage("--threshold needs --act fatrelu or --act shiftrelu (for example --act"
                        + " fatrelu --threshold 0.01)");
            }
            return null;
        }
        Activation a = Activation.parse(act, "--act");
        if (!a.takesParam() && threshold != null) {
            throw ProsparseException.usage("--threshold applies to fatrelu and shiftrelu only, not --act " + a.hfName()
                    + "; drop --threshold");
        }
        if (!sweep) {
            a.checkParam(threshold, "--act " + a.hfName());
        }
        return a;
    }
}
