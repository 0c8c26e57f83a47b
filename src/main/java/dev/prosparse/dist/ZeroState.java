package dev.prosparse.dist;

import dev.prosparse.ProsparseException;
import dev.prosparse.io.SafetensorsFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The AdamW moments of a save, read back as ranges of the flat parameter vector of a {@link ShardLayout}, whatever
 * world size wrote them (docs/distributed.md, "Saves and re-sharding"): the per-rank files
 * {@code optimizer-shard-RRRRR-of-WWWWW.safetensors} of a sharded run ({@code exp_avg}, {@code exp_avg_sq}: the
 * rank's real elements [begin, end)), or the single process's {@code optimizer.safetensors}
 * ({@code exp_avg.<name>}, {@code exp_avg_sq.<name>}). This is how a resume at another world size re-shards.
 */
public final class ZeroState {
    /** The single-process optimizer file (the name the trainer's run folders use). */
    public static final String FULL = "optimizer.safetensors";
    private static final Pattern SHARD = Pattern.compile("optimizer-shard-(\\d{5})-of-(\\d{5})\\.safetensors");

    private ZeroState() {}

    /** The file name of rank r's shard among world ranks. */
    public static String shardName(int rank, int world) {
        return String.format("optimizer-shard-%05d-of-%05d.safetensors", rank, world);
    }

    /** The world size whose shards {@code dir} holds, 0 for a single-process optimizer file; an error when neither is complete. */
    public static int savedWorld(Path dir) {
        List<Path> shards = shards(dir);
        if (shards.isEmpty()) {
            if (Files.isRegularFile(dir.resolve(FULL))) {
                return 0;
            }
            throw ProsparseException.checkpoint(dir + " has no optimizer state (neither " + FULL + " nor "
                    + shardName(0, 2) + "-style shards); resume from a save written by prosparse train");
        }
        Matcher m = SHARD.matcher(shards.get(0).getFileName().toString());
        m.matches();
        int world = Integer.parseInt(m.group(2));
        for (int r = 0; r < world; r++) {
            if (!Files.isRegularFile(dir.resolve(shardName(r, world)))) {
                throw ProsparseException.checkpoint(dir + " lacks " + shardName(r, world) + ": the save is incomplete;"
                        + " resume from an earlier save");
            }
        }
        return world;
    }

    /** [exp_avg, exp_avg_sq] of flat elements [begin, end) of {@code layout}'s vector. */
    public static float[][] readRange(Path dir, ShardLayout layout, long begin, long end) {
        int n = Math.toIntExact(end - begin);
        float[][] out = {new float[n], new float[n]};
        int world = savedWorld(dir);
        if (world == 0) {
            readFull(dir.resolve(FULL), layout, begin, end, out);
            return out;
        }
        ShardLayout saved = layout.withWorld(world);
        for (int r = 0; r < world; r++) {
            long b = Math.max(begin, saved.begin(r));
            long e = Math.min(end, saved.end(r));
            if (b >= e) {
                continue;
            }
            try (SafetensorsFile f = SafetensorsFile.open(dir.resolve(shardName(r, world)))) {
                check(f, layout, saved.end(r) - saved.begin(r));
                String[] keys = {"exp_avg", "exp_avg_sq"};
                for (int k = 0; k < 2; k++) {
                    float[] a = f.readFloat32(keys[k]);
                    System.arraycopy(a, (int) (b - saved.begin(r)), out[k], (int) (b - begin), (int) (e - b));
                }
            }
        }
        return out;
    }

    /** [exp_avg, exp_avg_sq] per parameter name, for a single process resuming a sharded save. */
    public static List<Map<String, float[]>> readAll(Path dir, ShardLayout layout) {
        float[][] flat = readRange(dir, layout, 0, layout.total());
        List<Map<String, float[]>> out = List.of(new LinkedHashMap<>(), new LinkedHashMap<>());
        for (ShardLayout.Entry e : layout.entries()) {
            for (int k = 0; k < 2; k++) {
                float[] a = new float[Math.toIntExact(e.numel())];
                System.arraycopy(flat[k], (int) e.offset(), a, 0, a.length);
                out.get(k).put(e.name(), a);
            }
        }
        return out;
    }

    private static void readFull(Path file, ShardLayout layout, long begin, long end, float[][] out) {
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            for (ShardLayout.Entry e : layout.entries()) {
                long b = Math.max(begin, e.offset());
                long x = Math.min(end, e.offset() + e.numel());
                if (b >= x) {
                    continue;
                }
                String[] keys = {"exp_avg." + e.name(), "exp_avg_sq." + e.name()};
                for (int k = 0; k < 2; k++) {
                    if (f.find(keys[k]).isEmpty()) {
                        throw ProsparseException.checkpoint(file + " has no tensor '" + keys[k] + "': it was written for"
                                + " another model; resume from a save of this run");
                    }
                    float[] a = f.readFloat32(keys[k]);
                    if (a.length != e.numel()) {
                        throw ProsparseException.checkpoint(file + ": '" + keys[k] + "' has " + a.length + " elements, the"
                                + " model's parameter has " + e.numel());
                    }
                    System.arraycopy(a, (int) (b - e.offset()), out[k], (int) (b - begin), (int) (x - b));
                }
            }
        }
    }

    private static void check(SafetensorsFile f, ShardLayout layout, long length) {
        String fp = f.metadata().get("layout_sha256");
        if (!layout.fingerprint().equals(fp)) {
            throw ProsparseException.checkpoint(f.path() + " was written for other parameters (layout " + fp + ", this"
                    + " model's " + layout.fingerprint() + "); resume from a save of this run");
        }
        if (f.info("exp_avg").shape()[0] != length) {
            throw ProsparseException.checkpoint(f.path() + " holds " + f.info("exp_avg").shape()[0] + " elements, its"
                    + " range needs " + length + "; the save is damaged");
        }
    }

    private static List<Path> shards(Path dir) {
        List<Path> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            s.filter(p -> SHARD.matcher(p.getFileName().toString()).matches()).sorted().forEach(out::add);
        } catch (IOException e) {
            throw ProsparseException.io("Cannot list " + dir + ": " + e.getMessage(), e);
        }
        return out;
    }
}
