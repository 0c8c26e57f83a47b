package dev.prosparse.cli;

import static dev.prosparse.cli.BadInputCliTest.assertOneLine;
import static dev.prosparse.cli.BadInputCliTest.report;

import dev.prosparse.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checkpoints whose weights disagree with their config.json, and configs asking for what is not implemented:
 * one line naming the tensor or the key, exit 3.
 */
class FamilyBadInputCliTest {

    static Path copy(String fixture, Path tmp) throws IOException {
        Path dst = tmp.resolve(fixture);
        Files.createDirectories(dst);
        try (Stream<Path> s = Files.list(Fixtures.model(fixture))) {
            for (Path p : (Iterable<Path>) s::iterator) {
                Files.copy(p, dst.resolve(p.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        return dst;
    }

    static void edit(Path dir, String from, String to) throws IOException {
        Path c = dir.resolve("config.json");
        String text = Files.readString(c);
        if (!text.contains(from)) {
            throw new IllegalStateException(from + " not in " + c);
        }
        Files.writeString(c, text.replace(from, to));
    }

    @Test
    void missingQNorm(@TempDir Path tmp) throws IOException {
        Path m = copy("tiny-llama3", tmp);                       // no q_norm / k_norm tensors
        edit(m, "\"model_type\": \"llama\"", "\"model_type\": \"qwen3\"");
        assertOneLine(report(m), 3, "tensor 'model.layers.0.self_attn.q_norm.weight' is missing", "qwen3");
    }

    @Test
    void biasWhereTheConfigSaysNone(@TempDir Path tmp) throws IOException {
        Path m = copy("tiny-qwen2", tmp);                        // q/k/v biases in every layer
        edit(m, "\"model_type\": \"qwen2\"", "\"model_type\": \"mistral\"");
        assertOneLine(report(m), 3, "tensor 'model.layers.0.self_attn.", ".bias' is present", "mistral");
    }

    @Test
    void unsupportedRopeType(@TempDir Path tmp) throws IOException {
        Path m = copy("tiny-llama3", tmp);
        edit(m, "\"rope_type\": \"llama3\"", "\"rope_type\": \"longrope\"");
        assertOneLine(report(m), 3, "rope_parameters.rope_type \"longrope\" is not supported", "\"default\" and \"llama3\"");
    }

    @Test
    void unsupportedModelType(@TempDir Path tmp) throws IOException {
        Path m = copy("tiny-mistral", tmp);
        edit(m, "\"model_type\": \"mistral\"", "\"model_type\": \"mixtral\"");
        assertOneLine(report(m), 3, "model_type \"mixtral\" is not supported", "llama, mistral, qwen2, qwen3, minicpm");
    }
}
