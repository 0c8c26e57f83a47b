"""Writes a random-init LLaMA-2-shaped ReLU checkpoint (hidden_act relu, vocab 32000, untied embeddings) in float16
safetensors, plus a tokenizer copied from a small fixture model (ids < 4096, inside the 32000-token vocabulary), for
scripts/gpu-predictors-7b.sh. Usage: python3 write_llama2_7b_relu.py OUT_DIR TOKENIZER_DIR [SHAPE]
  7b    LLaMA-2-7B: hidden 4096, inter 11008, 32 layers, 32 heads (MHA), 6.74 B parameters, 13.5 GB  (default)
  tiny  hidden 256, inter 688, 4 layers, 4 heads: the same script as a dry run on any machine
float16, as LLaMA-2-7B is published (bfloat16 would do too: prosparse widens 16-bit weights in Java, never as a DJL
bfloat16 tensor, docs/djl-notes.md). Random weights: predictors train's timing does not depend on them (about half the
neurons of a random ReLU layer are active). With torch + transformers (the GPU machine): LlamaForCausalLM initialised on
the GPU (HF init, N(0, 0.02)) and saved by save_pretrained in 5 GB shards, as scripts/gpu/write_llama.py does. Without
them (a CPU box with numpy only), or if transformers fails: the same tensors drawn with numpy, written in shards of
P7B_SHARD_BYTES (default 5 GB, HF's layout and index) with a config.json of transformers' layout. Written under OUT_DIR.partial and renamed at the end: OUT_DIR exists only whole."""
import json, os, shutil, struct, sys, time

SHAPES = {
    "7b": dict(hidden_size=4096, intermediate_size=11008, num_hidden_layers=32, num_attention_heads=32, num_key_value_heads=32),
    "tiny": dict(hidden_size=256, intermediate_size=688, num_hidden_layers=4, num_attention_heads=4, num_key_value_heads=4),
}
COMMON = dict(vocab_size=32000, max_position_embeddings=4096, rms_norm_eps=1e-5, hidden_act="relu",
              tie_word_embeddings=False, bos_token_id=1, eos_token_id=2)


def with_transformers(tmp, shape):
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM
    torch.manual_seed(0)
    cfg = LlamaConfig(**COMMON, **SHAPES[shape])
    with torch.device("cuda" if torch.cuda.is_available() else "cpu"):
        model = LlamaForCausalLM(cfg)
    model.to(torch.float16).save_pretrained(tmp, safe_serialization=True, max_shard_size="5GB")
    return sum(p.numel() for p in model.parameters()), "transformers"


def tensors(s):
    """HF names and shapes of a LLaMA checkpoint of shape s, in HF order; norms are ones, the rest N(0, 0.02)."""
    e, i, h, kv = s["hidden_size"], s["intermediate_size"], s["num_attention_heads"], s["num_key_value_heads"]
    d = e // h
    yield "model.embed_tokens.weight", (COMMON["vocab_size"], e)
    for l in range(s["num_hidden_layers"]):
        p = f"model.layers.{l}."
        yield p + "input_layernorm.weight", (e,)
        yield p + "self_attn.q_proj.weight", (h * d, e)
        yield p + "self_attn.k_proj.weight", (kv * d, e)
        yield p + "self_attn.v_proj.weight", (kv * d, e)
        yield p + "self_attn.o_proj.weight", (e, h * d)
        yield p + "post_attention_layernorm.weight", (e,)
        yield p + "mlp.gate_proj.weight", (i, e)
        yield p + "mlp.up_proj.weight", (i, e)
        yield p + "mlp.down_proj.weight", (e, i)
    yield "model.norm.weight", (e,)
    yield "lm_head.weight", (COMMON["vocab_size"], e)


def with_numpy(tmp, shape, shard_bytes):
    import numpy as np
    s = SHAPES[shape]
    rng = np.random.default_rng(0)
    shards, size = [[]], 0                      # HF's sharding: a new shard when the next tensor would pass the limit
    for name, shp in tensors(s):
        n = 2 * int(np.prod(shp))
        if shards[-1] and size + n > shard_bytes:
            shards.append([])
            size = 0
        shards[-1].append((name, shp, n))
        size += n
    os.makedirs(tmp)
    files = ["model.safetensors"] if len(shards) == 1 else \
        [f"model-{k + 1:05d}-of-{len(shards):05d}.safetensors" for k in range(len(shards))]
    weight_map, total = {}, 0
    for file, shard in zip(files, shards):
        header, at = {"__metadata__": {"format": "pt"}}, 0
        for name, shp, n in shard:
            header[name] = {"dtype": "F16", "shape": list(shp), "data_offsets": [at, at + n]}
            at += n
            weight_map[name] = file
        total += at
        hb = json.dumps(header, separators=(",", ":")).encode()
        hb += b" " * (-len(hb) % 8)
        with open(os.path.join(tmp, file), "wb") as f:
            f.write(struct.pack("<Q", len(hb)) + hb)
            for name, shp, n in shard:
                a = np.ones(shp, np.float16) if name.endswith("norm.weight") else \
                    (rng.standard_normal(shp, np.float32) * 0.02).astype(np.float16)
                f.write(a.astype("<f2").tobytes())
    if len(files) > 1:
        with open(os.path.join(tmp, "model.safetensors.index.json"), "w") as f:
            json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2)
    cfg = dict(architectures=["LlamaForCausalLM"], model_type="llama", attention_bias=False, attention_dropout=0.0,
               head_dim=s["hidden_size"] // s["num_attention_heads"], initializer_range=0.02, mlp_bias=False,
               pretraining_tp=1, rope_parameters={"rope_theta": 10000.0, "rope_type": "default"}, dtype="float16",
               use_cache=True, **COMMON, **s)
    with open(os.path.join(tmp, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2, sort_keys=True)
    return total // 2, f"numpy, {len(files)} shard(s)"


def main():
    out, tok = sys.argv[1], sys.argv[2]
    shape = sys.argv[3] if len(sys.argv) > 3 else "7b"
    if shape not in SHAPES:
        sys.exit(f"write_llama2_7b_relu.py: unknown shape {shape!r}; use one of {', '.join(SHAPES)} (for example 7b)")
    shard_bytes = int(os.environ.get("P7B_SHARD_BYTES", 5_000_000_000))    # smaller: test the sharded layout
    t0, tmp = time.time(), out.rstrip("/") + ".partial"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        import torch, transformers  # noqa: F401
        have = True
    except ImportError:
        have = False
    try:
        n, how = with_transformers(tmp, shape) if have else with_numpy(tmp, shape, shard_bytes)
    except Exception as ex:  # a transformers that changed its API: the numpy writer needs nothing but numpy
        if not have:
            raise
        print(f"write_llama2_7b_relu.py: transformers failed ({type(ex).__name__}: {ex}); writing with numpy instead", flush=True)
        shutil.rmtree(tmp, ignore_errors=True)
        n, how = with_numpy(tmp, shape, shard_bytes)
    for f in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        shutil.copy(os.path.join(tok, f), tmp)
    shutil.rmtree(out, ignore_errors=True)
    os.rename(tmp, out)
    print(f"wrote {out}: {shape}, {n / 1e9:.3f} B parameters, float16, hidden_act relu, with {how}, {time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
