package dev.prosparse.convert;

import dev.prosparse.hub.Preset;
import dev.prosparse.config.Activation;
import java.nio.file.Path;

/**
 * One {@code prosparse convert}.
 *
 * @param source       the checkpoint folder (already resolved from a preset or hub id)
 * @param out          the folder to create
 * @param activation   the new {@code hidden_act}
 * @param threshold    {@code hidden_act_param} for fatrelu / shiftrelu, else null
 * @param dtype        keep (byte copy) or the dtype every floating tensor is written as
 * @param maxShardSize null keeps the source's sharding; otherwise tensors are re-packed into shards of at most
 *                     this many bytes (a larger tensor gets a shard of its own)
 * @param force        replace a non-empty {@code out}, and convert even when the source already has the activation
 * @param hash         record the sha256 of every source file in {@code prosparse.json}
 * @param origin       how --model was resolved, for the sidecar
 * @param preset       the preset named, whose dimensions the source must have; null for none
 */
public record ConvertRequest(Path source, Path out, Activation activation, Double threshold, TargetDtype dtype,
        Long maxShardSize, boolean force, boolean hash, Origin origin, Preset preset) {

    /**
     * Where the source came from.
     *
     * @param model    --model as given
     * @param hubId    null when unknown
     * @param revision commit sha or revision where known, else null
     * @param via      folder, bundled, HuggingFace cache, downloaded, --model-dir
     */
    public record Origin(String model, String hubId, String revision, String via) {
        public static Origin folder(Path dir) {
            return new Origin(dir.toString(), null, null, "folder");
        }
    }

    /** A plain folder-to-folder conversion with defaults (keep dtype, same sharding, no force, no hash). */
    public static ConvertRequest of(Path source, Path out, Activation act, Double threshold) {
        return new ConvertRequest(source, out, act, threshold, TargetDtype.KEEP, null, false, false,
                Origin.folder(source), null);
    }

    public ConvertRequest withDtype(TargetDtype d) {
        return new ConvertRequest(source, out, activation, threshold, d, maxShardSize, force, hash, origin, preset);
    }

    public ConvertRequest withMaxShardSize(Long bytes) {
        return new ConvertRequest(source, out, activation, threshold, dtype, bytes, force, hash, origin, preset);
    }

    public ConvertRequest withForce(boolean f) {
        return new ConvertRequest(source, out, activation, threshold, dtype, maxShardSize, f, hash, origin, preset);
    }

    public ConvertRequest withHash(boolean h) {
        return new ConvertRequest(source, out, activation, threshold, dtype, maxShardSize, force, h, origin, preset);
    }

    public ConvertRequest withPreset(Preset p) {
        return new ConvertRequest(source, out, activation, threshold, dtype, maxShardSize, force, hash, origin, p);
    }
}
