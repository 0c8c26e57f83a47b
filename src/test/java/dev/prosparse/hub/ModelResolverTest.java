package dev.prosparse.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prosparse.Fixtures;
import dev.prosparse.ProsparseException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** --model as folder, preset or hub id, resolved in the documented order. */
class ModelResolverTest {
    static final String SHA_A = "a".repeat(40);
    static final String SHA_B = "b".repeat(40);

    @TempDir
    Path tmp;
    Path home;

    @BeforeEach
    void home() throws IOException {
        // a prosparse home with the real presets and one bundled model
        home = tmp.resolve("prosparse");
        Files.createDirectories(home.resolve("configs/models"));
        Files.createDirectories(home.resolve("checkpoints"));
        try (var s = Files.list(Fixtures.repo().resolve("configs/models"))) {
            for (Path p : s.toList()) {
                Files.copy(p, home.resolve("configs/models").resolve(p.getFileName()));
            }
        }
        copyDir(Fixtures.model("tiny-llama"), home.resolve("checkpoints/tiny-llama"));
    }

    static void copyDir(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (var s = Files.list(from)) {
            for (Path p : s.toList()) {
                Files.copy(p, to.resolve(p.getFileName()));
            }
        }
    }

    /** A cache snapshot as huggingface_hub leaves it (config.json only: enough to be found). */
    static Path snapshot(Path root, String id, String sha, String ref) throws IOException {
        Path repo = root.resolve(HubId.cacheFolder(id));
        Path snap = repo.resolve("snapshots").resolve(sha);
        Files.createDirectories(snap);
        Files.copy(Fixtures.model("tiny-llama").resolve("config.json"), snap.resolve("config.json"));
        if (ref != null) {
            Files.createDirectories(repo.resolve("refs"));
            Files.writeString(repo.resolve("refs").resolve(ref), sha);
        }
        return snap;
    }

    ModelResolver resolver(Map<String, String> env) {
        return new ModelResolver(home, HubEnv.of(env));
    }

    Map<String, String> noCache() {
        return Map.of("HOME", tmp.resolve("user").toString());
    }

    @Test
    void folderIsUsedAsIs() {
        ModelResolver.Resolved r = resolver(noCache()).resolve(Fixtures.model("tiny-minicpm").toString(), null, "main", false);
        assertEquals(Fixtures.model("tiny-minicpm"), r.dir());
        assertEquals(ModelResolver.Origin.FOLDER, r.origin());
        assertNull(r.preset());
    }

    @Test
    void presetResolvesToTheBundledFolder() {
        ModelResolver.Resolved r = resolver(noCache()).resolve("tiny-llama", null, "main", false);
        assertEquals(home.resolve("checkpoints/tiny-llama"), r.dir());
        assertEquals(ModelResolver.Origin.BUNDLED, r.origin());
        assertEquals("tiny-llama", r.preset().name());
    }

    @Test
    void modelDirComesFirst() {
        ModelResolver.Resolved r = resolver(noCache()).resolve("tiny-llama", Fixtures.model("tiny-minicpm"), "main", false);
        assertEquals(Fixtures.model("tiny-minicpm"), r.dir());
        assertEquals(ModelResolver.Origin.MODEL_DIR, r.origin());
        assertEquals("tiny-llama", r.preset().name(), "the preset stays, so that its dimensions are checked");
        ProsparseException e = assertThrows(ProsparseException.class,
                () -> resolver(noCache()).resolve("tiny-llama", tmp.resolve("nope"), "main", false));
        assertTrue(e.getMessage().contains("--model-dir") && e.getMessage().contains("no such folder"), e.getMessage());
    }

    @Test
    void cacheRootsAreSearchedInOrder() throws IOException {
        Path hubCache = tmp.resolve("hf-hub-cache");
        Path hfHome = tmp.resolve("hf-home");
        Path user = tmp.resolve("user");
        Path inHome = snapshot(hfHome.resolve("hub"), "meta-llama/Llama-2-7b-hf", SHA_B, "main");
        Path inUser = snapshot(user.resolve(".cache/huggingface/hub"), "meta-llama/Llama-2-7b-hf", SHA_A, "main");

        Map<String, String> env = Map.of("HF_HUB_CACHE", hubCache.toString(), "HF_HOME", hfHome.toString(),
                "HOME", user.toString());
        ModelResolver.Resolved r = resolver(env).resolve("llama2-7b", null, "main", false);
        assertEquals(inHome, r.dir(), "$HF_HOME/hub before ~/.cache/huggingface/hub");
        assertEquals(SHA_B, r.revision());
        assertEquals(ModelResolver.Origin.HF_CACHE, r.origin());
        assertEquals("llama2-7b", r.preset().name());

        Path inHubCache = snapshot(hubCache, "meta-llama/Llama-2-7b-hf", SHA_A, "main");
        assertEquals(inHubCache, resolver(env).resolve("llama2-7b", null, "main", false).dir(), "$HF_HUB_CACHE first");
        assertEquals(inUser, resolver(Map.of("HOME", user.toString())).resolve("llama2-7b", null, "main", false).dir());
    }

