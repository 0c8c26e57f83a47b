package dev.prosparse.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prosparse.Fixtures;
import dev.prosparse.config.ModelConfig;
import dev.prosparse.plan.MemoryPlan.Place;
import dev.prosparse.plan.MemoryPlan.Row;
import dev.prosparse.plan.MemoryPlan.When;
import org.junit.jupiter.api.Test;

/**
 * The plan's bytes against arithmetic done by hand from the formulas of docs/memory-plan.md, for two shapes: the tiny-llama
 * fixture (its config.json) and the LLaMA-2-7B preset's dimensions.
 */
class MemoryPlanTest {
    static final long MIB = 1L << 20, GIB = 1L << 30;

    static ModelShape tiny() {
        return ModelShape.of(ModelConfig.read(Fixtures.model("tiny-llama")), "tiny-llama");
    }

    static ModelShape llama7b() {
        return ModelShape.ofDimensions("llama2-7b", 32000, 4096, 11008, 32, 32, 32, null);
    }

    @Test
    void parameterCounts() {
        // tiny-llama: V 4096, E 128, I 352, 4 layers, 4 heads / 2 KV heads of 32, untied.
        // per layer: norms 2·128 + q 128·128 + k, v 2·(64·128) + o 128·128 + FFN 3·128·352 = 256 + 16384 + 16384 + 16384 + 135168
        long tinyLayer = 256 + 16_384 + 16_384 + 16_384 + 135_168;          // 184,576
        assertEquals(184_576, tinyLayer);
        assertEquals(2 * 4096 * 128 + 128 + 4 * tinyLayer, tiny().parameters()); // 1,787,008
        assertEquals(1_787_008, tiny().parameters());
        // LLaMA-2-7B: per layer 2·4096 + 4·4096² + 3·4096·11008 = 8,192 + 67,108,864 + 135,266,304
        long layer = 8_192 + 67_108_864 + 135_266_304;
        assertEquals(202_383_360, layer);
        assertEquals(2L * 32_000 * 4096 + 4096 + 32 * layer, llama7b().parameters());
        assertEquals(6_738_415_616L, llama7b().parameters());   // the published count of Llama-2-7b-hf
    }

    @Test
    void tinyFp32OnTheCpuByHand() {
        // the demo recipe: batch 8 × seq_len 256, grad_accum 1, fp32, eager attention (CPU), no recompute, ReLU
        MemoryPlan p = MemoryPlan.of(tiny(), RunShape.single(8, 256, 1, 64, false, false, true, false, false));
        long params = 1_787_008, t = 8 * 256;
        assertEquals(4 * params, bytes(p, "weights (fp32"));
        assertEquals(4 * params, bytes(p, "gradients (fp32"));
        assertEquals(8 * params, bytes(p, "AdamW moments"));
        assertEquals(4 * params, bytes(p, "gradient-norm squares"));
        assertEquals(16 * 4096 * 128, bytes(p, "AdamW update temporaries"));      // 4 fp32 temporaries of embed_tokens
        // a = c(2E + 3I) + 2·4E + c(4HD + HS) = 4(256 + 1056) + 1024 + 4(512 + 1024) = 5248 + 1024 + 6144
        long a = 5248 + 1024 + 6144;
        assertEquals(12_416, a);
        assertEquals(4 * t * a, bytes(p, "saved for backward"));                 // 101,711,872
        // w = c(2(H + 2KV)D + 2I + 2E) + 3cHS = 4(512 + 704 + 256) + 3·4·4·256 = 5888 + 12288
        long w = 5888 + 12_288;
        assertEquals(t * w, bytes(p, "one layer's working set"));
        long logits = t * 4096 * 12;                                              // 100,663,296
        assertEquals(logits, bytes(p, "logits and loss"));
        long step = 4 * params + 16 * 4096 * 128 + 4 * t * a + Math.max(t * w, logits);
        assertEquals(217_911_808, step);
        long slack = (4 * t * a + Math.max(t * w, logits)) / 4;                  // 25% of the activations on the CPU
        long always = 16 * params + (340 * MIB) + 4 * 4096 * 128;
        long eval = Math.max(8 * 256 * 4096 * 8, 8 * 256 * (a + w));             // logits vs one fp32 layer
        assertEquals(always + Math.max(step + slack, eval), p.peak(Place.HOST));
        assertEquals(655_710_720, p.peak(Place.HOST));
        assertEquals(0, p.peak(Place.DEVICE));                                    // the CPU: everything is host memory
        assertEquals(20.0, p.stateBytesPerParameter(Place.HOST), 1e-9);           // 4 + 4 + 8 + 4
    }

