package dev.prosparse.train;

import dev.prosparse.dist.LaunchEnv;
import ai.djl.Device;
import dev.prosparse.ProsparseException;
import dev.prosparse.config.ModelConfig;
import dev.prosparse.device.DeviceSpec;
import dev.prosparse.device.Precision;
import dev.prosparse.hub.HubEnv;
import dev.prosparse.hub.ModelResolver;
import dev.prosparse.hub.Preset;
import dev.prosparse.hub.Presets;
import dev.prosparse.config.Activation;
import dev.prosparse.plan.Capacity;
import dev.prosparse.plan.MemoryPlan;
import dev.prosparse.plan.ModelShape;
import dev.prosparse.plan.PlanReport;
import dev.prosparse.plan.RunShape;
import dev.prosparse.util.Torch;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The memory plan of a recipe (docs/memory-plan.md): printed by {@code prosparse train --plan}, and checked at every
 * start before the run folder exists, so that a run that cannot fit is refused with the figures and the knobs instead
 * of failing after it was created.
 */
public final class TrainingPlan {
    private static final Logger LOG = LoggerFactory.getLogger(TrainingPlan.class);

    private TrainingPlan() {}

    /**
     * What {@code train --plan --device-memory SIZE [--host-memory SIZE]} gives, to plan a GPU that need not be on this
     * machine: the card's memory and the host's, in bytes, with the text as typed for the table; −1 where not given.
     */
    public record Given(long deviceMemory, String deviceText, long hostMemory) {}

    /** The recipe's plan on {@code device} of this machine, the model's dimensions from {@code shape}. */
    public static PlanReport report(Recipe recipe, ModelShape shape, Device device) {
        return report(recipe, shape, device, device.isGpu() ? Capacity.gpu(device.getDeviceId()) : Capacity.cpu());
    }

    /** The recipe's plan on {@code device} against {@code cap} (this machine's, or figures given for another). */
    public static PlanReport report(Recipe recipe, ModelShape shape, Device device, Capacity cap) {
        checkCounts(recipe);
        Activation act = Activation.parse(recipe.activation(), "recipe key activation");
        // under a launcher each rank holds its ZeRO-1 shard of the optimizer state (docs/distributed.md)
        int world = LaunchEnv.detect().map(LaunchEnv::worldSize).orElse(1);
        if (world > 1 && recipe.optimizer().offload().toHost()) {
            throw ProsparseException.usage("optimizer.offload: cpu runs on one device; under a launcher of " + world
                    + " ranks the optimizer state is sharded instead (ZeRO-1): set optimizer.offload: none"
                    + " (docs/distributed.md)");
        }
        RunShape run = new RunShape(recipe.batchSize(), recipe.seqLen(), recipe.gradAccum(), recipe.eval().windows(),
                recipe.precision() == Precision.FP16_MIXED, recipe.activationCheckpointing(),
                !recipe.attention().fusedOn(device), act == Activation.SILU, device.isGpu(),
                recipe.optimizer().offload().toHost(), world, world > 1 ? 1 : 0);
        return new PlanReport(MemoryPlan.of(shape, run), cap);
    }

    /**
     * {@code prosparse train --plan}: prints the table; 0 when it fits, 2 when it does not. Needs no weights, and with
     * {@code given.deviceMemory()} no GPU either: the recipe's {@code cuda[:N]} is planned against the given memory.
     *
     * @param threads libtorch CPU threads, for the engine start that counts this machine's GPUs
     * @param select  returns this machine's device (not called for a given GPU)
     */
    public static int print(Recipe recipe, Given given, int threads, java.util.function.Supplier<Device> select,
            String deviceKey, PrintStream out) {
        DeviceSpec spec = recipe.deviceSpec();
        Device device;
        Capacity cap;
        if (given.deviceMemory() >= 0) {
            if (spec.kind() != DeviceSpec.Kind.CUDA) {
                throw ProsparseException.usage("--device-memory plans a GPU run, but " + deviceKey + " is " + spec
                        + ": add --device cuda (for example prosparse train --plan --device cuda --precision fp16-mixed"
                        + " --device-memory 79GiB); for this machine's CPU leave --device-memory out");
            }
            device = Device.gpu(spec.index());
            cap = Capacity.givenGpu(spec + " (--device-memory " + given.deviceText() + ")", given.deviceMemory(),
                    given.hostMemory());
        } else {
            if (spec.kind() == DeviceSpec.Kind.CUDA && DeviceSpec.gpuCount(Torch.start(threads)) == 0) {
                throw ProsparseException.usage(deviceKey + " " + spec + ": this machine has no GPU that DJL sees, so --plan"
                        + " has no card to read the memory of. Give the card's memory to plan it from here:"
                        + " --device-memory 79GiB (an H100 80GB; an H200: 139GiB), and the GPU machine's host memory"
                        + " with --host-memory (for example 126GiB) to check the host side too (docs/memory-plan.md)");
            }
            device = select.get();
            cap = device.isGpu() ? Capacity.gpu(device.getDeviceId()) : Capacity.cpu();
            if (given.hostMemory() >= 0) {
                cap = cap.withHost(given.hostMemory());
            }
        }
        PlanReport r = report(recipe, shapeOf(recipe.model()), device, cap);
        out.print(r.table());
        return r.fits() ? 0 : ProsparseException.Kind.USAGE.exitCode;
    }

