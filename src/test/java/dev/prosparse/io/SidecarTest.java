package dev.prosparse.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.prosparse.util.Json;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The one prosparse.json schema. Key names come from what readers already rely on: the README's list for a
 * conversion, and the keys training saves have always carried (source_checkpoint, activation, activation_param,
 * step, stage, l1_lambda, tool, version, date).
 */
class SidecarTest {
    @TempDir
    Path tmp;

    @Test
    void conversionHasTheReadmeKeysWithExplicitNulls() throws IOException {
        Sidecar.Source src = new Sidecar.Source("tiny-llama", "/abs/tiny-llama", "bundled", "tiny-llama", null, null,
                "silu", null, List.of(new Sidecar.SourceFile("config.json", 712, null),
                        new Sidecar.SourceFile("model.safetensors", 9_000, "ab".repeat(32))), null);
        Sidecar s = Sidecar.conversion("relu", null, new Sidecar.Conversion("keep", null, src,
                List.of(new Sidecar.WeightFile("model.safetensors", 39, "bytes"))));
        s.write(tmp);
        JsonNode j = Json.MAPPER.readTree(tmp.resolve("prosparse.json").toFile());
        assertEquals(List.of("tool", "version", "date", "command", "activation", "threshold", "dtype", "max_shard_size",
                "source", "weight_files"), keys(j));
        assertEquals(List.of("model", "path", "resolved_from", "preset", "hub_id", "revision", "hidden_act", "files"),
                keys(j.get("source")));
        assertEquals("prosparse", j.get("tool").asText());
        assertEquals("convert", j.get("command").asText());
        assertTrue(j.get("threshold").isNull(), "relu takes no threshold: null, not absent");
        assertTrue(j.get("max_shard_size").isNull());
        assertTrue(j.at("/source/hub_id").isNull());
        assertEquals(Instant.parse(j.get("date").asText()), Instant.parse(j.get("date").asText()).truncatedTo(
                java.time.temporal.ChronoUnit.SECONDS), "ISO-8601, to the second");
        assertFalse(j.at("/source/files/0").has("sha256"), "a hash only where one was taken");
        assertEquals("ab".repeat(32), j.at("/source/files/1/sha256").asText());
        assertEquals("bytes", j.at("/weight_files/0/copy").asText());
        assertEquals(39, j.at("/weight_files/0/tensors").asInt());
    }

    @Test
    void conversionCarriesTheSourceParamAndItsOwnSidecar() {
        JsonNode previous = Json.MAPPER.createObjectNode().put("command", "train");
        Sidecar.Source src = new Sidecar.Source("m", "/m", "folder", null, "org/m", "abc", "fatrelu", 0.01, List.of(),
                previous);
        JsonNode j = Sidecar.conversion("fatrelu", 0.02, new Sidecar.Conversion("bf16", 5_000_000_000L, src, List.of()))
                .toJson();
        assertEquals(0.02, j.get("threshold").asDouble(), 0.0);
        assertEquals(5_000_000_000L, j.get("max_shard_size").asLong());
        assertEquals(0.01, j.at("/source/hidden_act_param").asDouble(), 0.0);
        assertEquals("train", j.at("/source/prosparse/command").asText());
    }

    @Test
    void trainingSaveKeepsTheTrainerKeys() {
        JsonNode j = Sidecar.training("fatrelu", 0.01, new Sidecar.Training("checkpoints/tiny-llama", 360, "stage-2", 0.5))
                .toJson();
        List<String> expected = new ArrayList<>(List.of("source_checkpoint", "activation", "activation_param", "step",
                "stage", "l1_lambda", "tool", "version", "date"));
        assertTrue(keys(j).containsAll(expected), keys(j).toString());
        assertEquals("train", j.get("command").asText(), "the one key a training save gains");
        assertEquals(expected.size() + 1, j.size());
        assertEquals("checkpoints/tiny-llama", j.get("source_checkpoint").asText());
        assertEquals(0.01, j.get("activation_param").asDouble(), 0.0);
        assertEquals(360, j.get("step").asInt());
        assertEquals("stage-2", j.get("stage").asText());
        assertEquals(0.5, j.get("l1_lambda").asDouble(), 0.0);
        assertFalse(j.has("threshold"), "a training save names the parameter activation_param");
    }

    @Test
    void aSidecarIsOneKindOrTheOther() {
        assertThrows(IllegalArgumentException.class, () -> new Sidecar("convert", Instant.now(), "relu", null, null, null));
    }

    private static List<String> keys(JsonNode n) {
        List<String> out = new ArrayList<>();
        n.fieldNames().forEachRemaining(out::add);
        return out;
    }
}
