package dev.prosparse.pipeline;

import dev.prosparse.ProsparseException;
import dev.prosparse.hub.ModelResolver;
import dev.prosparse.util.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * {@code --out/final}: the trained HF checkpoint, its predictors, the engine file and a HuggingFace model card
 * ({@code README.md} with YAML front matter: base_model, the source's license, tags), built in a temporary folder and
 * renamed into place. Weights are hard-linked where the file system allows, else copied.
 */
final class ModelCard {
    private ModelCard() {}

    static void writeFinal(Path finalDir, Path model, Path predictors, Path gguf, SparsifyRequest q,
            ModelResolver.Resolved src, Metrics m, Path runDir) {
        Path tmp = finalDir.resolveSibling(finalDir.getFileName() + ".tmp");
        try {
            for (Path p : List.of(tmp, finalDir)) {
                if (Files.exists(p)) {
                    SparsifyState.deleteTree(p);
                }
            }
            Files.createDirectories(tmp.resolve("predictors"));
            try (Stream<Path> s = Files.list(model)) {
                for (Path f : s.filter(Files::isRegularFile).toList()) {
                    link(f, tmp.resolve(f.getFileName()));
                }
            }
            try (Stream<Path> s = Files.list(predictors)) {
                for (Path f : s.filter(Files::isRegularFile).toList()) {
                    Files.copy(f, tmp.resolve("predictors").resolve(f.getFileName()));
                }
            }
            if (gguf != null) {
                link(gguf, tmp.resolve(gguf.getFileName()));
            }
            if (Files.isRegularFile(runDir.resolve("recipe.yaml"))) {
                Files.copy(runDir.resolve("recipe.yaml"), tmp.resolve("recipe.yaml"));
            }
            AtomicFiles.writeString(tmp.resolve("README.md"), card(q, src, m, gguf != null));
            Files.move(tmp, finalDir, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw ProsparseException.io("Could not write " + finalDir + ": " + e.getMessage(), e);
        }
    }

    private static void link(Path from, Path to) throws IOException {
        try {
            Files.createLink(to, from);
        } catch (IOException | UnsupportedOperationException e) {
            Files.copy(from, to);
        }
    }

    static String card(SparsifyRequest q, ModelResolver.Resolved src, Metrics m, boolean gguf) {
        String base = src.hubId() != null ? src.hubId() : q.model();
        String license = license(src.dir());
        StringBuilder sb = new StringBuilder("---\n");
        sb.append("base_model: ").append(yaml(base)).append('\n');
        sb.append("license: ").append(license != null ? yaml(license) : "other").append('\n');
        sb.append("tags:\n  - prosparse\n  - relu\n  - activation-sparsity\n");
        if (gguf) {
            sb.append("  - gguf\n  - powerinfer\n");
        }
        sb.append("---\n\n");
        sb.append(String.format(Locale.ROOT, "# %s, ReLU-sparse (ProSparse, target %.0f%%)%n%n", base, 100 * q.target()));
        sb.append(String.format(Locale.ROOT, "`%s` with its FFN activation swapped to ReLU and trained with ProSparse's staged"
                + " L1 penalty, steered to %.0f%% of FFN activations exactly zero, plus activation predictors for sparse"
                + " inference%s.%n%n", base, 100 * q.target(), gguf ? " and a PowerInfer GGUF (`" + SparsifyPipeline.GGUF + "`)" : ""));
        if (license == null) {
            sb.append("The source folder states no license (no `license:` in its README.md): check the base model's terms"
                    + " before you share this one.\n\n");
        }
        sb.append("## Sparsity and perplexity\n\n").append(m.table()).append('\n');
        sb.append("## Files\n\n- `config.json`, `*.safetensors`, tokenizer files: the HuggingFace checkpoint (loads with"
                + " transformers as LlamaForCausalLM-style `hidden_act: relu`/`fatrelu`)\n- `predictors/`: one"
                + " fc2·relu(fc1·x) predictor per layer (`predictors.json` holds the threshold, per-layer recall and the"
                + " model they belong to)\n");
        if (gguf) {
            sb.append("- `").append(SparsifyPipeline.GGUF).append("`: PowerInfer GGUF (magic PWRI), for PowerInfer's sparse path\n");
        }
        sb.append("- `recipe.yaml`: the training recipe as run\n\n");
        sb.append("## How it was made\n\n```\n").append(q.commandLine()).append("\n```\n\n");
        sb.append("## Provenance\n\n");
        sb.append("- source: `").append(q.model()).append("` (").append(src.origin().label)
                .append(src.revision() != null ? ", revision " + src.revision() : "").append(")\n");
        String v = SparsifyPipeline.class.getPackage().getImplementationVersion();
        sb.append("- tool: prosparse ").append(v != null ? v : "(development build)").append('\n');
        sb.append("- made: ").append(Instant.now().toString()).append('\n');
        sb.append(String.format(Locale.ROOT, "- predictors: recall target %.3f, %d positions, %d epochs%n", q.recall(),
                q.samples(), q.epochs()));
        return sb.toString();
    }

    /** The {@code license:} of the source's model card front matter, or null. */
    static String license(Path dir) {
        Path readme = dir.resolve("README.md");
        if (!Files.isRegularFile(readme)) {
            return null;
        }
        try {
            List<String> lines = Files.readAllLines(readme);
            if (lines.isEmpty() || !lines.get(0).strip().equals("---")) {
                return null;
            }
            for (String l : lines.subList(1, lines.size())) {
                if (l.strip().equals("---")) {
                    break;
                }
                if (l.startsWith("license:")) {
                    String v = l.substring("license:".length()).strip().replaceAll("^[\"']|[\"']$", "");
                    return v.isEmpty() ? null : v;
                }
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            return null;
        }
        return null;
    }

    private static String yaml(String s) {
        return s.matches("[A-Za-z0-9._/-]+") ? s : "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
