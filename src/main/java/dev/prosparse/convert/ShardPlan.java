package dev.prosparse.convert;

import dev.prosparse.io.CheckpointFiles;
import dev.prosparse.io.SafetensorsFile;
import dev.prosparse.io.TensorInfo;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The output's weight files, planned before anything is written: the source's sharding, or a greedy re-packing
 * into shards of at most {@code --max-shard-size}.
 *
 * @param indexed     whether the output needs {@code model.safetensors.index.json}
 * @param weightMap   tensor name → output shard name, for the index
 * @param tensorBytes the tensor data in all shards (the index's {@code total_size})
 */
record ShardPlan(List<Shard> shards, boolean indexed, Map<String, String> weightMap, long tensorBytes) {

    /**
     * One output shard: a whole-file byte copy of a source shard ({@code wholeCopyOf} set), or tensors written
     * through SafetensorsWriter. {@code bytes} is the file's size, or an upper bound of it.
     */
    record Shard(String name, Path wholeCopyOf, List<TensorStreams.Job> jobs, Map<String, String> metadata, long bytes) {
        /** How the sidecar describes it: {@code bytes}, {@code converted} or {@code tensors}. */
        String copyKind() {
            return wholeCopyOf != null ? "bytes" : jobs.stream().anyMatch(TensorStreams.Job::converts) ? "converted"
                    : "tensors";
        }
    }

    /** The bytes of all shards (an upper bound where a shard is rewritten). */
    long bytes() {
        return shards.stream().mapToLong(Shard::bytes).sum();
    }

    /** Plans the output shards; {@code maxShardSize} null keeps the source's sharding. */
    static ShardPlan of(CheckpointFiles files, TargetDtype dtype, Long maxShardSize) {
        return maxShardSize == null ? keepSharding(files, dtype) : repack(files, dtype, maxShardSize);
    }

    /** One output shard per source shard, a byte copy where nothing in it changes. */
    private static ShardPlan keepSharding(CheckpointFiles files, TargetDtype dtype) {
        List<Shard> shards = new ArrayList<>();
        Map<String, String> weightMap = new LinkedHashMap<>();
        long tensorBytes = 0;
        for (SafetensorsFile f : files.shards()) {
            List<TensorStreams.Job> jobs = new ArrayList<>();
            for (TensorInfo t : f.tensors()) {
                if (files.names().contains(t.name()) && files.fileOf(t.name()) == f) {
                    jobs.add(job(f, t, dtype));
                }
            }
            String name = f.path().getFileName().toString();
            boolean whole = jobs.size() == f.tensors().size() && jobs.stream().noneMatch(TensorStreams.Job::converts)
                    && "pt".equals(f.metadata().get("format"));
            long bytes = whole ? Sizes.of(f.path()) : headerEstimate(jobs) + targetBytes(jobs);
            shards.add(new Shard(name, whole ? f.path() : null, jobs, f.metadata(), bytes));
            tensorBytes += map(jobs, name, weightMap);
        }
        return new ShardPlan(shards, files.index().isPresent(), weightMap, tensorBytes);
    }

    /** Tensors in the source's order, packed greedily; a tensor larger than the limit gets a shard of its own. */
    private static ShardPlan repack(CheckpointFiles files, TargetDtype dtype, long maxShardSize) {
        List<List<TensorStreams.Job>> groups = new ArrayList<>();
        List<TensorStreams.Job> current = new ArrayList<>();
        long currentBytes = 0;
        for (String n : files.names()) {
            SafetensorsFile f = files.fileOf(n);
            TensorStreams.Job j = job(f, f.info(n), dtype);
            if (!current.isEmpty() && currentBytes + j.targetBytes() > maxShardSize) {
                groups.add(current);
                current = new ArrayList<>();
                currentBytes = 0;
            }
            current.add(j);
            currentBytes += j.targetBytes();
        }
        if (!current.isEmpty()) {
            groups.add(current);
        }
        List<Shard> shards = new ArrayList<>();
        Map<String, String> weightMap = new LinkedHashMap<>();
        long tensorBytes = 0;
        for (int i = 0; i < groups.size(); i++) {
            String name = groups.size() == 1 ? CheckpointFiles.SINGLE_FILE
                    : String.format(Locale.ROOT, "model-%05d-of-%05d.safetensors", i + 1, groups.size());
            List<TensorStreams.Job> jobs = groups.get(i);
            shards.add(new Shard(name, null, jobs, Map.of("format", "pt"), headerEstimate(jobs) + targetBytes(jobs)));
            tensorBytes += map(jobs, name, weightMap);
        }
        return new ShardPlan(shards, groups.size() > 1, weightMap, tensorBytes);
    }

    /** Records each job's shard in {@code weightMap}; returns the jobs' tensor bytes. */
    private static long map(List<TensorStreams.Job> jobs, String shard, Map<String, String> weightMap) {
        for (TensorStreams.Job j : jobs) {
            weightMap.put(j.name(), shard);
        }
        return targetBytes(jobs);
    }

    private static TensorStreams.Job job(SafetensorsFile f, TensorInfo t, TargetDtype dtype) {
        return new TensorStreams.Job(t.name(), t, f.path(), f.dataStart() + t.begin(), dtype.target(t.dtype()));
    }

    private static long targetBytes(List<TensorStreams.Job> jobs) {
        return jobs.stream().mapToLong(TensorStreams.Job::targetBytes).sum();
    }

    /** An upper bound of the safetensors header size, for the disk-space check. */
    private static long headerEstimate(List<TensorStreams.Job> jobs) {
        return 256 + jobs.stream().mapToLong(j -> j.name().length() + 128L).sum();
    }
}
