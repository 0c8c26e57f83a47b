package dev.prosparse.plan;

/**
 * The options of a training run that decide its memory, as plain values (the recipe is read by the caller).
 *
 * @param batchSize   sequences per micro-batch (B)
 * @param seqLen      tokens per sequence (S)
 * @param gradAccum   micro-batches per optimizer step
 * @param evalWindows evaluation windows (evaluated {@link MemoryPlan#EVAL_BATCH} at a time, at seq_len)
 * @param fp16Mixed   fp16-mixed precision (float16 compute copies of float32 masters); false: fp32
 * @param recompute   activation_checkpointing (layer recompute)
 * @param eager       eager attention (S×S scores per head kept); false: fused SDPA
 * @param silu        a SiLU-gated FFN (saves more for backward than the ReLU family)
 * @param gpu         the model computes on a GPU (device memory separate from the host's)
 * @param offload     optimizer.offload: cpu (fp32 masters and AdamW moments in host memory); one device only
 * @param worldSize   data-parallel ranks (1: one device)
 * @param zeroStage   0 for one device; 1 under data parallel (the trainer's only sharding: optimizer state sharded,
 *                    docs/distributed.md)
 */
public record RunShape(int batchSize, int seqLen, int gradAccum, int evalWindows, boolean fp16Mixed, boolean recompute,
        boolean eager, boolean silu, boolean gpu, boolean offload, int worldSize, int zeroStage) {

    public RunShape {
        if (worldSize < 1 || zeroStage != (worldSize > 1 ? 1 : 0)) {
            throw new IllegalArgumentException("world size 1 with ZeRO stage 0, or world size > 1 with ZeRO stage 1, got "
                    + worldSize + ", " + zeroStage);
        }
        if (offload && worldSize > 1) {
            throw new IllegalArgumentException("optimizer offload is planned for one device only, got world size " + worldSize);
        }
    }

    /** One device, optimizer state on it or (offload) in host memory. */
    public static RunShape single(int batchSize, int seqLen, int gradAccum, int evalWindows, boolean fp16Mixed,
            boolean recompute, boolean eager, boolean silu, boolean gpu, boolean offload) {
        return new RunShape(batchSize, seqLen, gradAccum, evalWindows, fp16Mixed, recompute, eager, silu, gpu, offload, 1, 0);
    }

    /** One device, no offload. */
    public static RunShape single(int batchSize, int seqLen, int gradAccum, int evalWindows, boolean fp16Mixed,
            boolean recompute, boolean eager, boolean silu, boolean gpu) {
        return new RunShape(batchSize, seqLen, gradAccum, evalWindows, fp16Mixed, recompute, eager, silu, gpu, false, 1, 0);
    }

    RunShape withBatch(int b, int accum) {
        return new RunShape(b, seqLen, accum, evalWindows, fp16Mixed, recompute, eager, silu, gpu, offload, worldSize, zeroStage);
    }

    RunShape withSeqLen(int s) {
        return new RunShape(batchSize, s, gradAccum, evalWindows, fp16Mixed, recompute, eager, silu, gpu, offload, worldSize, zeroStage);
    }

    RunShape withRecompute() {
        return new RunShape(batchSize, seqLen, gradAccum, evalWindows, fp16Mixed, true, eager, silu, gpu, offload, worldSize, zeroStage);
    }

    RunShape withFp16Mixed() {
        return new RunShape(batchSize, seqLen, gradAccum, evalWindows, true, recompute, eager, silu, gpu, offload, worldSize, zeroStage);
    }

    RunShape withSdpa() {
        return new RunShape(batchSize, seqLen, gradAccum, evalWindows, fp16Mixed, recompute, false, silu, gpu, offload, worldSize, zeroStage);
    }

    RunShape withOffload() {
        return new RunShape(batchSize, seqLen, gradAccum, evalWindows, fp16Mixed, recompute, eager, silu, gpu, true, worldSize, zeroStage);
    }

    /** Bytes of one compute element: 2 (float16) or 4 (float32). */
    int computeBytes() {
        return fp16Mixed ? 2 : 4;
    }
}
