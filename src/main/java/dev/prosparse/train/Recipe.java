package dev.prosparse.train;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import dev.prosparse.ProsparseException;
import dev.prosparse.data.DataSource;
import dev.prosparse.device.DeviceSpec;
import dev.prosparse.device.Precision;
import dev.prosparse.model.AttentionKernel;
import dev.prosparse.util.Errors;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A training recipe: the YAML files under {@code configs/train/}. Keys use snake_case, as in the YAML.
 * Unknown keys are errors that name the key; {@code --set a.b=v} overrides any key before binding.
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
public record Recipe(
        String model,
        String activation,
        Double threshold,
        Data data,
        int seqLen,
        int batchSize,
        int gradAccum,
        Optimizer optimizer,
        Schedule schedule,
        double gradClip,
        List<Stage> stages,
        Eval eval,
        Save save,
        Double finalThreshold,
        FinalFormat finalFormat,
        long seed,
        int threads,
        String outputDir,
        int logEvery,
        L1Control l1,
        String device,
        Precision precision,
        boolean activationCheckpointing,
        AttentionKernel attention,
        boolean phaseTiming) {

    /**
     * @param train training text; @param eval evaluation text; @param textField JSONL field
     * @param lossyUtf8 read bytes that are not UTF-8 as U+FFFD instead of refusing the file (optional key, default false)
     */
    public record Data(String train, String eval, String textField, boolean lossyUtf8) {
        /** The training text, named in messages by its recipe key. */
        public DataSource trainSource() {
            return DataSource.ofRecipe(train, textField, "data.train").withLossyUtf8(lossyUtf8);
        }

        /** The evaluation text, named in messages by its recipe key. */
        public DataSource evalSource() {
            return DataSource.ofRecipe(eval, textField, "data.eval").withLossyUtf8(lossyUtf8);
        }
    }

    /**
     * @param offload where the float32 master weights and AdamW moments live and the update runs: {@code none} (on the
     *                training device) or {@code cpu} (host memory; docs/gpu.md "Optimizer offload")
     * @param kernel  auto, fused or per-tensor (docs/gpu.md "Fused optimizer step"; auto: fused on a GPU)
     */
    public record Optimizer(double lr, List<Double> betas, double eps, double weightDecay, dev.prosparse.optim.Offload offload,
            dev.prosparse.optim.StepKernel kernel) {
        /** Keys of {@code optimizer} a recipe may leave out, with the value they then take. */
        static final Map<String, Object> OPTIONAL_KEYS = Map.of("offload", "none", "kernel", "auto");
    }

    /** @param warmupSteps linear warm-up; @param minLrRatio cosine floor as a fraction of the peak LR */
    public record Schedule(int warmupSteps, double minLrRatio) {}

    /** @param every steps between evaluations (0 = only at stage ends); @param windows evaluation windows */
    public record Eval(int every, int windows) {}

    /**
     * @param every    steps between periodic saves (0 = only stage ends)
     * @param keepLast the newest saves kept (step-* folders of any kind; older ones are deleted as new ones land)
     * @param dtype    float32, bfloat16 or float16 (of final/; step saves are float32 so that resume is exact)
     */
    public record Save(int every, int keepLast, String dtype) {}

    /**
     * How {@code final/} encodes the activation when {@code final_threshold} is set: {@code fatrelu} writes the shifted
     * activation ({@code hidden_act: fatrelu} + {@code hidden_act_param}: prosparse, vLLM's FatreluAndMul and the
     * MiniCPM-S remote code load it; stock transformers does not know it); {@code relu} writes the trained ReLU
     * model, which stock transformers loads as it is, and reports the thresholded numbers without applying them.
     */
    public enum FinalFormat {
        FATRELU, RELU;

        @com.fasterxml.jackson.annotation.JsonCreator
        public static FinalFormat parse(String s) {
            for (FinalFormat f : values()) {
                if (f.name().equalsIgnoreCase(s)) {
                    return f;
                }
            }
            throw new IllegalArgumentException("must be fatrelu or relu, got '" + s + "'");
        }

        @com.fasterxml.jackson.annotation.JsonValue
        public String yaml() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * Keys a recipe may leave out, with the value they then take. Every other key is required, so that a shipped
     * recipe states everything it depends on; keys added after a recipe was written get a default here.
     */
    static final Map<String, Object> OPTIONAL_KEYS = optionalKeys();

    private static Map<String, Object> optionalKeys() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("final_format", "fatrelu");
        m.put("l1", null);  // no target: λ from the stage table
        m.put("device", "auto");                      // auto | cpu | cuda | cuda:N (docs/gpu.md)
        m.put("precision", "fp32");                   // fp32 | fp16-mixed
        m.put("activation_checkpointing", false);     // recompute each decoder layer in the backward pass
        m.put("attention", "auto");                   // auto | eager | sdpa (auto: fused on a GPU; docs/gpu.md)
        m.put("phase_timing", false);                 // log each step's phase times (docs/gpu.md, "Phase timing")
        return m;
    }

    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory()
                    .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                    .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES))
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES);

    /** The built-in default recipe (the README's main job): {@code configs/train/demo.yaml}, embedded in the jar. */
    public static final String DEFAULT_RESOURCE = "/dev/prosparse/recipes/demo.yaml";

    /** Reads a recipe file (or the embedded default when {@code file} is null) and applies the overrides. */
    public static Recipe load(Path file, List<String> overrides) {
        JsonNode tree;
        String source = file == null ? "built-in demo recipe" : file.toString();
        try {
            if (file == null) {
                try (InputStream in = Recipe.class.getResourceAsStream(DEFAULT_RESOURCE)) {
                    tree = YAML.readTree(in);
                }
            } else {
                tree = YAML.readTree(Files.readString(file));
            }
        } catch (NoSuchFileException e) {
            throw ProsparseException.usage("--config " + file + ": file not found" + dev.prosparse.util.Listing.nearby(file));
        } catch (JsonProcessingException e) {
            throw ProsparseException.usage("--config " + source + " is not valid YAML: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw ProsparseException.io("Cannot read recipe " + source + ": " + Errors.describe(e), e);
        }
        if (tree == null || !tree.isObject()) {
            throw ProsparseException.usage("--config " + source + " must be a YAML mapping of recipe keys");
        }
        for (String o : overrides) {
            applyOverride((ObjectNode) tree, o);
        }
        return bind(tree, source);
    }

    static Recipe bind(JsonNode tree, String source) {
        if (tree instanceof ObjectNode) {
            ObjectNode root = (ObjectNode) tree;
            OPTIONAL_KEYS.forEach((k, v) -> {
                if (!root.has(k)) {
                    root.set(k, YAML.valueToTree(v));
                }
            });
            if (root.get("data") instanceof ObjectNode data && !data.has("lossy_utf8")) {
                data.put("lossy_utf8", false); // optional: docs/recipes.md
            }
            if (root.get("optimizer") instanceof ObjectNode opt) {
                Optimizer.OPTIONAL_KEYS.forEach((k, v) -> {
                    if (!opt.has(k)) {
                        opt.set(k, YAML.valueToTree(v));
                    }
                });
            }
            if (root.get("l1") instanceof ObjectNode l1) {
                L1Control.DEFAULTS.forEach((k, v) -> {
                    if (!l1.has(k)) {
                        l1.set(k, YAML.valueToTree(v));
                    }
                });
            }
        }
        RecipeSchema.check(tree, source); // unknown, missing and wrongly typed keys, in our words
        Recipe r;
        try {
            r = YAML.treeToValue(tree, Recipe.class);
        } catch (UnrecognizedPropertyException e) {
            String known = e.getKnownPropertyIds().stream().map(Object::toString).sorted()
                    .collect(Collectors.joining(", "));
            throw ProsparseException.usage(source + ": unknown key '" + path(e) + "'; valid keys there: " + known);
        } catch (ValueInstantiationException e) {
            throw ProsparseException.usage(source + ": key '" + path(e) + "': " + e.getCause().getMessage());
        } catch (MismatchedInputException e) {
            throw ProsparseException.usage(source + ": key '" + path(e) + "' is missing or has the wrong type ("
                    + e.getOriginalMessage() + ")");
        } catch (JsonProcessingException e) {
            throw ProsparseException.usage(source + ": " + e.getOriginalMessage());
        }
        r.validate(source);
        return r;
    }

    private static String path(com.fasterxml.jackson.databind.JsonMappingException e) {
        return e.getPath().stream()
                .map(ref -> ref.getFieldName() != null ? ref.getFieldName() : String.valueOf(ref.getIndex()))
                .collect(Collectors.joining("."));
    }

    /** {@code a.b.c=value}: value parsed as YAML (numbers, lists, null); numeric segments index lists. */
    static void applyOverride(ObjectNode root, String override) {
        int eq = override.indexOf('=');
        if (eq <= 0) {
            throw ProsparseException.usage("--set " + override + ": expected KEY=VALUE, for example --set optimizer.lr=2e-5");
        }
        String[] keys = override.substring(0, eq).trim().split("\\.");
        JsonNode value;
        try {
            value = YAML.readTree(override.substring(eq + 1));
        } catch (JsonProcessingException e) {
            throw ProsparseException.usage("--set " + override + ": the value is not valid YAML");
        }
        if (value == null || value.isMissingNode()) {
            value = YAML.nullNode();
        }
        JsonNode node = root;
        for (int i = 0; i < keys.length; i++) {
            boolean last = i == keys.length - 1;
            String k = keys[i];
            if (node instanceof ObjectNode) {
                ObjectNode obj = (ObjectNode) node;
                if (last) {
                    obj.set(k, value);
                } else {
                    JsonNode child = obj.get(k);
                    if (child == null || !child.isContainerNode()) {
                        child = obj.putObject(k);
                    }
                    node = child;
                }
            } else if (node instanceof ArrayNode && k.matches("\\d+")) {
                ArrayNode arr = (ArrayNode) node;
                int idx = Integer.parseInt(k);
                if (i == 1 && keys[0].equals("stages")) {
                    // stages are numbered from 1 for users (docs/paths.md#stages)
                    if (idx < 1) {
                        throw ProsparseException.usage("--set " + override + ": stages are numbered from 1; the first stage"
                                + " is stages.1 (for example --set stages.1.l1_lambda=0)");
                    }
                    if (idx > arr.size()) {
                        throw ProsparseException.usage("--set " + override + ": stage " + idx + " is past the end of 'stages' ("
                                + arr.size() + " stages, numbered 1.." + arr.size() + ")");
                    }
                    idx--;
                }
                if (idx >= arr.size()) {
                    throw ProsparseException.usage("--set " + override + ": index " + idx + " is past the end of '"
                            + String.join(".", java.util.Arrays.copyOf(keys, i)) + "' (" + arr.size() + " entries)");
                }
                if (last) {
                    arr.set(idx, value);
                } else {
                    node = arr.get(idx);
                }
            } else {
                throw ProsparseException.usage("--set " + override + ": '" + String.join(".", java.util.Arrays.copyOf(keys, i))
                        + "' is not a mapping or list");
            }
        }
    }

    /** Keeps the first {@code n} stages (the {@code --stages N} flag). */
    public Recipe firstStages(int n) {
        if (n < 1 || n > stages.size()) {
            throw ProsparseException.usage("--stages " + n + ": the recipe has " + stages.size()
                    + " stages; choose 1.." + stages.size());
        }
        Recipe r = new Recipe(model, activation, threshold, data, seqLen, batchSize, gradAccum, optimizer, schedule,
                gradClip, List.copyOf(stages.subList(0, n)), eval, save, finalThreshold, finalFormat, seed, threads, outputDir,
                logEvery, l1, device, precision, activationCheckpointing, attention, phaseTiming);
        if (l1 != null) {
            l1.validate("--stages " + n, r.stages());
        }
        return r;
    }

    void validate(String source) {
        require(model != null && !model.isBlank(), source, "model", "a preset, folder or hub id, e.g. model: tiny-llama");
        require(activation != null, source, "activation", "e.g. activation: relu");
        require(seqLen >= 1, source, "seq_len", "≥ 1, e.g. seq_len: 256");
        require(batchSize >= 1, source, "batch_size", "≥ 1, e.g. batch_size: 8");
        require(gradAccum >= 1, source, "grad_accum", "≥ 1, e.g. grad_accum: 1");
        require(optimizer != null && optimizer.lr() > 0, source, "optimizer.lr", "> 0, e.g. lr: 5.0e-4");
        require(optimizer.betas() != null && optimizer.betas().size() == 2
                && optimizer.betas().stream().allMatch(b -> b >= 0 && b < 1), source, "optimizer.betas", "two numbers in [0, 1), e.g. [0.9, 0.95]");
        require(optimizer.eps() > 0, source, "optimizer.eps", "> 0, e.g. 1.0e-8");
        require(optimizer.weightDecay() >= 0, source, "optimizer.weight_decay", "≥ 0");
        require(schedule != null && schedule.warmupSteps() >= 0, source, "schedule.warmup_steps", "≥ 0");
        require(schedule.minLrRatio() >= 0 && schedule.minLrRatio() <= 1, source, "schedule.min_lr_ratio", "in [0, 1]");
        require(gradClip >= 0, source, "grad_clip", "≥ 0 (0 turns clipping off)");
        require(stages != null && !stages.isEmpty(), source, "stages", "a list of {name, steps, l1_lambda, ramp}");
        require(eval != null && eval.every() >= 0 && eval.windows() >= 1, source, "eval", "every ≥ 0 and windows ≥ 1");
        require(save != null && save.every() >= 0 && save.keepLast() >= 1, source, "save", "every ≥ 0 and keep_last ≥ 1");
        require(save.dtype() != null && List.of("float32", "bfloat16", "float16").contains(save.dtype()), source,
                "save.dtype", "float32, bfloat16 or float16");
        require(data != null && data.train() != null && data.eval() != null, source, "data",
                "train and eval, e.g. train: " + DataSource.EMBEDDED_TRAIN);
        require(finalThreshold == null || finalThreshold >= 0, source, "final_threshold", "≥ 0 or null");
        require(finalFormat != null, source, "final_format", "fatrelu or relu");
        require(threads >= 0, source, "threads", "≥ 0 (0 = all cores)");
        require(logEvery >= 1, source, "log_every", "≥ 1");
        require(outputDir != null && !outputDir.isBlank(), source, "output_dir", "a folder, e.g. checkpoints/runs");
        require(precision != null, source, "precision", "fp32 or fp16-mixed");
        require(attention != null, source, "attention", "auto, eager or sdpa");
        require(optimizer.offload() != null, source, "optimizer.offload", "none or cpu");
        require(optimizer.kernel() != null, source, "optimizer.kernel", "auto, fused or per-tensor");
        require(DeviceSpec.tryParse(device) != null, source, "device", "auto, cpu, cuda or cuda:N, e.g. device: cuda:0");
        new L1Schedule(stages);
        if (l1 != null) {
            l1.validate(source, stages);
        }
    }

    /** The parsed {@code device} key (validated when the recipe was bound). */
    public DeviceSpec deviceSpec() {
        return DeviceSpec.tryParse(device);
    }

    private static void require(boolean ok, String source, String key, String expected) {
        if (!ok) {
            throw ProsparseException.usage(source + ": key '" + key + "' must be " + expected);
        }
    }

    /** The memory knobs an out-of-memory error names (see {@link dev.prosparse.device.GpuErrors}). */
    public dev.prosparse.device.GpuErrors.Knobs memoryKnobs() {
        return new dev.prosparse.device.GpuErrors.Knobs(batchSize, seqLen, precision, activationCheckpointing,
                optimizer.offload().toHost());
    }

    /** The resolved recipe as YAML (logged at start and saved in the run folder). */
    public String toYaml() {
        try {
            return YAML.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
