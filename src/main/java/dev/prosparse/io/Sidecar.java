package dev.prosparse.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prosparse.util.AtomicFiles;
import dev.prosparse.util.BuildInfo;
import dev.prosparse.util.Json;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Objects;

/**
 * The provenance sidecar {@code prosparse.json} written into every checkpoint folder the tool writes: a
 * {@code convert} output, and each training save and {@code final/}. One schema for both: the common keys
 * ({@code tool}, {@code version}, {@code date}, {@code command}, {@code activation}), then the keys of the
 * command that wrote it. Key names are those the files have always had, so older readers keep working; in
 * particular {@code hidden_act_param} is {@code threshold} in a conversion and {@code activation_param} in a
 * training save. Field meanings for users are in the README.
 *
 * @param command         {@code convert} or {@code train}
 * @param date            when it was written (written to the second)
 * @param activation      the output's {@code hidden_act}
 * @param activationParam its {@code hidden_act_param}; null where the activation takes none (conversions only)
 * @param conversion      what {@code convert} did; null for a training save
 * @param training        where a training save stands; null for a conversion
 */
public record Sidecar(String command, Instant date, String activation, Double activationParam, Conversion conversion,
        Training training) {

    public static final String FILE = "prosparse.json";
    public static final String TOOL = "prosparse";

    public Sidecar {
        Objects.requireNonNull(command, "command");
        Objects.requireNonNull(activation, "activation");
        if ((conversion == null) == (training == null)) {
            throw new IllegalArgumentException("a sidecar describes a conversion or a training save, not both");
        }
        date = date.truncatedTo(ChronoUnit.SECONDS);
    }

    /** The sidecar of a {@code convert} output, dated now. */
    public static Sidecar conversion(String activation, Double threshold, Conversion c) {
        return new Sidecar("convert", Instant.now(), activation, threshold, c, null);
    }

    /** The sidecar of a training save or {@code final/}, dated now. */
    public static Sidecar training(String activation, double activationParam, Training t) {
        return new Sidecar("train", Instant.now(), activation, activationParam, null, t);
    }

    /**
     * What {@code convert} did.
     *
     * @param dtype        {@code --dtype} as given (keep, f32, f16, bf16)
     * @param maxShardSize {@code --max-shard-size} in bytes, null for the source's sharding
     * @param weightFiles  the output's weight files
     */
    public record Conversion(String dtype, Long maxShardSize, Source source, List<WeightFile> weightFiles) {}

    /**
     * The checkpoint a conversion read.
     *
     * @param model          {@code --model} as given
     * @param path           the folder, absolute
     * @param resolvedFrom   how --model was found (folder, bundled, HuggingFace cache, downloaded, --model-dir)
     * @param preset         the preset named, or null
     * @param hubId          the hub id, or null
     * @param revision       the hub revision, or null
     * @param hiddenAct      the source's {@code hidden_act}
     * @param hiddenActParam the source's {@code hidden_act_param}, null where its activation takes none
     * @param files          the source files read
     * @param previous       the source's own {@code prosparse.json}, carried along; null when it has none
     */
    public record Source(String model, String path, String resolvedFrom, String preset, String hubId, String revision,
            String hiddenAct, Double hiddenActParam, List<SourceFile> files, JsonNode previous) {}

    /** One source file; {@code sha256} is null unless {@code --hash} was given. */
    public record SourceFile(String name, long size, String sha256) {}

    /** One output weight file and how it was made: {@code bytes} (whole-file copy), {@code tensors}, {@code converted}. */
    public record WeightFile(String name, int tensors, String copy) {}

    /**
     * Where a training save stands.
     *
     * @param sourceCheckpoint the checkpoint training started from
     * @param step             the global step (1-based)
     * @param stage            the stage's name, or {@code final}
     * @param l1Lambda         the L1 coefficient at that step
     */
    public record Training(String sourceCheckpoint, int step, String stage, double l1Lambda) {}

    /** The JSON object, keys in a fixed order. */
    public ObjectNode toJson() {
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.put("tool", TOOL);
        root.put("version", BuildInfo.version());
        root.put("date", date.toString());
        root.put("command", command);
        root.put("activation", activation);
        if (conversion != null) {
            root.put("threshold", activationParam);
            root.put("dtype", conversion.dtype());
            root.put("max_shard_size", conversion.maxShardSize());
            root.set("source", source(conversion.source()));
            ArrayNode shards = root.putArray("weight_files");
            for (WeightFile w : conversion.weightFiles()) {
                shards.addObject().put("name", w.name()).put("tensors", w.tensors()).put("copy", w.copy());
            }
        } else {
            root.put("activation_param", activationParam);
            root.put("source_checkpoint", training.sourceCheckpoint());
            root.put("step", training.step());
            root.put("stage", training.stage());
            root.put("l1_lambda", training.l1Lambda());
        }
        return root;
    }

    private static ObjectNode source(Source s) {
        ObjectNode src = Json.MAPPER.createObjectNode();
        src.put("model", s.model());
        src.put("path", s.path());
        src.put("resolved_from", s.resolvedFrom());
        src.put("preset", s.preset());
        src.put("hub_id", s.hubId());
        src.put("revision", s.revision());
        src.put("hidden_act", s.hiddenAct());
        if (s.hiddenActParam() != null) {
            src.put("hidden_act_param", s.hiddenActParam());
        }
        ArrayNode files = src.putArray("files");
        for (SourceFile f : s.files()) {
            ObjectNode o = files.addObject().put("name", f.name()).put("size", f.size());
            if (f.sha256() != null) {
                o.put("sha256", f.sha256());
            }
        }
        if (s.previous() != null) {
            src.set("prosparse", s.previous());
        }
        return src;
    }

    /** Writes {@code dir/prosparse.json} atomically. */
    public void write(Path dir) {
        try {
            AtomicFiles.writeString(dir.resolve(FILE), Json.PRETTY.writeValueAsString(toJson()) + "\n");
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
