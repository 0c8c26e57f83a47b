package dev.prosparse.sparsity;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which evaluated checkpoint a trained one came from, by hand-written prosparse.json files. */
class SourceLinkTest {
    @TempDir
    Path tmp;

    private Path dir(String rel) throws IOException {
        return Files.createDirectories(tmp.resolve(rel));
    }

    private static void sidecar(Path d, String json) throws IOException {
        Files.writeString(d.resolve("prosparse.json"), json);
    }

    @Test
    void theSameFolderOrAUniqueFolderOfTheSameName() throws IOException {
        Path src = dir("models/tiny-llama"), run = dir("runs/a/final"), other = dir("runs/b/final");
        sidecar(run, "{\"tool\": \"prosparse\", \"command\": \"train\", \"source_checkpoint\": \"" + src + "\"}");
        // recorded on another machine: only the folder name matches
        sidecar(other, "{\"command\": \"train\", \"source_checkpoint\": \"/elsewhere/checkpoints/tiny-llama\"}");
        assertArrayEquals(new int[] {1, -1, 1}, SourceLink.sources(List.of(run, src, other)));
        assertEquals(1, TrainingFreeRun.baseline(new int[] {1, -1, 1}), "the baseline is the source, row 1");
    }

    @Test
    void noGuessWithoutATrainSidecarOrWithTwoCandidates() throws IOException {
        Path a = dir("x/tiny-llama"), b = dir("y/tiny-llama"), run = dir("runs/r/final"), conv = dir("conv");
        sidecar(run, "{\"command\": \"train\", \"source_checkpoint\": \"/elsewhere/tiny-llama\"}");
        sidecar(conv, "{\"command\": \"convert\", \"source_checkpoint\": \"" + a + "\"}");
        assertArrayEquals(new int[] {-1, -1, -1}, SourceLink.sources(List.of(run, a, b)), "two folders named tiny-llama");
        assertArrayEquals(new int[] {-1, -1}, SourceLink.sources(List.of(conv, a)), "a conversion is not a training run");
        sidecar(run, "{\"command\": \"train\", \"source_checkpoint\": ");
        assertNull(SourceLink.recordedSource(run), "a cut-off sidecar links nothing");
        assertNull(SourceLink.recordedSource(a), "no sidecar");
        assertEquals(0, TrainingFreeRun.baseline(new int[] {-1, -1}), "no link: the --model");
    }
}
