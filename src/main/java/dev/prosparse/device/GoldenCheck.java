package dev.prosparse.device;

import dev.prosparse.util.RelativeError;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import dev.prosparse.config.ModelConfig;
import dev.prosparse.io.CheckpointFiles;
import dev.prosparse.io.SafetensorsFile;
import dev.prosparse.config.Activation;
import dev.prosparse.model.AttentionKernel;
import dev.prosparse.model.CausalLM;
import dev.prosparse.model.Weights;
import dev.prosparse.util.Json;
import dev.prosparse.util.Torch;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;

/**
 * The fixtures' golden checks (transformers' float32 logits, loss, Σ mean|x1|, zero counts and gradient norms) on any
 * device, for scripts/gpu-check.sh: the GPU machines have no Java build tools, so JUnit cannot run there. Same
 * tolerances as the fixtures README: logits 1e-5 relative (L2), loss and L1 1e-5, zero counts ±3 entries, gradient
 * norms 1e-4. Each model is checked with both attention kernels (eager, and PyTorch's fused sdpa). Exit status 1 when
 * any check fails.
 *
 * <pre>java -cp prosparse.jar:lib/* dev.prosparse.device.GoldenCheck DEVICE GOLDEN_DIR MODEL_DIR...</pre>
 * (each MODEL_DIR's folder name names its golden files, e.g. checkpoints/tiny-llama → tiny-llama.json)
 */
public final class GoldenCheck {
    private static final String[] ACTS = {"silu", "relu", "fatrelu", "drelu", "relu2", "shiftrelu"};
    private static int failures;

    private GoldenCheck() {}

    public static void main(String[] args) throws IOException {
        if (args.length < 3) {
            System.err.println("usage: GoldenCheck DEVICE GOLDEN_DIR MODEL_DIR...");
            System.exit(2);
        }
        DeviceSetup.select(DeviceSpec.parse(args[0], "device"), 0, "device");
        Path golden = Path.of(args[1]);
        System.out.println("device " + DeviceSetup.describe(Torch.device()));
        System.out.printf(Locale.ROOT, "%-20s %-10s %12s %12s %12s %10s%n", "model/attention", "act", "logits rel", "loss rel",
                "L1 rel", "zeros ±");
        try (NDManager base = Torch.newBaseManager()) {
            for (int i = 2; i < args.length; i++) {
                for (AttentionKernel kernel : new AttentionKernel[] {AttentionKernel.EAGER, AttentionKernel.SDPA}) {
                    check(Path.of(args[i]), golden, base, kernel);
                }
            }
        }
        System.out.println(failures == 0 ? "GOLDEN OK" : "GOLDEN FAILED: " + failures + " checks out of tolerance");
        System.exit(failures == 0 ? 0 : 1);
    }

    private static void check(Path dir, Path golden, NDManager base, AttentionKernel kernel) throws IOException {
        String file = dir.getFileName().toString(), name = file + "/" + kernel;
        JsonNode g = Json.MAPPER.readTree(golden.resolve(file + ".json").toFile());
        ModelConfig config = ModelConfig.read(dir);
        long[] ids;
        try (SafetensorsFile f = SafetensorsFile.open(golden.resolve(file + ".safetensors"))) {
            ids = f.readInt64("input_ids");
        }
        int seq = ids.length / 2;
        try (CheckpointFiles files = CheckpointFiles.open(dir); Weights w = Weights.load(config, files, base)) {
            for (String actName : ACTS) {
                JsonNode a = g.get("acts").get(actName);
                try (NDManager scope = base.newSubManager()) {
                    CausalLM model = new CausalLM(config, w, Activation.parse(actName, "act"), a.get("param").asDouble())
                            .withAttention(kernel);
                    NDArray input = Torch.fromLongs(scope, ids, new Shape(2, seq));
                    CausalLM.Output out = model.forward(input, true);
                    boolean full = actName.equals("silu") || actName.equals("relu");
                    NDArray logits = full ? out.logits() : out.logits().get(new NDIndex(":, -1, :"));
                    float[] expected;
                    try (SafetensorsFile f = SafetensorsFile.open(golden.resolve(file + ".safetensors"))) {
                        expected = f.readFloat32(full ? "logits_" + actName : "logits_" + actName + "_last");
                    }
                    double le = RelativeError.of(logits.toFloatArray(), expected);
                    double loss = CausalLM.crossEntropy(out.logits().get(new NDIndex(":, :-1, :")),
                            input.get(new NDIndex(":, 1:"))).getFloat();
                    double lossErr = rel(loss, a.get("loss").asDouble());
                    double l1 = 0;
                    long worstZeros = 0;
                    for (int l = 0; l < config.numHiddenLayers(); l++) {
                        CausalLM.LayerStats s = CausalLM.stats(out.x1().get(l));
                        l1 += s.absSum() / s.count();
                        long exp = Math.round(a.get("per_layer_zero_fraction").get(l).asDouble() * s.count());
                        worstZeros = Math.max(worstZeros, Math.abs(s.zeros() - exp));
                    }
                    double l1Err = rel(l1, a.get("l1_sum_of_layer_means").asDouble());
                    boolean ok = le <= 1e-5 && lossErr <= 1e-5 && l1Err <= 1e-5 && worstZeros <= 3;
                    failures += ok ? 0 : 1;
                    System.out.printf(Locale.ROOT, "%-20s %-10s %12.2e %12.2e %12.2e %10d %s%n", name, actName, le, lossErr,
                            l1Err, worstZeros, ok ? "ok" : "FAIL");
                }
            }
            gradients(name, g.get("grad_check"), config, w, base, ids, seq, kernel);
        }
    }

    private static void gradients(String name, JsonNode g, ModelConfig config, Weights w, NDManager base, long[] ids, int seq,
            AttentionKernel kernel) {
        w.asMap().values().forEach(p -> p.setRequiresGradient(true));
        try (NDManager scope = base.newSubManager()) {
            CausalLM model = new CausalLM(config, w, Activation.RELU, 0).withAttention(kernel);
            NDArray input = Torch.fromLongs(scope, ids, new Shape(2, seq));
            try (GradientCollector gc = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
                CausalLM.Output out = model.forward(input, true);
                NDArray loss = CausalLM.crossEntropy(out.logits().get(new NDIndex(":, :-1, :")), input.get(new NDIndex(":, 1:")));
                NDArray l1 = null;
                for (NDArray x1 : out.x1()) {
                    NDArray m = x1.abs().mean();
                    l1 = l1 == null ? m : l1.add(m);
                }
                gc.backward(loss.add(l1.mul(Torch.scalar(scope, g.get("lambda").asDouble()))));
            }
            double worst = 0;
            for (Iterator<Map.Entry<String, JsonNode>> it = g.get("grad_norms").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                NDArray grad = w.get(e.getKey()).getGradient();
                grad.attach(scope);
                worst = Math.max(worst, rel(grad.norm().getFloat(), e.getValue().asDouble()));
            }
            boolean ok = worst <= 1e-4;
            failures += ok ? 0 : 1;
            System.out.printf(Locale.ROOT, "%-20s %-10s worst gradient-norm relative error %.2e %s%n", name, "grad", worst,
                    ok ? "ok" : "FAIL");
        }
    }

    private static double rel(double actual, double expected) {
        return Math.abs(actual - expected) / Math.max(Math.abs(expected), 1e-30);
    }

}
