package dev.prosparse.convert;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.prosparse.Fixtures;
import dev.prosparse.config.ModelConfig;
import dev.prosparse.io.CheckpointFiles;
import dev.prosparse.io.DType;
import dev.prosparse.io.SafetensorsWriter;
import dev.prosparse.io.SafetensorsWriter.TensorSource;
import dev.prosparse.config.Activation;
import dev.prosparse.model.CausalLM;
import dev.prosparse.model.Weights;
import dev.prosparse.util.Torch;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Prepares the one-off transformers check of {@code scripts/check-hf-load.py}: converts a fixture (default
 * tiny-llama) to relu into {@code <dir>/<fixture>-relu} and writes our logits to {@code <dir>/<fixture>-relu.ours.safetensors}
 * ({@code input_ids} I64 [2, 128]: the first two 128-token windows of the checkpoint's own token stream of the
 * validation text, longer than tiny-mistral's 64-token sliding window and tiny-llama3's 64-token original context;
 * {@code logits} F32 [2, 128, V]). Run from the repository root after {@code mvn test-compile}:
 * <pre>java -cp target/classes:target/test-classes:target/lib/* -Dprosparse.repo=. dev.prosparse.convert.HfCheckExport .carry [tiny-qwen3]</pre>
 * When the second argument is a checkpoint folder (a training save, say) rather than a fixture name, that folder is
 * copied as it is to {@code <dir>/<its name>} instead, and {@code <dir>/<its name>.ours.safetensors} holds our logits.
 */
public final class HfCheckExport {
    private HfCheckExport() {}

    public static void main(String[] args) {
        Path dir = Path.of(args.length > 0 ? args[0] : ".carry");
        String what = args.length > 1 ? args[1] : "tiny-llama";
        Path out;
        if (java.nio.file.Files.isDirectory(Path.of(what))) {
            Path src = Path.of(what);
            out = dir.resolve(src.getFileName());
            copyFolder(src, out);
        } else {
            out = dir.resolve(what + "-relu");
            new Converter().convert(ConvertRequest.of(Fixtures.model(what), out, Activation.RELU, null).withForce(true));
        }
        Path oursFile = dir.resolve(out.getFileName() + ".ours.safetensors");
        Torch.start(2);
        int seq = 128;
        long[] ids = new long[2 * seq];
        dev.prosparse.io.HfCheckpoint ckpt = dev.prosparse.io.HfCheckpoint.open(out);
        try (dev.prosparse.data.TextTokenizer tok = ckpt.tokenizer()) {
            dev.prosparse.data.TokenStream stream = dev.prosparse.data.TokenStream.of(tok,
                    dev.prosparse.data.DataSource.of(dev.prosparse.data.DataSource.EMBEDDED_VALID).readDocuments());
            System.arraycopy(stream.window(0, seq), 0, ids, 0, seq);
            System.arraycopy(stream.window(seq, seq), 0, ids, seq, seq);
        }
        ModelConfig config = ckpt.config();
        try (NDManager base = NDManager.newBaseManager(); CheckpointFiles files = CheckpointFiles.open(out);
                Weights w = Weights.load(config, files, base)) {
            CausalLM lm = new CausalLM(config, w, config.hiddenAct(), config.hiddenActParam());
            float[] logits = lm.forward(Torch.fromLongs(base, ids, new Shape(2, seq)), false).logits().toFloatArray();
            SafetensorsWriter.write(oursFile, Map.of("source", "prosparse forward, float32"),
                    List.of(TensorSource.ofLongs("input_ids", new long[] {2, seq}, ids),
                            TensorSource.ofFloats("logits", DType.F32, new long[] {2, seq, config.vocabSize()}, logits)));
        }
        System.out.println("wrote " + out + " and " + oursFile);
    }

    private static void copyFolder(Path src, Path dst) {
        try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(src)) {
            java.nio.file.Files.createDirectories(dst);
            for (Path f : (Iterable<Path>) files::iterator) {
                if (java.nio.file.Files.isRegularFile(f)) {
                    java.nio.file.Files.copy(f, dst.resolve(f.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
