#!/usr/bin/env python3
"""Write a LLaMA-shaped ReLU checkpoint with random weights whose FFN activations are ~S sparse, and predictors for it.

    python3 scripts/sparse-relu-checkpoint.py MODEL_DIR PREDICTORS_DIR [--preset llama2-7b|tiny] [--sparsity 0.9]
                                              [--rank 512] [--tokens 48] [--seed 1234]

Used by scripts/bench-powerinfer-7b.sh to time PowerInfer at the 7B shape (docs/powerinfer-speed.md). Not a language
model: the weights are random, only the shapes, the sparsity and the predictability of the masks are arranged.

How the sparsity is arranged (per layer l; E = hidden, I = intermediate, r = --rank):
- Hidden channel 0 is a constant "bias channel": every token's embedding has x[0] = 1, and o_proj and down_proj have
  a zero row 0, so no layer writes to it and the residual stream keeps x[0] = 1 in every layer.
- gate_proj is low-rank: W_gate = A·B, B [r, E] (row 0 = e_0, the bias channel; rows 1.. random N(0, 1/E) with a zero
  column 0), A [I, r] (column 0 = -beta_l, columns 1.. random N(0, 1/(r-1))). So gate_j(x) = (A_j·B·x̂) is a random
  projection of the normalised stream x̂ minus beta_l·x̂[0]: a negative "bias" on every neuron.
- beta_l is calibrated on a calibration sequence (--tokens random ids, run through the real layers 0..l in float32
  from the F16-rounded weights) so that a fraction S of the (token, neuron) pairs of layer l has gate ≤ 0.
- The predictor is exact by construction: fc1 = [B·diag(g); -B·diag(g)] [2r, E], fc2 = [A, -A] [I, 2r] (g = the
  post-attention norm weight), so fc2·relu(fc1·x) = A·B·(g⊙x) = rms(x)·gate(x): same sign as the gate, and with the
  global threshold 0 PowerInfer computes exactly the active neurons (up to F16 rounding of A, B and W_gate).
- up_proj, down_proj, q/k/v/o, embeddings and lm_head are random Gaussians (o_proj scaled by 0.1 so the residual
  stream grows slowly; q/k/v and up_proj have a zero column 0, so the bias channel, the same in every token, feeds the
  gate only and adds no common component to the stream); all norms are 1. By default the matrices are drawn once and every layer gets a copy (only
  beta_l differs): the file still holds 32 separate copies, so the engine reads the same bytes per token as with
  distinct layers; --distinct-layers draws each layer anew.
Everything is measured, not assumed: on a second, held-out sequence of --tokens random ids the script reports per
layer the true sparsity (gate ≤ 0 from the F16 weights through the RMSNorm), the fraction of neurons active in at least
one of the held-out tokens (union_active: 1 − 0.9^T if the tokens' masks were independent), and the predictor's recall, precision and
predicted sparsity (fc1/fc2 rounded to F16 as in the export, threshold 0), and writes them to PREDICTORS_DIR/predictors.json.

Weights are F16 in two shards (like the hub's LLaMA-2-7B); predictors F32 in the format of 'prosparse predictors
train' (model.safetensors + predictors.json, format_version 1, threshold 0). The tokenizer is the bundled tiny-llama
one (4,096 ids) with filler tokens up to the vocabulary size (never produced by tokenizing ordinary text).
7B: ~13.5 GB model + 2 GB predictors on disk; ~2.5 GB of memory; minutes (numpy, the 32 gate products A·B dominate).
"""
import argparse
import json
import os
import shutil
import struct
import sys
import time

import numpy as np

PRESETS = {  # hidden, intermediate, layers, heads, vocab
    "llama2-7b": (4096, 11008, 32, 32, 32000),
    "tiny": (256, 1536, 4, 4, 4096),
}


def layer_tensors(i, e, n):
    p = f"model.layers.{i}."
    return [(p + "input_layernorm.weight", (e,)), (p + "self_attn.q_proj.weight", (e, e)),
            (p + "self_attn.k_proj.weight", (e, e)), (p + "self_attn.v_proj.weight", (e, e)),
            (p + "self_attn.o_proj.weight", (e, e)), (p + "post_attention_layernorm.weight", (e,)),
            (p + "mlp.gate_proj.weight", (n, e)), (p + "mlp.up_proj.weight", (n, e)), (p + "mlp.down_proj.weight", (e, n))]


