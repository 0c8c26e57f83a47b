package dev.prosparse.predict;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prosparse.ProsparseException;
import dev.prosparse.config.ModelConfig;
import dev.prosparse.util.Json;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * What identifies the model a predictors folder was trained on (recorded in predictors.json as {@code "model"}):
 * its path, a fingerprint of its weights, its activation and threshold, its shape. The fingerprint is SHA-256 over
 * each {@code *.safetensors} file of the folder, by name: the name, the size and four 256 KiB samples spread over the
 * file (first, last, two between): seconds for a 7B model, and two trainings of one shape differ in every sample
 * (docs/powerinfer.md, "Predictors belong to one model").
 */
public record ModelIdentity(String path, String weightsFingerprint, String hiddenAct, double hiddenActParam, int layers,
        int hidden, int intermediate) {

    static final int SAMPLE = 256 * 1024, SAMPLES = 4;

    public static ModelIdentity of(Path dir, ModelConfig c) {
        return new ModelIdentity(dir.toAbsolutePath().normalize().toString(), fingerprint(dir), c.hiddenAct().hfName(),
                c.hiddenActParam(), c.numHiddenLayers(), c.hiddenSize(), c.intermediateSize());
    }

    public static String fingerprint(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> shards = new ArrayList<>(s.filter(p -> p.getFileName().toString().endsWith(".safetensors")
                    && Files.isRegularFile(p)).sorted().toList());
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (Path p : shards) {
                try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
                    long size = ch.size();
                    md.update((p.getFileName() + "\n" + size + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
                    ByteBuffer buf = ByteBuffer.allocate(SAMPLE);
                    for (int i = 0; i < SAMPLES; i++) {
                        long at = Math.max(0, size - SAMPLE) * i / (SAMPLES - 1);
                        buf.clear();
                        while (buf.hasRemaining() && ch.read(buf, at + buf.position()) > 0) {
                            // read the sample fully
                        }
                        buf.flip();
                        md.update(buf);
                    }
                }
            }
            return "sha256:" + HexFormat.of().formatHex(md.digest());
        } catch (IOException e) {
            throw ProsparseException.io("Could not read the weights of " + dir + " to fingerprint them: " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public ObjectNode toJson() {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("path", path);
        o.put("weights_fingerprint", weightsFingerprint);
        o.put("hidden_act", hiddenAct);
        o.put("hidden_act_param", hiddenActParam);
        o.put("num_hidden_layers", layers);
        o.put("hidden_size", hidden);
        o.put("intermediate_size", intermediate);
        return o;
    }

    /** The identity recorded in a predictors.json, or null when it has none (written by an older prosparse). */
    public static ModelIdentity fromJson(JsonNode j) {
        JsonNode m = j.path("model");
        if (!m.isObject() || !m.path("weights_fingerprint").isTextual()) {
            return null;
        }
        return new ModelIdentity(m.path("path").asText(), m.path("weights_fingerprint").asText(), m.path("hidden_act").asText(),
                m.path("hidden_act_param").asDouble(), m.path("num_hidden_layers").asInt(), m.path("hidden_size").asInt(),
                m.path("intermediate_size").asInt());
    }

    /** What differs between the model the predictors were trained on (this) and {@code other}; empty when none. */
    public List<String> differences(ModelIdentity other) {
        List<String> d = new ArrayList<>();
        if (layers != other.layers || hidden != other.hidden || intermediate != other.intermediate) {
            d.add(String.format(Locale.ROOT, "shape %d layers x hidden %d x intermediate %d vs %d x %d x %d", layers, hidden,
                    intermediate, other.layers, other.hidden, other.intermediate));
        }
        if (!hiddenAct.equals(other.hiddenAct) || hiddenActParam != other.hiddenActParam) {
            d.add("hidden_act " + hiddenAct + " (" + hiddenActParam + ") vs " + other.hiddenAct + " (" + other.hiddenActParam + ")");
        }
        if (!weightsFingerprint.equals(other.weightsFingerprint)) {
            d.add("weights " + weightsFingerprint.substring(0, Math.min(19, weightsFingerprint.length())) + "… vs "
                    + other.weightsFingerprint.substring(0, Math.min(19, other.weightsFingerprint.length())) + "…");
        }
        return d;
    }
}
