package dev.prosparse.train;

import dev.prosparse.config.Activation;
import dev.prosparse.hub.ModelResolver;
import dev.prosparse.io.HfCheckpoint;
import java.nio.file.Path;

/**
 * Everything a run needs that can be checked before its folder exists, so that a failed start leaves nothing behind
 * (see {@code docs/bad-inputs.md}): the model (resolved, its config.json, weights and tokenizer readable), the
 * activation and its threshold, and the training and evaluation data (found, of a known type, first document readable).
 */
public final class Preflight {
    private Preflight() {}

    /** @return the model's checkpoint folder */
    public static Path check(Recipe recipe, boolean download) {
        Path modelDir = ModelResolver.forRecipe(recipe.model(), download);
        HfCheckpoint source = HfCheckpoint.open(modelDir);
        source.files().close();
        source.tokenizer().close();
        Activation act = Activation.parse(recipe.activation(), "recipe key activation");
        act.checkParam(recipe.threshold(), "recipe key threshold");
        recipe.data().trainSource().check();
        recipe.data().evalSource().check();
        return modelDir;
    }
}
