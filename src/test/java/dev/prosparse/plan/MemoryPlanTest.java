package dev.prosparse.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
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
    /** The CUDA context the plan counts on a GPU: 768 MiB = 805,306,368 B. */
    static final long CTX = 768L << 20;

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
        assertTrue(p.rows().stream().noneMatch(r -> r.what().contains("squares")));   // freed tensor by tensor now
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
        // step: temporaries 8,388,608 + saved 101,711,872 + max(working set 37,224,448, logits 100,663,296)
        long step = 16 * 4096 * 128 + 4 * t * a + Math.max(t * w, logits);
        assertEquals(210_763_776, step);
        long slack = (4 * t * a + Math.max(t * w, logits)) / 4;                  // 25% of 202,375,168 = 50,593,792
        // always: 16 B × 1,787,008 = 28,592,128 + 340 MiB 356,515,840 + loading buffer 4·4096·128 = 2,097,152
        long always = 16 * params + (340 * MIB) + 4 * 4096 * 128;
        assertEquals(387_205_120, always);
        long eval = Math.max(8 * 256 * 4096 * 8, 8 * 256 * (a + w));             // logits 67,108,864 vs layer 62,652,416
        // 387,205,120 + max(210,763,776 + 50,593,792, 67,108,864) = 387,205,120 + 261,357,568
        assertEquals(always + Math.max(step + slack, eval), p.peak(Place.HOST));
        assertEquals(648_562_688, p.peak(Place.HOST));
        assertEquals(0, p.peak(Place.DEVICE));                                    // the CPU: everything is host memory
        assertEquals(16.0, p.stateBytesPerParameter(Place.HOST), 1e-9);           // 4 + 4 + 8
    }

    @Test
    void llama7bFp16MixedRecomputeOnAGpuByHand() {
        // batch 1 × 4096, fp16-mixed, SDPA, layer recompute, ReLU, one GPU
        MemoryPlan p = MemoryPlan.of(llama7b(), RunShape.single(1, 4096, 1, 64, true, true, false, false, true));
        long params = 6_738_415_616L, t = 4096;
        // 4 master + 8 moments for the run; 2 fp16 copies + 2 fp16 grads per step
        assertEquals(16.0, p.stateBytesPerParameter(Place.DEVICE), 1e-9);
        assertEquals(12 * params, p.part(Place.DEVICE, When.ALWAYS) - CTX);   // + the 768 MiB CUDA context
        assertEquals(2 * params, bytes(p, "fp16 gradients of the copies"));
        assertTrue(p.rows().stream().noneMatch(r -> r.what().contains("gradient sums") || r.what().contains("flat")));
        // inputs (L+1)·T·E·c = 33·4096·4096·2
        assertEquals(1_107_296_256L, bytes(p, "layer inputs kept"));
        // a = c(2E + 3I) + 2·6E + c(3HD + 2·KV·D) + 4H = 2(8192 + 33024) + 49152 + 2(12288 + 8192) + 128
        long a = 82_432 + 49_152 + 40_960 + 128;
        // w = c(2(H + 2KV)D + 2I + 2E) = 2(24576 + 22016 + 8192)
        long w = 2 * (24_576 + 22_016 + 8_192);
        assertEquals(t * (a + w + 12 * 4096), bytes(p, "one layer recomputed"));
        assertEquals(t * 32_000 * 14, bytes(p, "logits and loss"));            // 1,835,008,000 > the layer's 1,357,381,632
        // the one-pass update casts one chunk's fp16 gradients to fp32: the embedding (32000·4096 = 131,072,000 elements)
        // is larger than a chunk of 2^26 = 67,108,864, so it goes alone: 4 B × 131,072,000 = 524,288,000
        assertEquals(524_288_000L, bytes(p, "AdamW one-pass update"));
        // step: 4P 26,953,662,464 + update casts 524,288,000 + inputs 1,107,296,256 + logits 1,835,008,000
        long step = 4 * params + 4L * 32_000 * 4096 + 1_107_296_256L + t * 32_000 * 14;
        assertEquals(30_420_254_720L, step);
        long slack = (1_107_296_256L + t * 32_000 * 14) / 10;                 // 10% of 2,942,304,256 = 294,230,425 (floor)
        assertEquals(294_230_425L, slack);
        // 12P 80,860,987,392 + context 805,306,368 + step 30,420,254,720 + slack 294,230,425
        long peak = 12 * params + CTX + step + slack;
        assertEquals(peak, p.peak(Place.DEVICE));
        assertEquals(112_380_778_905L, peak);                                     // inside an H200, over an 80 GB H100
        assertTrue(p.peak(Place.DEVICE) < 141_000_000_000L && p.peak(Place.DEVICE) > 85_000_000_000L);
    }

    @Test
    void llama3bShapeWithoutOffloadAsMeasuredOnAnH100() {
        // hidden 3200, intermediate 8640, 26 layers, 32 heads of 100, vocab 32000; 1 × 4096, fp16-mixed, SDPA, recompute
        ModelShape m = ModelShape.ofDimensions("3.4B", 32000, 3200, 8640, 26, 32, 32, null);
        // per layer 2·3200 + 4·3200² + 3·3200·8640 = 6,400 + 40,960,000 + 82,944,000 = 123,910,400;
        // P = 2·32000·3200 + 3200 + 26·123,910,400 = 204,800,000 + 3,200 + 3,221,670,400
        long params = 3_426_473_600L;
        assertEquals(params, m.parameters());
        MemoryPlan p = MemoryPlan.of(m, RunShape.single(1, 4096, 1, 1, true, true, false, false, true));
        // a = 2(6400 + 25920) + 2·6·3200 + 2(9600 + 6400) + 128 = 64,640 + 38,400 + 32,000 + 128 = 135,168;
        // w = 2(2·96·100 + 2·8640 + 2·3200) = 2(19,200 + 17,280 + 6,400) = 85,760;
        // one recomputed layer 4096·(135,168 + 85,760 + 12·3200) = 4096·259,328 = 1,062,207,488 < logits 4096·32000·14
        assertEquals(1_062_207_488L, bytes(p, "one layer recomputed"));
        // activations: inputs 27·4096·3200·2 = 707,788,800 + logits 1,835,008,000 = 2,542,796,800; slack 10%: 254,279,680
        // step: 4P 13,705,894,400 + update casts 4·32000·3200 409,600,000 (the embedding, over 2^26, alone)
        //     + 2,542,796,800 + 254,279,680 = 16,912,570,880; run: 12P 41,117,683,200 + context 805,306,368 = 41,922,989,568
        assertEquals(41_922_989_568L + 16_912_570_880L, p.peak(Place.DEVICE));
        // 55.04 GiB; the H100 run peaked at 59.0 GiB (nvidia-smi) with the earlier _foreach_ update, whose temporaries
        // were 16 B × the embedding (1.64 GB), 1.23 GB more than today's: -5% against that run less the difference
        assertEquals(58_835_560_448L, p.peak(Place.DEVICE));
    }

    @Test
    void offloadKeepsCopiesAndGradientsOnTheGpuAndEvaluatesOnFp32Copies() {
        RunShape base = RunShape.single(1, 4096, 1, 64, true, true, false, false, true);
        long params = 6_738_415_616L;
        MemoryPlan off = MemoryPlan.of(llama7b(), base.withOffload());
        assertEquals(4.0, off.stateBytesPerParameter(Place.DEVICE), 1e-9);       // fp16 copies + fp16 gradients
        assertEquals(12.0, off.stateBytesPerParameter(Place.HOST), 1e-9);        // fp32 master + moments
        assertEquals(4 * params, bytes(off, "fp32 device copies of the weights for evaluation"));
        // GPU: step = 4P 26,953,662,464 + inputs 1,107,296,256 + logits 1,835,008,000 + slack 220% of 2,942,304,256
        // = 6,473,069,363 (floor of 6,473,069,363.2): 36,369,036,083; evaluation = 4P + max(logits 8·4096·32000·8 = 8,388,608,000, one fp32 layer
        // 32768·(a + w at c = 4)) where
        // a = 4(8192 + 33024) + 2·16384 + 4(12288 + 8192) + 128 = 164,864 + 32,768 + 81,920 + 128 = 279,680,
        // w = 4(24576 + 22016 + 8192) = 219,136: 32768·498,816 = 16,345,202,688; evaluation 43,298,865,152 > the step
        long evalLayer = 32_768L * (279_680 + 219_136);
        assertEquals(16_345_202_688L, evalLayer);
        assertEquals(CTX + 4 * params + evalLayer, off.peak(Place.DEVICE));     // 44,104,171,520
        assertEquals(44_104_171_520L, off.peak(Place.DEVICE));
        // host, run: 12P 80,860,987,392 + 340 MiB 356,515,840 + CUDA host side 1.25 GiB 1,342,177,280 + loading buffer
        // 4·32000·4096 524,288,000 = 83,083,968,512; step: the offloaded update's largest chunk is embed_tokens alone
        // (131,072,000 elements > 2^26), and of the ~101 chunks 3 are in flight: 3 × 2 B × 131,072,000 = 786,432,000, its
        // slack 25% 196,608,000; peak 83,083,968,512 + 983,040,000
        assertEquals(786_432_000L, bytes(off, "offloaded update: host gradient copies"));
        assertEquals(84_067_008_512L, off.peak(Place.HOST));
        // the H100 runs: one evaluation window, so the step sets the peak. eval = 4P + max(4096·32000·8 = 1,048,576,000,
        // 4096·498,816 = 2,043,150,336) = 28,996,812,800 < the step 36,369,036,083: peak context 805,306,368 + 36,369,036,083
        MemoryPlan h100 = MemoryPlan.of(llama7b(), RunShape.single(1, 4096, 1, 1, true, true, false, false, true, true));
        assertEquals(37_174_342_451L, h100.peak(Place.DEVICE));   // 34.62 GiB; measured 35,193,159,680 B (32.78 GiB)
        // grad_accum 16: + one fresh fp16 gradient of embed_tokens, 2 × 131,072,000 = 262,144,000
        MemoryPlan h100k16 = MemoryPlan.of(llama7b(), RunShape.single(1, 4096, 16, 1, true, true, false, false, true, true));
        assertEquals(37_436_486_451L, h100k16.peak(Place.DEVICE)); // 34.87 GiB; measured 34.5 GiB
        // fp32 with offload: the float32 masters go to the host too; the GPU holds fp32 copies and gradients per step
        MemoryPlan fp32 = MemoryPlan.of(llama7b(), RunShape.single(1, 4096, 1, 64, false, true, false, false, true, true));
        assertEquals(8.0, fp32.stateBytesPerParameter(Place.DEVICE), 1e-9);
        assertEquals(12.0, fp32.stateBytesPerParameter(Place.HOST), 1e-9);
        // on the CPU the evaluation reads the host weights: no copies
        MemoryPlan cpu = MemoryPlan.of(tiny(), RunShape.single(1, 16, 1, 8, false, false, true, false, false, true));
        assertTrue(cpu.rows().stream().noneMatch(r -> r.what().startsWith("fp32 device copies")));
        // tiny's 1,787,008 parameters fit one chunk of 2^26 = 67,108,864 elements: the update's largest chunk is all of
        // them, not the largest tensor (524,288), and that one chunk is all there is in flight: fp32 1 × 4 B × 1,787,008
        // = 7,148,032, its slack 25% 1,787,008
        assertEquals(7_148_032L, bytes(cpu, "offloaded update: host gradient copies"));
        assertEquals(1_787_008L, bytes(cpu, "offloaded update: allocator slack"));
    }

    @Test
    void zero1OnEightRanksAsTheShardedOptimizerAllocates() {
        long params = 6_738_415_616L, shard = 842_301_952L;                       // P/8 exactly
        MemoryPlan z = MemoryPlan.of(llama7b(), new RunShape(1, 4096, 1, 64, true, true, false, false, true, false, 8, 1));
        // run: fp32 weights 4P (every rank) + master shard 4·P/8 + moments 8·P/8
        assertEquals(4 * params + 12 * shard, z.part(Place.DEVICE, When.ALWAYS) - CTX);
        assertEquals(37_866_592_256L, z.part(Place.DEVICE, When.ALWAYS));        // 26,953,662,464 + 10,107,623,424 + 805,306,368
        // step: fp16 copies 2P + fp16 grads 2P = 4P, the shard's mean gradient 4·P/8: with the run's 4P + 12·P/8,
        // 8 + 16/8 = 10 B/param (no vector of P elements: the collectives run in buckets)
        assertEquals(4 * shard, bytes(z, "gradient shard"));
        assertEquals(4 * shard, bytes(z, "fp32 master weights (this rank's shard)"));
        assertTrue(z.rows().stream().noneMatch(r -> r.what().contains("flat gradient vector") || r.what().contains("all-gather vector")));
        assertEquals(10.0, z.stateBytesPerParameter(Place.DEVICE), 1e-9);
        // bucket: 2^25 elements per collective, a rank's part 2^25/8 = 4,194,304: 8·8·4,194,304 268,435,456
        //         + 8·4,194,304 33,554,432 = 301,989,888
        assertEquals(301_989_888L, bytes(z, "ZeRO-1 bucket temporaries"));
        // peak: 37,866,592,256 + 4P 26,953,662,464 + 4·P/8 3,369,207,808 + bucket 301,989,888 + temporaries 2,097,152,000
        //       + inputs 1,107,296,256 + logits 1,835,008,000 + slack 10% of 2,942,304,256 = 294,230,425
        assertEquals(73_825_139_097L, z.peak(Place.DEVICE));
        // fp32 on 8 ranks: weights 4 + grads 4 = 8 per parameter, master shard 4 + moments 8 + mean-gradient shard 4 =
        // 16 per P/8 = 2: 10 B/param
        MemoryPlan f = MemoryPlan.of(llama7b(), new RunShape(1, 4096, 1, 64, false, true, false, false, true, false, 8, 1));
        assertEquals(10.0, f.stateBytesPerParameter(Place.DEVICE), 1e-9);
        // a model smaller than a bucket: one part of the whole shard. tiny on 2 ranks: part = its shard
        MemoryPlan t = MemoryPlan.of(tiny(), new RunShape(1, 16, 1, 8, true, true, false, false, true, false, 2, 1));
        long tinyShard = (tiny().parameters() + 1) / 2;
        assertEquals(8 * 2 * tinyShard + 8 * tinyShard, bytes(t, "ZeRO-1 bucket temporaries"));
    }

    @Test
    void runShapesTheTrainerCannotRunAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new RunShape(1, 16, 1, 8, true, true, false, false, true, false, 8, 2));
        assertThrows(IllegalArgumentException.class, () -> new RunShape(1, 16, 1, 8, true, true, false, false, true, true, 8, 1));
        assertThrows(IllegalArgumentException.class, () -> new RunShape(1, 16, 1, 8, true, true, false, false, true, false, 1, 1));
    }

    @Test
    void gradAccumCostsOneFreshGradient() {
        // gradients of the copies: autograd sums the micro-batches into them in place; from the second micro-batch on
        // each gradient is computed afresh and then added: one tensor's (the largest, embed_tokens 4096 × 128 = 524,288
        // elements) fresh gradient in the gradients' dtype
        MemoryPlan k1 = MemoryPlan.of(tiny(), RunShape.single(1, 16, 1, 8, true, false, false, false, true));
        MemoryPlan k16 = MemoryPlan.of(tiny(), RunShape.single(1, 16, 16, 8, true, false, false, false, true));
        assertEquals(12 + 2 + 2, k1.stateBytesPerParameter(Place.DEVICE), 1e-9);
        assertEquals(12 + 2 + 2, k16.stateBytesPerParameter(Place.DEVICE), 1e-9);
        assertEquals(2 * 524_288, k16.peak(Place.DEVICE) - k1.peak(Place.DEVICE));     // float16: 1,048,576 B
        MemoryPlan f1 = MemoryPlan.of(tiny(), RunShape.single(1, 16, 1, 8, false, false, true, false, false));
        MemoryPlan f4 = MemoryPlan.of(tiny(), RunShape.single(1, 16, 4, 8, false, false, true, false, false));
        assertEquals(4 * 524_288, f4.peak(Place.HOST) - f1.peak(Place.HOST));          // float32: 2,097,152 B
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
        assertTrue(new PlanReport(p, Capacity.of("cpu", 648_562_688L, 648_562_688L)).fits());
        assertFalse(new PlanReport(p, Capacity.of("cpu", 648_562_687L, 648_562_687L)).fits());
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
