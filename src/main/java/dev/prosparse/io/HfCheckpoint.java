package dev.prosparse.io;

import com.fasterxml.jackson.databind.JsonNode;
import dev.prosparse.ProsparseException;
import dev.prosparse.config.ModelConfig;
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
            String gguf = CheckpointFiles.ggufProblem(dir);
            if (gguf != null) {
                throw ProsparseException.checkpoint(gguf);
            }
            throw ProsparseException.checkpoint(dir + " has no config.json, so it is not a HuggingFace checkpoint"
                    + " folder; it holds: " + Listing.list(dir));
        }
        return new HfCheckpoint(dir, ModelConfig.read(dir));
    }

    /** Opens the weight files (not read yet). */
    public CheckpointFiles files() {
        return CheckpointFiles.open(dir);
    }

    /** The tokenizer, with config.json's {@code eos_token_id} appended after each document. */
    public TextTokenizer tokenizer() {
        return TextTokenizer.load(dir, eosTokenId());
    }

    /** {@code eos_token_id} of config.json (the first one where it is a list). */
    public int eosTokenId() {
        JsonNode n = config.raw().get("eos_token_id");
        if (n != null && n.isArray() && n.size() > 0) {
            n = n.get(0);
        }
        if (n == null || !n.canConvertToInt()) {
            throw ProsparseException.checkpoint(dir.resolve(ModelConfig.FILE)
                    + ": eos_token_id is missing or not an integer; it is needed to end each document");
        }
        return n.asInt();
    }
}
