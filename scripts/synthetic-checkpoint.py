#!/usr/bin/env python3
"""Write a synthetic HuggingFace checkpoint with LLaMA-2-7B's exact tensor names, shapes and sharding.

    python3 scripts/synthetic-checkpoint.py OUT_DIR [--preset llama2-7b|llama2-13b|tiny] [--max-shard-gb 10]

BF16 weights filled with random bytes (not a usable model: only its layout is real), split greedily into
shards of at most --max-shard-gb (10 GB gives LLaMA-2-7B's two shards), with model.safetensors.index.json,
a config.json in the hub's transformers-4 form, and the tokenizer files of the bundled tiny-llama (so the
folder looks like a hub download). Used by scripts/bench_convert.sh; never commit its output.
Needs only the standard library; numpy, when present, makes the random bytes faster.
"""
import argparse
import json
import os
import shutil
import struct
import sys

PRESETS = {
    # hidden, intermediate, layers, heads, kv heads, vocab
    "llama2-7b": (4096, 11008, 32, 32, 32, 32000),
    "llama2-13b": (5120, 13824, 40, 40, 40, 32000),
    "tiny": (128, 352, 4, 4, 4, 4096),
}


def tensors(hidden, inter, layers, heads, kv, vocab):
    """(name, shape) in the order of the hub's index: embeddings, layers, norm, lm_head."""
    head_dim = hidden // heads
    out = [("model.embed_tokens.weight", (vocab, hidden))]
    for i in range(layers):
        p = f"model.layers.{i}."
        out += [
            (p + "input_layernorm.weight", (hidden,)),
            (p + "mlp.down_proj.weight", (hidden, inter)),
            (p + "mlp.gate_proj.weight", (inter, hidden)),
            (p + "mlp.up_proj.weight", (inter, hidden)),
            (p + "post_attention_layernorm.weight", (hidden,)),
            (p + "self_attn.k_proj.weight", (kv * head_dim, hidden)),
            (p + "self_attn.o_proj.weight", (hidden, heads * head_dim)),
            (p + "self_attn.q_proj.weight", (heads * head_dim, hidden)),
            (p + "self_attn.v_proj.weight", (kv * head_dim, hidden)),
        ]
    out += [("model.norm.weight", (hidden,)), ("lm_head.weight", (vocab, hidden))]
    return out


def nbytes(shape):
    n = 2
    for d in shape:
        n *= d
    return n


def random_writer():
    try:
        import numpy as np
        rng = np.random.default_rng(1234)
        return lambda n: rng.bytes(n)
    except ImportError:
        return os.urandom


def write_shard(path, items, rand):
    header = {"__metadata__": {"format": "pt"}}
    off = 0
    for name, shape in items:
        header[name] = {"dtype": "BF16", "shape": list(shape), "data_offsets": [off, off + nbytes(shape)]}
        off += nbytes(shape)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    chunk = 64 << 20
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        left = off
        while left > 0:
            n = min(chunk, left)
            f.write(rand(n))
            left -= n


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--preset", default="llama2-7b", choices=sorted(PRESETS))
    ap.add_argument("--max-shard-gb", type=float, default=10.0)
    a = ap.parse_args()
    hidden, inter, layers, heads, kv, vocab = PRESETS[a.preset]
    items = tensors(hidden, inter, layers, heads, kv, vocab)
    limit = int(a.max_shard_gb * 1e9)
    groups, cur, size = [], [], 0
    for name, shape in items:
        if cur and size + nbytes(shape) > limit:
            groups.append(cur)
            cur, size = [], 0
        cur.append((name, shape))
        size += nbytes(shape)
    groups.append(cur)
    os.makedirs(a.out, exist_ok=False)
    rand = random_writer()
    weight_map = {}
    for i, g in enumerate(groups):
        fname = f"model-{i + 1:05d}-of-{len(groups):05d}.safetensors"
        write_shard(os.path.join(a.out, fname), g, rand)
        for name, _ in g:
            weight_map[name] = fname
    total = sum(nbytes(s) for _, s in items)
    with open(os.path.join(a.out, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2)
    config = {
        "architectures": ["LlamaForCausalLM"], "bos_token_id": 1, "eos_token_id": 2, "hidden_act": "silu",
        "hidden_size": hidden, "initializer_range": 0.02, "intermediate_size": inter,
        "max_position_embeddings": 4096, "model_type": "llama", "num_attention_heads": heads,
        "num_hidden_layers": layers, "num_key_value_heads": kv, "pretraining_tp": 1, "rms_norm_eps": 1e-05,
        "rope_scaling": None, "tie_word_embeddings": False, "torch_dtype": "bfloat16",
        "transformers_version": "4.31.0.dev0", "use_cache": True, "vocab_size": vocab,
    }
    with open(os.path.join(a.out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    tiny = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "checkpoints", "tiny-llama")
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "generation_config.json"):
        if os.path.exists(os.path.join(tiny, name)):
            shutil.copy(os.path.join(tiny, name), os.path.join(a.out, name))
    print(f"{a.out}: {len(items)} tensors, {total / 1e9:.2f} GB in {len(groups)} shards", file=sys.stderr)


if __name__ == "__main__":
    main()
