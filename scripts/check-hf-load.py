#!/usr/bin/env python3
"""Check that HuggingFace transformers loads a `prosparse convert` output and computes our logits.

    python3 scripts/check-hf-load.py CHECKPOINT_DIR OURS.safetensors [--devices cuda,cpu] [--tol 1e-5]

OURS.safetensors holds `input_ids` (int64 [B, S]) and `logits` (float32 [B, S, V]) from prosparse's own
forward pass of the same checkpoint (written by the test-side main dev.prosparse.convert.HfCheckExport).
The checkpoint is loaded with AutoModelForCausalLM.from_pretrained in float32 with TF32 off and eager
attention; any missing, unexpected or mismatched tensor fails the check (a bias or q/k norm that transformers
would drop or re-initialise). Works for every family transformers loads natively: llama (Llama-2, Llama-3.x
with rope_type llama3), mistral (sliding window), qwen2 (q/k/v bias), qwen3 (q/k norm); the input windows
(128 tokens from HfCheckExport) are longer than the tiny fixtures' sliding window and original context.
The script prints the relative error ||ours - hf|| / ||hf|| per device and exits 1 if any is above --tol.

For every family (from the repository root, after `mvn -q test-compile`):

    for m in tiny-llama tiny-llama3 tiny-qwen2 tiny-qwen3 tiny-mistral; do
      java -cp 'target/classes:target/test-classes:target/lib/*' -Dprosparse.repo=. \
          dev.prosparse.convert.HfCheckExport .carry $m
      python3 scripts/check-hf-load.py .carry/$m-relu .carry/$m-relu.ours.safetensors
    done

and for a trained save: HfCheckExport .carry checkpoints/runs/<run>/step-000300, then
check-hf-load.py .carry/step-000300 .carry/step-000300.ours.safetensors (a save has hidden_act relu).
"""
import argparse
import json
import os
import sys

import torch
import transformers
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("checkpoint")
    ap.add_argument("ours")
    ap.add_argument("--devices", default="cuda,cpu")
    ap.add_argument("--tol", type=float, default=1e-5)
    a = ap.parse_args()

    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    with open(os.path.join(a.checkpoint, "config.json")) as f:
        cfg = json.load(f)
    ours = load_file(a.ours)
    ids, ref = ours["input_ids"], ours["logits"].float()
    major = int(transformers.__version__.split(".")[0])
    kw = {"dtype": torch.float32} if major >= 5 else {"torch_dtype": torch.float32}
    model, info = AutoModelForCausalLM.from_pretrained(a.checkpoint, attn_implementation="eager",
                                                       output_loading_info=True, **kw)
    model = model.eval()
    attn = model.model.layers[0].self_attn
    rope = getattr(model.config, "rope_parameters", None) or getattr(model.config, "rope_scaling", None)
    print(f"torch {torch.__version__}, transformers {transformers.__version__}; {type(model).__name__} "
          f"(model_type {cfg.get('model_type')!r}); config hidden_act={cfg['hidden_act']!r}, "
          f"loaded hidden_act={model.config.hidden_act!r}, act_fn={type(model.model.layers[0].mlp.act_fn).__name__}, "
          f"dtype={model.dtype}; rope {rope}; sliding_window {getattr(model.config, 'sliding_window', None)}, "
          f"layer_types {getattr(model.config, 'layer_types', None)}; q_proj bias {attn.q_proj.bias is not None}, "
          f"o_proj bias {attn.o_proj.bias is not None}, q_norm {hasattr(attn, 'q_norm')}, "
          f"tied {model.config.tie_word_embeddings}")
    if model.config.hidden_act != cfg["hidden_act"]:
        print("FAIL: transformers did not take hidden_act from config.json")
        return 1
    # tensors transformers did not find, ignored, or found with another shape: our file and its model disagree
    def name(n):  # mismatched keys come as (name, shape in file, shape in model)
        return n[0] if isinstance(n, (tuple, list)) else str(n)
    problems = {k: [n for n in (info.get(k) or []) if not name(n).endswith("rotary_emb.inv_freq")]
                for k in ("missing_keys", "unexpected_keys", "mismatched_keys")}
    if model.config.tie_word_embeddings:
        problems["missing_keys"] = [n for n in problems["missing_keys"] if name(n) != "lm_head.weight"]
    if any(problems.values()):
        print(f"FAIL: loading info {problems}")
        return 1
    worst = 0.0
    for dev in [d for d in a.devices.split(",") if d]:
        if dev == "cuda" and not torch.cuda.is_available():
            print("cuda: not available, skipped")
            continue
        m = model.to(dev)
        with torch.no_grad():
            hf = m(ids.to(dev)).logits.float().cpu()
        rel = ((ref - hf).norm() / hf.norm()).item()
        worst = max(worst, rel)
        name = torch.cuda.get_device_name(0) if dev == "cuda" else "cpu"
        print(f"{dev} ({name}): logits {tuple(hf.shape)}, relative error {rel:.3e}, "
              f"max abs diff {(ref - hf).abs().max().item():.3e}, argmax agreement "
              f"{(ref.argmax(-1) == hf.argmax(-1)).float().mean().item():.4f}")
    ok = worst <= a.tol
    print(("PASS" if ok else "FAIL") + f": worst relative error {worst:.3e} (tolerance {a.tol:g})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