    @Test
    void hubIdFindsItsPresetAndCommitShasResolveWithoutRefs() throws IOException {
        Path root = tmp.resolve("c");
        Path snap = snapshot(root, "meta-llama/Llama-2-13b-hf", SHA_A, null);
        Map<String, String> env = Map.of("HF_HUB_CACHE", root.toString(), "HOME", tmp.resolve("user").toString());
        ModelResolver.Resolved r = resolver(env).resolve("meta-llama/Llama-2-13b-hf", null, SHA_A, false);
        assertEquals(snap, r.dir());
        assertEquals("llama2-13b", r.preset().name(), "a hub id that a preset names gets the preset's checks");
        assertThrows(ProsparseException.class,
                () -> resolver(env).resolve("meta-llama/Llama-2-13b-hf", null, "main", false), "no refs/main");

        Path other = snapshot(root, "someone/Some-Model", SHA_B, "main");
        ModelResolver.Resolved o = resolver(env).resolve("someone/Some-Model", null, "main", false);
        assertEquals(other, o.dir());
        assertNull(o.preset());
        assertEquals("someone/Some-Model", o.hubId());
    }

    @Test
    void hubIdBundledUnderCheckpointsOrgName() throws IOException {
        copyDir(Fixtures.model("tiny-minicpm"), home.resolve("checkpoints/someone/tiny-llama"));
        ModelResolver.Resolved r = resolver(noCache()).resolve("someone/tiny-llama", null, "main", false);
        assertEquals(home.resolve("checkpoints/someone/tiny-llama"), r.dir());
        assertEquals(ModelResolver.Origin.BUNDLED, r.origin());
        // checkpoints/tiny-llama (another model of the same name) is never taken for other/tiny-llama
        ProsparseException e = assertThrows(ProsparseException.class,
                () -> resolver(noCache()).resolve("other/tiny-llama", null, "main", false));
        assertTrue(e.getMessage().contains(home.resolve("checkpoints/other/tiny-llama").toString()), e.getMessage());
    }

    @Test
    void notFoundSaysWhereItLookedAndHowToDownload() {
        Map<String, String> env = Map.of("HF_HUB_CACHE", tmp.resolve("c").toString(), "HOME", tmp.resolve("user").toString());
        ProsparseException e = assertThrows(ProsparseException.class,
                () -> resolver(env).resolve("llama2-7b", null, "main", false));
        String m = e.getMessage();
        assertEquals(2, e.exitCode());
        assertTrue(m.contains("preset llama2-7b (meta-llama/Llama-2-7b-hf)"), m);
        assertTrue(m.contains(home.resolve("checkpoints/llama2-7b").toString()), m);
        assertTrue(m.contains(home.resolve("checkpoints/meta-llama/Llama-2-7b-hf").toString()), m);
        assertTrue(m.contains(tmp.resolve("c/models--meta-llama--Llama-2-7b-hf").toString()), m);
        assertTrue(m.contains(tmp.resolve("user/.cache/huggingface/hub/models--meta-llama--Llama-2-7b-hf").toString()), m);
        assertTrue(m.contains("add --download") && m.contains("huggingface-cli download meta-llama/Llama-2-7b-hf"), m);
    }

    @Test
    void unknownPresetListsThePresets() {
        ProsparseException e = assertThrows(ProsparseException.class,
                () -> resolver(noCache()).resolve("llama3-8b", null, "main", false));
        assertTrue(e.getMessage().contains("llama2-13b, llama2-7b, minicpm-1b, mistral-7b-v0.3") && e.getMessage().contains("qwen3-8b, tiny-llama, tiny-minicpm"), e.getMessage());
        assertEquals(2, e.exitCode());
        e = assertThrows(ProsparseException.class,
                () -> resolver(noCache()).resolve(tmp.resolve("missing/folder").toString(), null, "main", false));
        assertTrue(e.getMessage().contains("no such folder") && e.getMessage().contains(tmp + " holds"), e.getMessage());
    }

    @Test
    void bundledOnlyPresetWithoutItsFolder() throws IOException {
        ProsparseException e = assertThrows(ProsparseException.class,
                () -> resolver(noCache()).resolve("tiny-minicpm", null, "main", true));
        assertTrue(e.getMessage().contains("bundled only"), e.getMessage());
    }

    @Test
    void folderInsideTheCacheKnowsItsRepoAndCommit() throws IOException {
        Path snap = snapshot(tmp.resolve("c"), "org/model", SHA_A, "main");
        ModelResolver.Resolved r = resolver(noCache()).resolve(snap.toString(), null, "main", false);
        assertEquals("org/model", r.hubId());
        assertEquals(SHA_A, r.revision());
    }

    @Test
    void gitCloneRevisionIsRead() throws IOException {
        Path clone = tmp.resolve("clone");
        copyDir(Fixtures.model("tiny-llama"), clone);
        Files.createDirectories(clone.resolve(".git/refs/heads"));
        Files.writeString(clone.resolve(".git/HEAD"), "ref: refs/heads/main\n");
        Files.writeString(clone.resolve(".git/refs/heads/main"), SHA_B + "\n");
        assertEquals(SHA_B, resolver(noCache()).resolve(clone.toString(), null, "main", false).revision());
    }

    @Test
    void envDefaultsMatchHuggingFaceHub() {
        HubEnv env = HubEnv.of(Map.of("HOME", "/home/u"));
        assertEquals(Path.of("/home/u/.cache/huggingface/hub"), env.downloadRoot());
        assertEquals("https://huggingface.co", env.endpoint());
        HubEnv custom = HubEnv.of(Map.of("HOME", "/home/u", "HF_HOME", "/data/hf", "HF_ENDPOINT", "http://127.0.0.1:9/"));
        assertEquals(Path.of("/data/hf/hub"), custom.downloadRoot());
        assertEquals("http://127.0.0.1:9", custom.endpoint());
    }
}
