package dev.prosparse;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where the test data lives. The tiny checkpoints are bundled in {@code checkpoints/}, the golden values in
 * test resources; small-llama and the corpus come from {@code ../shared/fixtures} (CI clones the project
 * with shared/ beside it). A missing file fails the test that needs it: nothing skips.
 */
public final class Fixtures {
    private Fixtures() {}

    /** The embedded validation text (embedded:valid), tokenized with {@code ckpt}'s tokenizer. */
    public static dev.prosparse.data.TokenStream validationTokens(dev.prosparse.io.HfCheckpoint ckpt) {
        try (dev.prosparse.data.TextTokenizer tok = ckpt.tokenizer()) {
            return dev.prosparse.data.TokenStream.of(tok,
                    dev.prosparse.data.DataSource.of(dev.prosparse.data.DataSource.EMBEDDED_VALID).readDocuments());
        }
    }

    public static Path repo() {
        return Path.of(System.getProperty("prosparse.repo", ".")).toAbsolutePath().normalize();
    }

    public static Path shared() {
        return Path.of(System.getProperty("prosparse.shared", "../shared")).toAbsolutePath().normalize();
    }

    /** A fixture model: bundled ones from checkpoints/, small-llama from ../shared/fixtures/models. */
    public static Path model(String name) {
        Path bundled = repo().resolve("checkpoints").resolve(name);
        if (Files.isDirectory(bundled)) {
            return bundled;
        }
        Path shared = shared().resolve("fixtures/models").resolve(name);
        if (!Files.isDirectory(shared)) {
            throw new IllegalStateException("fixture model " + name + " not found in " + bundled + " nor " + shared
                    + "; clone the project with ../shared beside it");
        }
        return shared;
    }

    /**
     * A golden file: from test resources ({@code golden/<name>}) for the first fixtures, from
     * {@code ../shared/fixtures/golden} for the model families added later (13 MB the repository need not carry).
     */
    public static Path golden(String name) {
        Path bundled = repo().resolve("src/test/resources/golden").resolve(name);
        if (Files.isRegularFile(bundled)) {
            return bundled;
        }
        Path shared = shared().resolve("fixtures/golden").resolve(name);
        if (!Files.isRegularFile(shared)) {
            throw new IllegalStateException("golden file " + name + " not found in " + bundled + " nor " + shared
                    + "; clone the project with ../shared beside it");
        }
        return shared;
    }
}
