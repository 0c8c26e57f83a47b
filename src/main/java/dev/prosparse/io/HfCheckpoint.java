package dev.prosparse.io;

import dev.prosparse.ProsparseException;
import dev.prosparse.config.ModelConfig;
import dev.prosparse.data.EndOfDocument;
import dev.prosparse.data.TextTokenizer;
import dev.prosparse.util.Listing;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A HuggingFace checkpoint folder: {@code config.json}, the safetensors weights (single file or sharded
 * with an index) and the tokenizer files.
 */
public record HfCheckpoint(Path dir, ModelConfig config) {

    /** Opens a folder, checking that it exists and holds a readable config.json. */
    public static HfCheckpoint open(Path dir) {
        if (!Files.exists(dir)) {
            throw ProsparseException.usage("--model " + dir + ": no such folder" + Listing.nearby(dir));
        }
        if (!Files.isDirectory(dir)) {
            throw ProsparseException.usage("--model " + dir + " is a file; give the checkpoint folder that holds"
                    + " config.json and the *.safetensors files");
        }
        if (!Files.isRegularFile(dir.resolve(ModelConfig.FILE))) {
            throw ProsparseException.checkpoint(dir + " has no config.json, so it is not a HuggingFace checkpoint"
                    + " folder; it holds: " + Listing.list(dir));
        }
        return new HfCheckpoint(dir, ModelConfig.read(dir));
    }

    /** Opens the weight files (not read yet). */
    public CheckpointFiles files() {
        return CheckpointFiles.open(dir);
    }

    /** The tokenizer, with the end-of-document id of {@link EndOfDocument} appended after each document. */
    public TextTokenizer tokenizer() {
        return TextTokenizer.load(dir, config);
    }

    /** The end-of-document id: the tokenizer's EOS, else config.json's, else generation_config.json's. */
    public int eosTokenId() {
        return EndOfDocument.resolve(dir, config).id();
    }
}
