package dev.prosparse.hub;

import dev.prosparse.ProsparseException;
import dev.prosparse.util.Listing;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Turns {@code --model} into a checkpoint folder. {@code --model} is a folder, a preset name
 * ({@code configs/models/<name>.yaml}) or a hub id {@code org/name}. A preset or hub id resolves, in order, to:
 * an explicit {@code --model-dir}; the bundled {@code <home>/checkpoints/<preset>} or {@code <home>/checkpoints/<org>/<name>};
 * a snapshot in the HuggingFace
 * cache ({@link HubEnv#cacheRoots()}); with {@code --download}, a fresh download into the cache. Otherwise it
 * fails with a message that says where it looked and how to download.
 */
public final class ModelResolver {
    private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}");

    private final Path home;
    private final HubEnv env;
    private final Names names;
    private Presets presets;

    /**
     * How the user spells the model choice, for the advice in messages: the convert / report flags, or the key
     * of a training recipe.
     *
     * @param model       what names the model ("--model", "recipe key model")
     * @param download    the option that downloads
     * @param pointAtCopy advice for using a copy that is elsewhere on disk
     */
    public record Names(String model, String download, String pointAtCopy) {
        public static final Names FLAGS = new Names("--model", "--download", "point --model-dir at a copy");
        public static final Names RECIPE = new Names("recipe key model", "--download",
                "set the recipe's model to the folder of a copy (--set model=DIR)");
    }

    /** @param home the prosparse home holding {@code configs/models/} and {@code checkpoints/} */
    public ModelResolver(Path home, HubEnv env) {
        this(home, env, Names.FLAGS);
    }

    public ModelResolver(Path home, HubEnv env, Names names) {
        this.home = home.toAbsolutePath().normalize();
        this.env = env;
        this.names = names;
    }

    /** Where a model was found. */
    public enum Origin {
        FOLDER("folder"), MODEL_DIR("--model-dir"), BUNDLED("bundled"), HF_CACHE("HuggingFace cache"),
        DOWNLOADED("downloaded");

        public final String label;

        Origin(String label) {
            this.label = label;
        }
    }

    /**
     * A resolved model.
     *
     * @param spec     --model as given
     * @param preset   the preset named (directly or through its hub id), or null
     * @param hubId    the hub id, when known (also for a folder inside the HF cache), else null
     * @param revision the commit sha (or the revision asked for) where known, else null
     */
    public record Resolved(Path dir, String spec, Preset preset, String hubId, String revision, Origin origin) {}

    /** The places looked in for a preset or hub id, and the first that holds it. */
    public record Lookup(Optional<Resolved> found, List<Path> lookedIn) {}

    /**
     * Resolves {@code --model}.
     *
     * @param modelDir explicit folder for a preset or hub id (null if not given)
     * @param revision branch, tag or commit for hub ids (default "main")
     * @param download whether to fetch a preset or hub id from the hub when it is not on this machine
     */
    public Resolved resolve(String spec, Path modelDir, String revision, boolean download) {
        if (spec == null || spec.isBlank()) {
            throw ProsparseException.usage(names.model() + " is empty; give a checkpoint folder, a preset (see 'prosparse"
                    + " presets') or a hub id such as meta-llama/Llama-2-7b-hf");
        }
        Path asPath = asPath(spec);
        if (asPath != null && Files.isDirectory(asPath)) {
            if (modelDir != null) {
                throw ProsparseException.usage("--model-dir applies only when --model names a preset or a hub id;"
                        + " --model " + spec + " is already a folder, so drop --model-dir");
            }
            if (download) {
                throw ProsparseException.usage(names.download() + " applies only when " + names.model()
                        + " names a preset or a hub id; " + names.model() + " " + spec + " is a local folder, so drop "
                        + names.download());
            }
            return folder(spec, asPath);
        }
        Target t = target(spec, asPath);
        if (modelDir != null) {
            if (!Files.isDirectory(modelDir)) {
                throw ProsparseException.usage("--model-dir " + modelDir + ": no such folder" + Listing.nearby(modelDir));
            }
            return new Resolved(modelDir, spec, t.preset, t.hubId, null, Origin.MODEL_DIR);
        }
        Lookup lookup = lookup(t, revision);
        Optional<Resolved> found = lookup.found();
        if (found.isPresent() && !(download && found.get().origin() == Origin.HF_CACHE)) {
            return found.get();
        }
        if (download && t.hubId != null) {
            // also for a cached snapshot: fetches only what is missing (an interrupted earlier download)
            HfCache.Snapshot s = new HubDownloader(env).download(t.hubId, revision);
            return new Resolved(s.dir(), spec, t.preset, t.hubId, s.commit(), Origin.DOWNLOADED);
        }
        throw notFound(spec, t, revision, lookup.lookedIn());
    }

    /** Where a preset resolves on this machine, without downloading (for {@code prosparse presets}). */
    public Lookup locate(Preset preset, String revision) {
        return lookup(new Target(preset.name(), preset, preset.hubId()), revision);
    }

    /** The presets, loaded on first use. */
    public Presets presets() {
        if (presets == null) {
            presets = Presets.load(home);
        }
        return presets;
    }

    private record Target(String name, Preset preset, String hubId) {}

    /** Classifies a spec that is not an existing folder: preset, hub id, or an error. */
    private Target target(String spec, Path asPath) {
        Presets all = null;
        ProsparseException presetError = null;
        try {
            all = presets();
        } catch (ProsparseException e) {
            presetError = e;
        }
        if (all != null && all.find(spec).isPresent()) {
            Preset p = all.find(spec).get();
            return new Target(p.name(), p, p.hubId());
        }
        boolean pathLike = spec.startsWith(".") || spec.startsWith("/") || spec.startsWith("~") || spec.contains("\\")
                || spec.chars().filter(c -> c == '/').count() > 1;
        if (!pathLike && HubId.isValid(spec)) {
            Preset p = all == null ? null
                    : all.all().stream().filter(x -> spec.equals(x.hubId())).findFirst().orElse(null);
            return new Target(p != null ? p.name() : spec, p, spec);
        }
        if (pathLike || spec.contains("/")) {
            throw ProsparseException.usage(names.model() + " " + spec + ": no such folder"
                    + (asPath != null ? Listing.nearby(asPath) : "")
                    + "; give a checkpoint folder, a preset (see 'prosparse presets') or a hub id org/name");
        }
        if (presetError != null) {
            throw presetError;
        }
        if (named(spec).stream().anyMatch(d -> Files.isRegularFile(d.resolve("config.json")))) {
            return new Target(spec, null, null);
        }
        throw ProsparseException.usage(names.model() + " " + spec + " is not a folder, a preset or a hub id; presets: "
                + all.names() + " (see 'prosparse presets'); a hub id looks like meta-llama/Llama-2-7b-hf; a name also"
                + " finds a checkpoint folder in " + named(spec).stream().map(Path::getParent).map(Path::toString)
                .collect(Collectors.joining(" or ")) + " (see docs/paths.md)");
    }

    /**
     * Folders a bare name may denote besides a preset: {@code <home>/checkpoints/<name>} and the project's test
     * fixtures beside the install, {@code <home>/../shared/fixtures/models/<name>} (or {@code -Dprosparse.fixtures}),
     * where the tiny recipes' models live (see {@code docs/paths.md}).
     */
    private List<Path> named(String spec) {
        Path fixtures = Path.of(System.getProperty("prosparse.fixtures", home.resolve("../shared/fixtures/models").toString()));
        return List.of(home.resolve("checkpoints").resolve(spec), fixtures.toAbsolutePath().normalize().resolve(spec));
    }

    /** A recipe's {@code model} as a checkpoint folder; a preset's folder is checked against the preset's dimensions. */
    public static Path forRecipe(String spec, boolean download) {
        Resolved m = new ModelResolver(Presets.home(), HubEnv.fromSystem(), Names.RECIPE).resolve(spec, null, "main", download);
        if (m.preset() != null) {
            m.preset().check(dev.prosparse.config.ModelConfig.read(m.dir()), m.dir());
        }
        return m.dir();
    }

    private Lookup lookup(Target t, String revision) {
        List<Path> looked = new ArrayList<>();
        List<Path> bundled = new ArrayList<>();
        if (t.preset != null) {
            bundled.add(home.resolve("checkpoints").resolve(t.preset.name()));
        }
        if (t.hubId != null) {
            // checkpoints/org/name, as `huggingface-cli download org/name --local-dir checkpoints/org/name` makes it;
            // never checkpoints/name alone, which another org's model of the same name would match by mistake
            bundled.add(home.resolve("checkpoints").resolve(t.hubId));
        }
        if (t.preset == null && t.hubId == null) {
            bundled.addAll(named(t.name));
        }
        for (Path b : bundled.stream().distinct().collect(Collectors.toList())) {
            looked.add(b);
            if (Files.isRegularFile(b.resolve("config.json"))) {
                return new Lookup(Optional.of(new Resolved(b, t.name, t.preset, t.hubId, null, Origin.BUNDLED)), looked);
            }
        }
        if (t.hubId != null) {
            for (Path root : env.cacheRoots()) {
                looked.add(HfCache.repoDir(root, t.hubId));
                Optional<HfCache.Snapshot> s = HfCache.find(root, t.hubId, revision);
                if (s.isPresent()) {
                    return new Lookup(Optional.of(new Resolved(s.get().dir(), t.name, t.preset, t.hubId,
                            s.get().commit(), Origin.HF_CACHE)), looked);
                }
            }
        }
        return new Lookup(Optional.empty(), looked);
    }

    private ProsparseException notFound(String spec, Target t, String revision, List<Path> looked) {
        String where = looked.stream().map(Path::toString).collect(Collectors.joining(", "));
        if (t.hubId == null) {
            return ProsparseException.usage("preset " + t.name + " has no hub_id, so it is bundled only, and it is not"
                    + " in " + where + "; restore the bundled folder or " + names.pointAtCopy());
        }
        String what = t.preset != null ? "preset " + t.name + " (" + t.hubId + ")" : "hub model " + t.hubId;
        return ProsparseException.usage(what + " at revision " + revision + " is not on this machine (looked in "
                + where + "); add " + names.download() + " to fetch it from " + env.endpoint() + " into " + env.downloadRoot()
                + " (gated models need HF_TOKEN), or run 'huggingface-cli download " + t.hubId
                + (revision.equals("main") ? "" : " --revision " + revision) + "', or " + names.pointAtCopy());
    }

    private static Resolved folder(String spec, Path dir) {
        Optional<String[]> cached = HfCache.identify(dir);
        if (cached.isPresent()) {
            return new Resolved(dir, spec, null, cached.get()[0], cached.get()[1], Origin.FOLDER);
        }
        return new Resolved(dir, spec, null, null, gitHead(dir), Origin.FOLDER);
    }

    /** The commit of a git clone of a hub repository ({@code .git/HEAD}), or null. */
    static String gitHead(Path dir) {
        Path git = dir.resolve(".git");
        try {
            if (!Files.isRegularFile(git.resolve("HEAD"))) {
                return null;
            }
            String head = Files.readString(git.resolve("HEAD")).trim();
            if (COMMIT.matcher(head).matches()) {
                return head;
            }
            if (!head.startsWith("ref: ")) {
                return null;
            }
            String ref = head.substring(5).trim();
            Path loose = git.resolve(ref);
            if (loose.normalize().startsWith(git) && Files.isRegularFile(loose)) {
                String sha = Files.readString(loose).trim();
                return COMMIT.matcher(sha).matches() ? sha : null;
            }
            Path packed = git.resolve("packed-refs");
            if (Files.isRegularFile(packed)) {
                for (String line : Files.readAllLines(packed)) {
                    String[] parts = line.trim().split(" ");
                    if (parts.length == 2 && parts[1].equals(ref) && COMMIT.matcher(parts[0]).matches()) {
                        return parts[0];
                    }
                }
            }
        } catch (IOException e) {
            return null;
        }
        return null;
    }

    private static Path asPath(String spec) {
        try {
            String s = spec.startsWith("~/") ? System.getProperty("user.home") + spec.substring(1) : spec;
            return Path.of(s);
        } catch (InvalidPathException e) {
            return null;
        }
    }
}