class ShardedWriter:
    """Streams F16 tensors, in a fixed order, into safetensors shards of at most max_bytes (headers written first)."""

    def __init__(self, out, items, max_bytes, dtype="F16", width=2, fname=None):
        self.out, self.width, self.dtype = out, width, dtype
        groups, cur, size = [], [], 0
        for name, shape in items:
            nb = int(np.prod(shape)) * width
            if cur and size + nb > max_bytes:
                groups.append(cur)
                cur, size = [], 0
            cur.append((name, shape))
            size += nb
        groups.append(cur)
        self.files, self.where, self.map = [], {}, {}
        for gi, g in enumerate(groups):
            fn = fname or f"model-{gi + 1:05d}-of-{len(groups):05d}.safetensors"
            header, off = {"__metadata__": {"format": "pt"}}, 0
            for name, shape in g:
                nb = int(np.prod(shape)) * width
                header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [off, off + nb]}
                off += nb
                self.where[name] = gi
                self.map[name] = fn
            h = json.dumps(header, separators=(",", ":")).encode()
            h += b" " * ((8 - len(h) % 8) % 8)
            f = open(os.path.join(out, fn + ".part"), "wb")
            f.write(struct.pack("<Q", len(h)))
            f.write(h)
            self.files.append((f, fn, [name for name, _ in g]))
        self.order = [name for name, _ in items]
        self.next = 0

    def put(self, name, array):
        assert self.order[self.next] == name, f"expected {self.order[self.next]}, got {name}"
        self.next += 1
        arr = np.ascontiguousarray(array, dtype=np.float16 if self.width == 2 else np.float32)
        self.files[self.where[name]][0].write(arr.tobytes())

    def close(self):
        assert self.next == len(self.order)
        for f, fn, _ in self.files:
            f.close()
            os.replace(os.path.join(self.out, fn + ".part"), os.path.join(self.out, fn))
        return len(self.files)


def rmsnorm(x, eps=1e-5):
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps)


