package dev.prosparse.dist;

import ai.djl.ndarray.NDArray;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * How ZeRO-1 cuts the parameters among ranks (docs/distributed.md): every parameter flattened and laid end to end in
 * the model's parameter order into one vector of {@link #total()} elements, padded with zeros to
 * {@code world × shardSize}; rank r owns elements [r·shardSize, (r+1)·shardSize) of it. The layout depends only on
 * the parameter names, shapes and the world size, so every rank computes the same one.
 */
public final class ShardLayout {
    /** One parameter's place in the flat vector. */
    public record Entry(String name, long[] shape, long offset, long numel) {}

    private final List<Entry> entries;
    private final long total;
    private final int world;
    private final long shardSize;

    public ShardLayout(List<Entry> entries, int world) {
        if (world < 1) {
            throw new IllegalArgumentException("world size " + world);
        }
        this.entries = List.copyOf(entries);
        long n = 0;
        for (Entry e : entries) {
            n += e.numel();
        }
        this.total = n;
        this.world = world;
        this.shardSize = (n + world - 1) / world;
    }

    /** The layout of {@code params} (their map order) over {@code world} ranks. */
    public static ShardLayout of(Map<String, NDArray> params, int world) {
        List<Entry> entries = new ArrayList<>();
        long offset = 0;
        for (Map.Entry<String, NDArray> e : params.entrySet()) {
            long numel = e.getValue().size();
            entries.add(new Entry(e.getKey(), e.getValue().getShape().getShape(), offset, numel));
            offset += numel;
        }
        return new ShardLayout(entries, world);
    }

    /** The same parameters cut among another number of ranks. */
    public ShardLayout withWorld(int otherWorld) {
        return new ShardLayout(entries, otherWorld);
    }

    public List<Entry> entries() {
        return entries;
    }

    /** Elements in all parameters together (without padding). */
    public long total() {
        return total;
    }

    public int world() {
        return world;
    }

    /** Elements per rank, padding included. */
    public long shardSize() {
        return shardSize;
    }

    /** world × shardSize: the length of the padded flat vector. */
    public long padded() {
        return shardSize * world;
    }

    /** First real element of rank r's shard. */
    public long begin(int rank) {
        return Math.min(total, rank * shardSize);
    }

    /** One past the last real element of rank r's shard (begin = end for a shard that is all padding). */
    public long end(int rank) {
        return Math.min(total, (rank + 1) * shardSize);
    }

    /** sha256 of the names and shapes in order: two layouts with the same fingerprint cut the same vector. */
    public String fingerprint() {
        StringBuilder b = new StringBuilder();
        for (Entry e : entries) {
            b.append(e.name()).append(Arrays.toString(e.shape())).append('\n');
        }
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(b.toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(h);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