    /**
     * The start check: refuses (exit 2, nothing created) a run whose sizes overflow or whose plan cannot fit; warns when
     * the host's memory available now is short of the plan.
     */
    public static void check(Recipe recipe, Path modelDir, Device device) {
        PlanReport r = report(recipe, ModelShape.of(ModelConfig.read(modelDir), modelDir.toString()), device);
        if (!r.canFit()) {
            throw ProsparseException.usage(r.refusal());
        }
        if (!r.fits()) {
            LOG.warn("The memory plan is over what this machine has free now; the run may be killed for memory: {}", r.refusal());
        }
    }

    /**
     * An out-of-memory error while a run sets up (loading the weights, creating the optimizer state, the first
     * evaluation) as one line with the figures and the knobs (exit 5); null when {@code e} is something else.
     */
    public static ProsparseException outOfMemoryAtSetup(Throwable e, Recipe recipe, Path modelDir, Device device) {
        boolean javaHeap = e instanceof OutOfMemoryError;
        if (!javaHeap && !(e instanceof RuntimeException && (dev.prosparse.device.GpuErrors.isOutOfMemory(e)
                || String.valueOf(e.getMessage()).contains("not enough memory")))) {
            return null;
        }
        String where = device != null && device.isGpu() ? "GPU cuda:" + device.getDeviceId() : "host";
        long used = dev.prosparse.device.DeviceSetup.gpuMemoryUsed(device), total = dev.prosparse.device.DeviceSetup.gpuMemoryTotal(device);
        String mem = used > 0 && total > 0 ? String.format(Locale.ROOT, " (%.1f of %.1f GiB in use)", used / GIB, total / GIB) : "";
        String plan;
        try {
            PlanReport r = report(recipe, ModelShape.of(ModelConfig.read(modelDir), modelDir.toString()), device);
            plan = String.format(Locale.ROOT, "; the memory plan needs %s (%.1f bytes per parameter of training state). %s",
                    r.peakSummary(), r.plan().stateBytesPerParameter(device.isGpu() ? MemoryPlan.Place.DEVICE : MemoryPlan.Place.HOST),
                    r.knobs().strip().replace("\n", "; ").replace(":;", ":"));
        } catch (RuntimeException planFailed) {
            plan = "";
        }
        String fix = javaHeap ? " The Java heap ran out: raise it with PROSPARSE_JAVA_OPTS=-Xmx…" : "";
        return new ProsparseException(ProsparseException.Kind.IO, "out of " + where + " memory while setting up the run"
                + " (loading the weights, creating the optimizer state or the first evaluation)" + mem + plan + "." + fix
                + " `prosparse train --plan` prints the whole table (docs/memory-plan.md)", e);
    }

    private static final double GIB = 1024.0 * 1024 * 1024;

    /** Sizes whose counts overflow what the trainer indexes with: refused with the product and the keys to change. */
    static void checkCounts(Recipe r) {
        long window = (long) r.seqLen() + 1;
        long ids = r.batchSize() * window;                     // < 2⁶² for any two ints
        if (ids > Integer.MAX_VALUE) {
            throw ProsparseException.usage(String.format(Locale.ROOT, "batch_size %d × (seq_len %d + 1) = %d token ids per"
                    + " micro-batch, more than the 2,147,483,647 one batch can index; lower batch_size or seq_len (for"
                    + " example --set batch_size=8 --set seq_len=1024) and raise grad_accum for more tokens per step",
                    r.batchSize(), r.seqLen(), ids));
        }
        // with B·(S + 1) < 2³¹ and grad_accum < 2³¹, tokens per step (a long) stay below 2⁶²: no second check needed
    }

    /**
     * The dimensions of the recipe's {@code model}: its config.json when it is on this machine (a folder, a bundled or
     * cached preset, a cached hub id), else a preset's dimensions (no weights needed).
     */
    static ModelShape shapeOf(String spec) {
        Path asPath = Path.of(spec);
        if (Files.isRegularFile(asPath.resolve(ModelConfig.FILE))) {
            return ModelShape.of(ModelConfig.read(asPath), spec);
        }
        ModelResolver resolver = new ModelResolver(Presets.home(), HubEnv.fromSystem(), ModelResolver.Names.RECIPE);
        Optional<Preset> preset = Optional.empty();
        try {
            preset = resolver.presets().find(spec);
        } catch (ProsparseException e) {
            // no preset folder: the spec is a folder or a hub id
        }
        if (preset.isPresent()) {
            Preset p = preset.get();
            Optional<ModelResolver.Resolved> found = resolver.locate(p, "main").found();
            if (found.isPresent()) {
                return ModelShape.of(ModelConfig.read(found.get().dir()), found.get().dir().toString());
            }
            return ModelShape.ofDimensions("preset " + p.name() + " (dimensions only; no weights on this machine)",
                    p.vocabSize(), p.hiddenSize(), p.intermediateSize(), p.numHiddenLayers(), p.numAttentionHeads(),
                    p.numKeyValueHeads(), p.headDim());
        }
        ModelResolver.Resolved m = resolver.resolve(spec, null, "main", false);
        return ModelShape.of(ModelConfig.read(m.dir()), m.dir().toString());
    }
}