def rope(x, heads, theta=10000.0):
    """HF LLaMA rope (rotate_half over each head's halves) for positions 0..T-1. x [T, heads*D]."""
    t, hd = x.shape[0], x.shape[1] // heads
    inv = 1.0 / theta ** (np.arange(0, hd, 2, dtype=np.float64) / hd)
    ang = np.outer(np.arange(t), inv)                                   # [T, D/2]
    cos, sin = np.cos(np.concatenate([ang, ang], 1)), np.sin(np.concatenate([ang, ang], 1))
    x = x.reshape(t, heads, hd)
    rot = np.concatenate([-x[..., hd // 2:], x[..., : hd // 2]], -1)
    return (x * cos[:, None, :] + rot * sin[:, None, :]).astype(np.float32).reshape(t, heads * hd)


def attention(xn, wq, wk, wv, wo, heads):
    t, e = xn.shape
    hd = e // heads
    q, k, v = rope(xn @ wq.T, heads), rope(xn @ wk.T, heads), xn @ wv.T
    q, k, v = (a.reshape(t, heads, hd).transpose(1, 0, 2) for a in (q, k, v))
    s = q @ k.transpose(0, 2, 1) / np.sqrt(hd)                          # [H, T, T]
    s = s + np.triu(np.full((t, t), -np.inf, dtype=np.float32), 1)
    s = np.exp(s - s.max(-1, keepdims=True))
    s /= s.sum(-1, keepdims=True)
    return (s @ v).transpose(1, 0, 2).reshape(t, e) @ wo.T


def f16(a):
    return a.astype(np.float16).astype(np.float32)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model")
    ap.add_argument("predictors")
    ap.add_argument("--preset", default="llama2-7b", choices=sorted(PRESETS))
    ap.add_argument("--sparsity", type=float, default=0.9)
    ap.add_argument("--rank", type=int, default=512, help="rank of gate_proj; the predictor's rank is twice this")
    ap.add_argument("--tokens", type=int, default=24, help="tokens of the calibration and of the held-out sequence")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--max-shard-gb", type=float, default=10.0)
    ap.add_argument("--distinct-layers", action="store_true",
                    help="draw every layer's matrices anew (default: draw them once and reuse them in every layer, with"
                         " a per-layer bias; each layer still has its own copy in the file, so an engine reads the same"
                         " bytes per token either way; drawing 32 layers takes ~30 min more on a loaded 2-core box)")
    a = ap.parse_args()
    e, n, layers, heads, vocab = PRESETS[a.preset]
    r = a.rank
    for d in (a.model, a.predictors):
        if os.path.exists(d):
            sys.exit(f"error: {d} exists; remove it or pick another folder")
    os.makedirs(a.model)
    os.makedirs(a.predictors)
    rng = np.random.default_rng(a.seed)
    gauss = lambda shape, std: (rng.standard_normal(shape, dtype=np.float32) * np.float32(std))
    items = [("model.embed_tokens.weight", (vocab, e))]
    for i in range(layers):
        items += layer_tensors(i, e, n)
    items += [("model.norm.weight", (e,)), ("lm_head.weight", (vocab, e))]
    w = ShardedWriter(a.model, items, int(a.max_shard_gb * 1e9))
    pitems = []
    for i in range(layers):
        pitems += [(f"model.layers.{i}.mlp.predictor.fc1.weight", (2 * r, e)),
                   (f"model.layers.{i}.mlp.predictor.fc2.weight", (n, 2 * r))]
    pw = ShardedWriter(a.predictors, pitems, 1 << 62, dtype="F32", width=4, fname="model.safetensors")

    emb = gauss((vocab, e), 1.0)
    emb[:, 0] = 1.0                                                      # the bias channel
    emb = f16(emb)
    w.put("model.embed_tokens.weight", emb)
    ids = rng.integers(3, min(vocab, 4096), size=(2, a.tokens))          # calibration, held-out
    ids[:, 0] = 1                                                        # <s>
    hs = [emb[ids[0]], emb[ids[1]]]
    del emb
    ones = np.ones(e, dtype=np.float32)
    report = []
    t0 = time.time()
    def draw():
        """One layer's matrices: q, k, v, o (F16-rounded), b [r, E], am [I, r] (column 0 set per layer), up, down."""
        wq, wk, wv = (gauss((e, e), e ** -0.5) for _ in range(3))
        for m in (wq, wk, wv):
            m[:, 0] = 0                                                  # the bias channel feeds the gate only
        wq, wk, wv = f16(wq), f16(wk), f16(wv)
        wo = gauss((e, e), 0.1 * e ** -0.5)
        wo[0, :] = 0                                                     # nothing writes to the bias channel
        b = gauss((r, e), e ** -0.5)
        b[:, 0] = 0
        b[0, :] = 0
        b[0, 0] = 1.0
        am = gauss((n, r), (r - 1) ** -0.5)
        am[:, 0] = 0
        g0 = am @ b                                                      # [I, E], rank r, column 0 = 0 (the bias)
        up = gauss((n, e), e ** -0.5)
        up[:, 0] = 0
        up = f16(up)
        down = gauss((e, n), n ** -0.5)
        down[0, :] = 0
        return wq, wk, wv, f16(wo), b, am, g0, up, f16(down)

    drawn = None
    for i in range(layers):
        p = f"model.layers.{i}."
        if drawn is None or a.distinct_layers:
            drawn = draw()
        wq, wk, wv, wo, b, am0, g0, up, down = drawn
        w.put(p + "input_layernorm.weight", ones)
        for nm, m in (("q", wq), ("k", wk), ("v", wv), ("o", wo)):
            w.put(p + f"self_attn.{nm}_proj.weight", m)
        hs = [h + attention(rmsnorm(h), wq, wk, wv, wo, heads) for h in hs]
        w.put(p + "post_attention_layernorm.weight", ones)
        xn = [rmsnorm(h) for h in hs]
        rand = xn[0] @ g0.T                                              # [T, I] the random part, calibration tokens
        beta = float(np.quantile(rand / xn[0][:, :1], a.sparsity))
        am = am0.copy()
        am[:, 0] = -beta
        gate = g0.copy()
        gate[:, 0] = -beta                                               # = am @ b: b's row 0 is e_0, its column 0 e_0
        gate = f16(gate)
        w.put(p + "mlp.gate_proj.weight", gate)
        w.put(p + "mlp.up_proj.weight", up)
        w.put(p + "mlp.down_proj.weight", down)
        fc1 = np.concatenate([b * ones[None, :], -b * ones[None, :]], 0)  # [2r, E]
        fc2 = np.concatenate([am, -am], 1)                               # [I, 2r]
        pw.put(p + "mlp.predictor.fc1.weight", fc1)
        pw.put(p + "mlp.predictor.fc2.weight", fc2)
        # held-out measurement: true masks from the F16 gate, predicted masks from F16 fc1/fc2 on the raw stream
        g_ho = xn[1] @ gate.T
        true = g_ho > 0
        score = np.maximum(hs[1] @ f16(fc1).T, 0) @ f16(fc2).T
        pred = score >= 0
        tp = np.sum(true & pred)
        q = {"layer": i, "beta": beta, "true_sparsity": float(1 - true.mean()),
             "calibration_sparsity": float(1 - ((xn[0] @ gate.T) > 0).mean()),
             "union_active": float(true.any(0).mean()),
             "recall": float(tp / max(true.sum(), 1)), "precision": float(tp / max(pred.sum(), 1)),
             "predicted_sparsity": float(1 - pred.mean()), "mask_mismatches": int(np.sum(true != pred)),
             "pairs": int(true.size)}
        report.append(q)
        hs = [h + np.maximum(xi @ gate.T, 0) * (xi @ up.T) @ down.T for h, xi in zip(hs, xn)]
        del gate, fc1, fc2, am, rand, g_ho, score
        print(f"layer {i:2d}: beta {beta:.3f}  true sparsity {q['true_sparsity']:.4f} (calibration {q['calibration_sparsity']:.4f})"
              f"  predictor recall {q['recall']:.4f} precision {q['precision']:.4f} predicted sparsity {q['predicted_sparsity']:.4f}"
              f"  union of {a.tokens} tokens {q['union_active']:.3f}  rms {np.sqrt(np.mean(hs[1] ** 2)):.2f}  ({time.time() - t0:.0f} s)", file=sys.stderr, flush=True)
    w.put("model.norm.weight", ones)
    w.put("lm_head.weight", f16(gauss((vocab, e), e ** -0.5)))
    shards = w.close()
    pw.close()
    total = sum(int(np.prod(s)) * 2 for _, s in items)
    with open(os.path.join(a.model, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": w.map}, f, indent=2)
    config = {
        "architectures": ["LlamaForCausalLM"], "bos_token_id": 1, "eos_token_id": 2, "hidden_act": "relu",
        "hidden_size": e, "initializer_range": 0.02, "intermediate_size": n, "max_position_embeddings": 4096,
        "model_type": "llama", "num_attention_heads": heads, "num_hidden_layers": layers, "num_key_value_heads": heads,
        "pretraining_tp": 1, "rms_norm_eps": 1e-05, "rope_scaling": None, "rope_theta": 10000.0,
        "tie_word_embeddings": False, "torch_dtype": "float16", "transformers_version": "4.31.0.dev0",
        "use_cache": True, "vocab_size": vocab,
    }
    with open(os.path.join(a.model, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    tiny = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "checkpoints", "tiny-llama")
    tok = json.load(open(os.path.join(tiny, "tokenizer.json"), encoding="utf-8"))
    have = len(tok["model"]["vocab"])
    for k in range(have, vocab):
        tok["model"]["vocab"][f"\u2581filler{k}"] = k                  # no merge makes them: never produced
    with open(os.path.join(a.model, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tok, f, ensure_ascii=False)
    for name in ("tokenizer_config.json", "special_tokens_map.json", "generation_config.json"):
        if os.path.exists(os.path.join(tiny, name)):
            shutil.copy(os.path.join(tiny, name), os.path.join(a.model, name))
    mean = lambda k: float(np.mean([q[k] for q in report]))
    pj = {"format_version": 1, "threshold": 0.0, "num_hidden_layers": layers, "hidden_size": e, "intermediate_size": n,
          "method": "constructed, not trained: exact factorisation of a low-rank gate_proj (scripts/sparse-relu-checkpoint.py)",
          "rank": 2 * r, "sparsity_target": a.sparsity, "seed": a.seed, "heldout_tokens": a.tokens,
          "mean": {k: mean(k) for k in ("true_sparsity", "recall", "precision", "predicted_sparsity")}, "layers": report}
    with open(os.path.join(a.predictors, "predictors.json"), "w") as f:
        json.dump(pj, f, indent=2)
    print(f"{a.model}: {len(items)} tensors, {total / 1e9:.2f} GB F16 in {shards} shards; {a.predictors}: rank {2 * r};"
          f" held-out means: true sparsity {pj['mean']['true_sparsity']:.4f}, predictor recall {pj['mean']['recall']:.4f},"
          f" precision {pj['mean']['precision']:.4f}, predicted sparsity {pj['mean']['predicted_sparsity']:.4f}", file=sys.stderr)


if __name__ == "__main__":
    main()
