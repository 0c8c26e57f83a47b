package dev.prosparse.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prosparse.ProsparseException;
import dev.prosparse.hub.HubEnv;
import dev.prosparse.hub.ModelResolver;
import dev.prosparse.hub.Preset;
import dev.prosparse.hub.Presets;
import dev.prosparse.util.Json;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code prosparse presets}: the model presets and where each one resolves on this machine. */
@Command(name = "presets",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {"List the model presets of configs/models/*.yaml (names usable as --model), their",
            "hub ids and dimensions, and where each resolves on this machine: the bundled",
            "checkpoints/ folder or the HuggingFace cache ($HF_HUB_CACHE, $HF_HOME/hub,",
            "~/.cache/huggingface/hub)."},
        footerHeading = "%nExamples:%n",
        footer = {"  prosparse presets",
            "  prosparse presets --format json",
            "  prosparse convert --model llama2-7b --download --act relu --out llama2-7b-relu"},
        usageHelpWidth = 100)
public final class PresetsCommand implements Callable<Integer> {

    @Option(names = "--revision", paramLabel = "REV", defaultValue = "main",
            description = "Hub revision to look for in the cache. Default: ${DEFAULT-VALUE}.")
    String revision;

    @Option(names = "--format", paramLabel = "FMT", defaultValue = "text",
            description = "text or json. Default: ${DEFAULT-VALUE}.")
    String format;

    @Override
    public Integer call() {
        String fmt = format.toLowerCase(Locale.ROOT);
        if (!fmt.equals("text") && !fmt.equals("json")) {
            throw ProsparseException.usage("--format " + format + ": unknown format; use text or json (for example --format json)");
        }
        HubEnv env = HubEnv.fromSystem();
        ModelResolver resolver = new ModelResolver(Presets.home(), env);
        Presets presets = resolver.presets();
        List<Preset> all = presets.all();
        ArrayNode rows = Json.MAPPER.createArrayNode();
        StringBuilder text = new StringBuilder();
        int nameWidth = Math.max(4, all.stream().mapToInt(p -> p.name().length()).max().orElse(0)); // no row pushed out
        String line = "%-" + nameWidth + "s %-30s %-8s %6s %7s %6s %6s %7s  %s%n";
        text.append(String.format(Locale.ROOT, line, "NAME", "HUB ID", "TYPE",
                "LAYERS", "HIDDEN", "INTER", "HEADS", "VOCAB", "RESOLVES TO"));
        for (Preset p : all) {
            ModelResolver.Lookup l = resolver.locate(p, revision);
            String where;
            ObjectNode row = rows.addObject();
            row.put("name", p.name());
            if (p.hubId() == null) {
                row.putNull("hub_id");
            } else {
                row.put("hub_id", p.hubId());
            }
            row.put("source", p.source());
            row.put("model_type", p.modelType());
            row.put("hidden_size", p.hiddenSize());
            row.put("intermediate_size", p.intermediateSize());
            row.put("num_hidden_layers", p.numHiddenLayers());
            row.put("num_attention_heads", p.numAttentionHeads());
            row.put("num_key_value_heads", p.numKeyValueHeads());
            row.put("vocab_size", p.vocabSize());
            if (l.found().isPresent()) {
                ModelResolver.Resolved r = l.found().get();
                where = r.dir() + " (" + r.origin().label + ")";
                row.put("path", r.dir().toString());
                row.put("resolved_from", r.origin().label);
            } else {
                where = p.hubId() == null ? "missing (bundled only)"
                        : "not on this machine; get it with --download";
                row.putNull("path");
                row.putNull("resolved_from");
            }
            ArrayNode looked = row.putArray("looked_in");
            l.lookedIn().forEach(x -> looked.add(x.toString()));
            text.append(String.format(Locale.ROOT, line, p.name(),
                    p.hubId() == null ? "-" : p.hubId(), p.modelType(), p.numHiddenLayers(), p.hiddenSize(),
                    p.intermediateSize(), p.numAttentionHeads() + "/" + p.numKeyValueHeads(), p.vocabSize(), where));
        }
        if (fmt.equals("json")) {
            ObjectNode root = Json.MAPPER.createObjectNode();
            root.put("presets_dir", presets.dir().toString());
            ArrayNode roots = root.putArray("hf_cache");
            env.cacheRoots().forEach(x -> roots.add(x.toString()));
            root.put("hf_endpoint", env.endpoint());
            root.set("presets", rows);
            try {
                System.out.println(Json.PRETTY.writeValueAsString(root));
            } catch (JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        } else {
            text.append(String.format(Locale.ROOT, "%npresets from %s%nHuggingFace cache searched: %s%n",
                    presets.dir(), String.join(", ", env.cacheRoots().stream().map(Path::toString).toList())));
            System.out.print(text);
        }
        System.out.flush();
        return 0;
    }
}
