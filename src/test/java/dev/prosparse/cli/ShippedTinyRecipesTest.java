package dev.prosparse.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prosparse.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every shipped tiny recipe (and prosparse-small) runs as shipped: its {@code model} resolves by name — bundled in
 * {@code checkpoints/} or among the project's fixtures beside it (docs/paths.md) — and it trains. Shortened to two
 * one-step stages of one 16-token sequence on the small validation split, so that the whole set takes seconds; the
 * recipe's model, activation, threshold, controller and final threshold are kept.
 */
class ShippedTinyRecipesTest {
    private static final String TWO_STEPS = "stages=[{name: swap, steps: 1, l1_lambda: 0, ramp: constant},"
            + " {name: l1, steps: 1, l1_lambda: 1, ramp: sine}]";

    @Test
    void everyShippedTinyRecipeTrainsTwoSteps(@TempDir Path tmp) throws IOException {
        List<Path> recipes;
        try (Stream<Path> s = Files.list(Fixtures.repo().resolve("configs/train"))) {
            recipes = s.filter(p -> p.getFileName().toString().matches(".*tiny.*\\.yaml|prosparse-small\\.yaml")).sorted()
                    .collect(Collectors.toList());
        }
        assertEquals(10, recipes.size(), "the shipped tiny recipes and prosparse-small: " + recipes);
        for (Path recipe : recipes) {
            String name = recipe.getFileName().toString().replace(".yaml", "");
            Cli r = Cli.run("train", "--config", recipe.toString(), "--run-name", name, "--threads", "2",
                    "--set", "output_dir=" + tmp, "--set", TWO_STEPS, "--set", "schedule.warmup_steps=0",
                    "--set", "seq_len=16", "--set", "batch_size=1", "--set", "grad_accum=1",
                    "--set", "data.train=embedded:valid", "--set", "eval.windows=1", "--set", "eval.every=0",
                    "--set", "save.every=0", "--set", "log_every=1", "--set", "device=cpu");
            assertEquals(0, r.exitCode(), name + ": " + r.err());
            Path fin = tmp.resolve(name).resolve("final");
            assertTrue(Files.isRegularFile(fin.resolve("config.json")), name + " wrote final/: " + r.err());
            assertEquals(fin.toString(), r.out().strip(), name + " prints its final/ folder");
        }
    }
}