    @Test
    void llama7bFp16MixedRecomputeOnAGpuByHand() {
        // batch 1 × 4096, fp16-mixed, SDPA, layer recompute, ReLU, one GPU
        MemoryPlan p = MemoryPlan.of(llama7b(), RunShape.single(1, 4096, 1, 64, true, true, false, false, true));
        long params = 6_738_415_616L, t = 4096;
        // today's fp16-mixed state: 4 master + 8 moments for the run; 2 copies + 2 fp16 grads + 4 fp32 sums + 4 squares per step
        assertEquals(24.0, p.stateBytesPerParameter(Place.DEVICE), 1e-9);
        assertEquals(12 * params, p.part(Place.DEVICE, When.ALWAYS) - GIB);   // + the 1 GiB CUDA context
        assertEquals(4 * params, bytes(p, "fp32 gradient sums"));
        // inputs (L+1)·T·E·c = 33·4096·4096·2
        assertEquals(1_107_296_256L, bytes(p, "layer inputs kept"));
        // a = c(2E + 3I) + 2·6E + c(3HD + 2·KV·D) + 4H = 2(8192 + 33024) + 49152 + 2(12288 + 8192) + 128
        long a = 82_432 + 49_152 + 40_960 + 128;
        // w = c(2(H + 2KV)D + 2I + 2E) = 2(24576 + 22016 + 8192)
        long w = 2 * (24_576 + 22_016 + 8_192);
        assertEquals(t * (a + w + 12 * 4096), bytes(p, "one layer recomputed"));
        assertEquals(t * 32_000 * 14, bytes(p, "logits and loss"));            // 1,835,008,000 > the layer's 1,357,381,632
        long step = 12 * params + 16L * 32_000 * 4096 + 1_107_296_256L + t * 32_000 * 14;
        assertEquals(85_900_443_648L, step);
        long slack = (long) (0.10 * (1_107_296_256L + t * 32_000 * 14));         // 10% of the activations on a GPU
        long peak = 12 * params + GIB + step + slack;
        assertEquals(peak, p.peak(Place.DEVICE));
        assertEquals(168_129_403_289L, peak);                                     // over an H200's 141 GB
        assertTrue(p.peak(Place.DEVICE) > 141_000_000_000L);
    }

    @Test
    void offloadAndZeroMoveAndShardTheOptimizerSide() {
        RunShape base = RunShape.single(1, 4096, 1, 64, true, true, false, false, true);
        long params = 6_738_415_616L;
        MemoryPlan off = MemoryPlan.of(llama7b(), base.withOffload());
        assertEquals(4.0, off.stateBytesPerParameter(Place.DEVICE), 1e-9);       // fp16 weights + fp16 gradients
        assertEquals(20.0, off.stateBytesPerParameter(Place.HOST), 1e-9);        // master, moments, fp32 sums, squares
        MemoryPlan zero1 = MemoryPlan.of(llama7b(), new RunShape(1, 4096, 1, 64, true, true, false, false, true, false, 8, 1));
        assertEquals(4 * params + 20 * (params / 8), Math.round(zero1.stateBytesPerParameter(Place.DEVICE) * params));
        MemoryPlan zero2 = MemoryPlan.of(llama7b(), new RunShape(1, 4096, 1, 64, true, true, false, false, true, false, 8, 2));
        assertEquals(2 * params + 22 * (params / 8), Math.round(zero2.stateBytesPerParameter(Place.DEVICE) * params));
    }

    @Test
    void gradAccumAddsEightBytesPerParameterPerExtraMicroBatchToday() {
        MemoryPlan k4 = MemoryPlan.of(tiny(), RunShape.single(1, 16, 4, 8, true, false, false, false, true));
        assertEquals(12 + 2 + 2 + (4 + 8 * 3) + 4, k4.stateBytesPerParameter(Place.DEVICE), 1e-9);
    }

    @Test
    void absurdSizesSaturateInsteadOfWrapping() {
        MemoryPlan p = MemoryPlan.of(tiny(), RunShape.single(Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE, 64,
                false, false, true, false, false));
        assertEquals(Long.MAX_VALUE, p.peak(Place.HOST));
        PlanReport r = new PlanReport(p, Capacity.of("cpu", 24 * GIB, 24 * GIB));
        assertFalse(r.fits());
        assertTrue(r.table().contains("overflows"), r.table());
        assertTrue(r.refusal().contains("activation_checkpointing: true"), r.refusal());
    }

    @Test
    void verdictAgainstCapacity() {
        MemoryPlan p = MemoryPlan.of(tiny(), RunShape.single(8, 256, 1, 64, false, false, true, false, false));
        assertTrue(new PlanReport(p, Capacity.of("cpu", 655_710_720L, 655_710_720L)).fits());
        assertFalse(new PlanReport(p, Capacity.of("cpu", 655_710_719L, 655_710_719L)).fits());
    }

    private static long bytes(MemoryPlan p, String prefix) {
        long found = -1;
        for (Row r : p.rows()) {
            if (r.what().startsWith(prefix)) {
                assertEquals(-1, found, "two rows start with " + prefix);
                found = r.bytes();
            }
        }
        assertTrue(found >= 0, "no row starts with " + prefix);
        return found;
    }
}
