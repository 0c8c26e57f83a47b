package dev.prosparse.data;

import com.fasterxml.jackson.databind.JsonNode;
import dev.prosparse.ProsparseException;
import dev.prosparse.config.ModelConfig;
import dev.prosparse.util.Json;
import dev.prosparse.util.Messages;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The id appended after every document of a token stream, and where it came from. In order:
 * <ol>
 *   <li>the tokenizer's EOS token ({@code eos_token} of tokenizer_config.json, else of special_tokens_map.json),
 *       looked up in tokenizer.json (added tokens, then the model vocabulary);
 *   <li>{@code eos_token_id} of config.json (Llama-3.1 writes a list: the first is taken, and said so);
 *   <li>{@code eos_token_id} of generation_config.json (same rule);
 * </ol>
 * and an error naming the three places when none has one. (The BOS is the tokenizer's business: its
 * post-processor adds one or not; config.json's {@code bos_token_id} is never used. docs/model-families.md.)
 *
 * @param source where the id was found, for the log
 */
public record EndOfDocument(int id, String source) {

    /** Resolves the end-of-document id of a checkpoint folder. */
    public static EndOfDocument resolve(Path dir, ModelConfig config) {
        EndOfDocument fromTokenizer = fromTokenizer(dir);
        if (fromTokenizer != null) {
            return fromTokenizer;
        }
        EndOfDocument fromConfig = fromIdKey(config.raw().get("eos_token_id"), ModelConfig.FILE);
        if (fromConfig != null) {
            return fromConfig;
        }
        Path gen = dir.resolve("generation_config.json");
        if (Files.isRegularFile(gen)) {
            EndOfDocument fromGen = fromIdKey(read(gen).get("eos_token_id"), "generation_config.json");
            if (fromGen != null) {
                return fromGen;
            }
        }
        throw ProsparseException.checkpoint(dir + ": no end-of-document token: tokenizer_config.json names no"
                + " eos_token, and neither config.json nor generation_config.json has an eos_token_id; add"
                + " \"eos_token_id\": <id> to config.json");
    }

    private static EndOfDocument fromIdKey(JsonNode n, String file) {
        if (n == null || n.isNull()) {
            return null;
        }
        if (n.isArray()) {
            if (n.isEmpty() || !n.get(0).canConvertToInt() || !n.get(0).isIntegralNumber()) {
                return null;
            }
            return new EndOfDocument(n.get(0).asInt(), file + " eos_token_id (the first of " + n + ")");
        }
        if (!n.canConvertToInt() || !n.isIntegralNumber()) {
            throw ProsparseException.checkpoint(file + ": eos_token_id must be an integer or a list of integers, got "
                    + Messages.printable(n.toString(), 60));
        }
        return new EndOfDocument(n.asInt(), file + " eos_token_id");
    }

    private static EndOfDocument fromTokenizer(Path dir) {
        String token = null, file = null;
        for (String f : List.of("tokenizer_config.json", "special_tokens_map.json")) {
            Path p = dir.resolve(f);
            if (token == null && Files.isRegularFile(p)) {
                JsonNode eos = read(p).get("eos_token");
                token = eos == null ? null : eos.isTextual() ? eos.asText() : eos.path("content").textValue();
                file = f;
            }
        }
        Path tj = dir.resolve(TextTokenizer.FILE);
        if (token == null || token.isEmpty() || !Files.isRegularFile(tj)) {
            return null;
        }
        JsonNode tokenizer = read(tj);
        for (JsonNode t : iterable(tokenizer.path("added_tokens"))) {
            if (token.equals(t.path("content").textValue()) && t.path("id").canConvertToInt()) {
                return new EndOfDocument(t.path("id").asInt(), file + " eos_token " + quote(token));
            }
        }
        JsonNode id = tokenizer.path("model").path("vocab").get(token);
        if (id != null && id.canConvertToInt()) {
            return new EndOfDocument(id.asInt(), file + " eos_token " + quote(token));
        }
        throw ProsparseException.checkpoint(dir.resolve(file) + ": eos_token " + quote(token) + " is not a token of "
                + TextTokenizer.FILE + "; the tokenizer files do not belong together");
    }

    private static String quote(String token) {
        return "\"" + Messages.printable(token, 40) + "\"";
    }

    private static List<JsonNode> iterable(JsonNode array) {
        List<JsonNode> l = new ArrayList<>();
        array.forEach(l::add);
        return l;
    }

    private static JsonNode read(Path p) {
        try {
            JsonNode n = Json.MAPPER.readTree(p.toFile());
            if (n == null || !n.isObject()) {
                throw ProsparseException.checkpoint(p + " must hold a JSON object");
            }
            return n;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw ProsparseException.checkpoint(p + " is not valid JSON: " + Messages.jsonProblem(e));
        } catch (IOException e) {
            throw ProsparseException.io("Cannot read " + p + ": " + e.getMessage(), e);
        }
    }
}
