package dev.prosparse.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prosparse.Fixtures;
import dev.prosparse.ProsparseException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RecipeTest {

    static List<Path> shipped() throws IOException {
        try (Stream<Path> s = Files.list(Fixtures.repo().resolve("configs/train"))) {
            return s.filter(p -> p.toString().endsWith(".yaml")).sorted().collect(Collectors.toList());
        }
    }

    @Test
    void everyShippedRecipeLoadsAndOpensWithItsCommand() throws IOException {
        List<Path> files = shipped();
        assertTrue(files.size() >= 9, "recipes: " + files);
        for (Path f : files) {
            Recipe r = Recipe.load(f, List.of());
            assertNotNull(r.model());
            String first = Files.readAllLines(f).get(0);
            assertTrue(first.startsWith("# prosparse train --config configs/train/" + f.getFileName()), f + " first line: " + first);
        }
    }

    @Test
    void prosparseTinyIsTheReferenceRecipe() {
        Recipe r = Recipe.load(Fixtures.repo().resolve("configs/train/prosparse-tiny.yaml"), List.of());
        L1Schedule s = new L1Schedule(r.stages());
        assertEquals(1200, s.totalSteps());
        assertEquals(List.of(360, 72, 288, 144, 288, 48), r.stages().stream().map(Stage::steps).collect(Collectors.toList()));
        assertEquals(List.of(0.0, 0.5, 5.0, 5.0, 20.0, 20.0), r.stages().stream().map(Stage::l1Lambda).collect(Collectors.toList()));
        assertEquals(5e-4, r.optimizer().lr());
        assertEquals(List.of(0.9, 0.95), r.optimizer().betas());
        assertEquals(50, r.schedule().warmupSteps());
        assertEquals(0.1, r.schedule().minLrRatio());
        assertEquals(1.0, r.gradClip());
        assertEquals(8, r.batchSize());
        assertEquals(256, r.seqLen());
    }

    @Test
    void builtInDefaultIsTheDemoRecipe() throws IOException {
        Recipe embedded = Recipe.load(null, List.of());
        Recipe file = Recipe.load(Fixtures.repo().resolve("configs/train/demo.yaml"), List.of());
        assertEquals(file, embedded);
    }

    @Test
    void overridesReachNestedKeysAndListItems() {
        Recipe r = Recipe.load(null, List.of("optimizer.lr=2e-5", "stages.2.l1_lambda=0.25", "optimizer.betas=[0.8, 0.9]",
                "final_threshold=null"));
        assertEquals(2e-5, r.optimizer().lr());
        assertEquals(0.25, r.stages().get(1).l1Lambda());
        assertEquals(List.of(0.8, 0.9), r.optimizer().betas());
        assertEquals(null, r.finalThreshold());
    }

    @Test
    void unknownKeysAreErrorsThatNameTheKey() {
        ProsparseException e = assertThrows(ProsparseException.class, () -> Recipe.load(null, List.of("optimizer.lrr=1")));
        assertTrue(e.getMessage().contains("'optimizer.lrr'"), e.getMessage());
        assertTrue(e.getMessage().contains("weight_decay"), "lists valid keys: " + e.getMessage());
        e = assertThrows(ProsparseException.class, () -> Recipe.load(null, List.of("stages.1.lamda=1")));
        assertTrue(e.getMessage().contains("stages.1.lamda"), e.getMessage());
    }

    /** A typo inside the list of stages names the typo, the key it left missing and the closest valid key. */
    @Test
    void typosInsideListsNameTheUnknownAndTheMissingKey(@TempDir Path tmp) throws IOException {
        Path typo = tmp.resolve("typo.yaml");
        Files.writeString(typo, Files.readString(Fixtures.repo().resolve("configs/train/demo.yaml"))
                .replace("{name: hold-2,    steps: 12, l1_lambda: 10.0", "{name: hold-2,    steps: 12, l1_lamda: 10.0"));
        ProsparseException e = assertThrows(ProsparseException.class, () -> Recipe.load(typo, List.of()));
        assertEquals(2, e.exitCode());
        assertEquals(typo + ": unknown key 'stages.6.l1_lamda' (did you mean 'l1_lambda'?); valid keys there: name, steps,"
                + " l1_lambda, ramp; missing key 'stages.6.l1_lambda' (a number)", e.getMessage());
        assertFalse(e.getMessage().contains("creator"), "no Jackson internals: " + e.getMessage());
    }

    @Test
    void wrongTypesAreNamedInOurWords() {
        ProsparseException e = assertThrows(ProsparseException.class,
                () -> Recipe.load(null, List.of("stages.2.l1_lambda=abc")));
        assertEquals("built-in demo recipe: key 'stages.2.l1_lambda' must be a number, got the text 'abc'", e.getMessage());
        e = assertThrows(ProsparseException.class, () -> Recipe.load(null, List.of("stages.2.steps=7.5")));
        assertEquals("built-in demo recipe: key 'stages.2.steps' must be a whole number, got 7.5", e.getMessage());
        e = assertThrows(ProsparseException.class, () -> Recipe.load(null, List.of("stages.2.ramp=cosine")));
        assertEquals("built-in demo recipe: key 'stages.2.ramp' must be one of constant, sine, got the text 'cosine'",
                e.getMessage());
        e = assertThrows(ProsparseException.class, () -> Recipe.load(null, List.of("optimizer.betas=0.9")));
        assertEquals("built-in demo recipe: key 'optimizer.betas' must be a list of numbers, got 0.9", e.getMessage());
        e = assertThrows(ProsparseException.class, () -> Recipe.load(null, List.of("stages.1=5")));
        assertEquals("built-in demo recipe: key 'stages.1' must be a mapping with the keys name, steps, l1_lambda, ramp,"
                + " got 5", e.getMessage());
        e = assertThrows(ProsparseException.class, () -> Recipe.load(null, List.of("seq_len=null")));
        assertEquals("built-in demo recipe: key 'seq_len' must be a whole number, got null", e.getMessage());
        e = assertThrows(ProsparseException.class, () -> Recipe.load(null, List.of("data.textfield=body")));
        assertTrue(e.getMessage().contains("unknown key 'data.textfield' (did you mean 'text_field'?)"), e.getMessage());
        // numbers YAML reads as text still bind (YAML 1.1 reads 2e-5 as a string)
        assertEquals(2e-5, Recipe.load(null, List.of("optimizer.lr=2e-5")).optimizer().lr());
        assertEquals(12, Recipe.load(null, List.of("stages.6.steps='12'")).stages().get(5).steps());
    }

    @Test
    void badValuesNameTheKey(@TempDir Path tmp) throws IOException {
        ProsparseException e = assertThrows(ProsparseException.class, () -> Recipe.load(null, List.of("batch_size=0")));
        assertTrue(e.getMessage().contains("batch_size"), e.getMessage());
        e = assertThrows(ProsparseException.class, () -> Recipe.load(null, List.of("stages.1.ramp=cosine")));
        assertTrue(e.getMessage().contains("ramp"), e.getMessage());
        e = assertThrows(ProsparseException.class, () -> Recipe.load(null, List.of("stages.9.steps=1")));
        assertTrue(e.getMessage().contains("stage 9 is past the end of 'stages' (6 stages, numbered 1..6)"), e.getMessage());
        // stages are numbered from 1 for users (docs/paths.md#stages): stages.1 is the first, stages.0 is refused
        assertEquals(0.5, Recipe.load(null, List.of("stages.1.l1_lambda=0.5")).stages().get(0).l1Lambda());
        e = assertThrows(ProsparseException.class, () -> Recipe.load(null, List.of("stages.0.steps=1")));
        assertTrue(e.getMessage().contains("stages are numbered from 1; the first stage is stages.1"), e.getMessage());
        Path bad = tmp.resolve("bad.yaml");
        Files.writeString(bad, "model: [unclosed\n");
        e = assertThrows(ProsparseException.class, () -> Recipe.load(bad, List.of()));
        assertTrue(e.getMessage().contains("not valid YAML"), e.getMessage());
    }

    @Test
    void firstStagesKeepsTheFirstN() {
        Recipe r = Recipe.load(null, List.of()).firstStages(2);
        assertEquals(2, r.stages().size());
        ProsparseException e = assertThrows(ProsparseException.class, () -> Recipe.load(null, List.of()).firstStages(7));
        assertTrue(e.getMessage().contains("--stages 7"), e.getMessage());
    }

    @Test
    void resolvedYamlRoundTrips() {
        Recipe r = Recipe.load(null, List.of("optimizer.lr=1e-4"));
        assertEquals(r, Recipe.bind(readYaml(r.toYaml()), "round trip"));
    }

    static com.fasterxml.jackson.databind.JsonNode readYaml(String s) {
        try {
            return Recipe.YAML.readTree(s);
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }
}
