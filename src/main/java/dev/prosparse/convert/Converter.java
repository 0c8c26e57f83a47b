package dev.prosparse.convert;

import dev.prosparse.config.ModelConfig;
import dev.prosparse.io.CheckpointFiles;
import dev.prosparse.io.HfCheckpoint;
import dev.prosparse.io.SafetensorsIndex;
import dev.prosparse.config.Activation;
import dev.prosparse.util.ByteSize;
import dev.prosparse.util.Durations;
import dev.prosparse.util.PeakRss;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToLongFunction;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code prosparse convert}: writes a copy of a HuggingFace checkpoint whose {@code config.json} names another
 * FFN activation. The weights are streamed shard by shard and never form a model: with {@code --dtype keep} each
 * shard is a byte copy ({@link FileChannel#transferTo}, in the kernel); with another dtype each floating tensor is
 * converted a chunk at a time. Memory stays flat whatever the model's size.
 *
 * <p>This class puts the steps in order; each has its own class. Every check ({@link ConvertChecks}: activation,
 * shapes against config.json, preset dimensions; {@link OutputPath}; {@link DiskSpace}) runs before anything is
 * written. The output is planned ({@link ShardPlan}), written ({@link ShardWriter}) into a {@link StagingFolder}
 * with its sidecar ({@link Provenance}), re-opened ({@link OutputCheck}) and renamed into place at the end; a
 * failure or Ctrl-C leaves no partial output and never touches the source.
 */
public final class Converter {
    private static final Logger LOG = LoggerFactory.getLogger(Converter.class);
    /** Room for what is written besides the weights and copied files: config, index, sidecar. */
    private static final long META_BYTES = 64 << 10;

    /** Told about each output file once it is complete (the CLI logs; tests inject failures). */
    public interface Listener {
        void fileWritten(String name, long bytes);
    }

    private ToLongFunction<Path> freeSpace = DiskSpace::usable;
    private Listener listener = (name, bytes) -> { };

    /** Replaces the free-space probe (bytes usable in the folder given), e.g. to test the disk-space check. */
    public Converter withFreeSpace(ToLongFunction<Path> probe) {
        this.freeSpace = probe;
        return this;
    }

    public Converter withListener(Listener l) {
        this.listener = l;
        return this;
    }

    /** Runs the conversion; see the class comment. */
    public ConvertResult convert(ConvertRequest r) {
        long t0 = System.nanoTime();
        Path source = r.source();
        Path out = r.out().toAbsolutePath().normalize();
        Activation act = r.activation();
        double param = ConvertChecks.activationParam(act, r.threshold());
        HfCheckpoint ckpt = HfCheckpoint.open(source);
        ModelConfig config = ckpt.config();
        try (CheckpointFiles files = ckpt.files()) {
            ConvertChecks.source(config, files, r);
            String nothing = ConvertChecks.nothingToDo(config, files, r, param);
            if (nothing != null) {
                return new ConvertResult(out, false, nothing, 0, List.of(), Durations.secondsSince(t0), peakRss());
            }
            OutputPath.check(r.out(), r.force());
            OutputPath.checkSeparate(source, r.out());

            ShardPlan plan = ShardPlan.of(files, r.dtype(), r.maxShardSize());
            List<Path> others = SourceFiles.others(source);
            DiskSpace.check(out, plan.bytes() + Sizes.total(others) + META_BYTES, freeSpace);

            ModelConfig target = config.withActivation(act, param);
            if (r.dtype() != TargetDtype.KEEP) {
                target = target.withDtype(r.dtype().hfName());
            }
            LOG.info("Converting {} ({}, {} layers, hidden_act {}) to {}{} into {}: {} weight file(s), {}, {}",
                    source, config.modelType(), config.numHiddenLayers(), config.hiddenAct().hfName(), act.hfName(),
                    act.takesParam() ? " (hidden_act_param " + param + ")" : "", r.out(), plan.shards().size(),
                    ByteSize.format(plan.bytes()), r.dtype() == TargetDtype.KEEP ? "dtype kept (byte copy)"
                            : "converted to " + r.dtype().hfName());

            List<Path> recorded = SourceFiles.recorded(files, source, others);
            Map<String, String> hashes = r.hash() ? Provenance.hash(recorded) : Map.of();

            long written;
            List<String> names;
            try (StagingFolder stage = StagingFolder.create(out)) {
                ShardWriter.write(stage, plan, others, listener);
                if (plan.indexed()) {
                    SafetensorsIndex.of(plan.weightMap(), plan.tensorBytes())
                            .write(stage.dir().resolve(SafetensorsIndex.FILE_NAME));
                }
                target.write(stage.dir());
                Provenance.sidecar(r, config, act, param, plan, recorded, hashes).write(stage.dir());
                OutputCheck.verify(stage.dir(), target, files.names());
                stage.checkNotCancelled();
                names = stage.names();
                written = Sizes.total(names.stream().map(stage.dir()::resolve).collect(Collectors.toList()));
                stage.commit();
            }
            double secs = Durations.secondsSince(t0);
            long rss = peakRss();
            String msg = String.format(Locale.ROOT, "wrote %s (%s%s, %s in %d files) in %.1f s", r.out(), act.hfName(),
                    act.takesParam() ? " " + param : "", ByteSize.format(written), names.size(), secs);
            LOG.info("{}{}", msg, rss > 0 ? "; peak RSS " + ByteSize.format(rss) : "");
            return new ConvertResult(out, true, msg, written, names, secs, rss);
        }
    }

    private static long peakRss() {
        return PeakRss.bytes().orElse(-1);
    }
}
