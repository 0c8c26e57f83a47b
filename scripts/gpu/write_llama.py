"""Writes a random-init LLaMA checkpoint of a named shape with transformers, in float16 safetensors, plus a tokenizer
copied from a small fixture model (ids < 4096, inside the 32000-token vocabulary).
Usage: python3 write_llama.py OUT_DIR TOKENIZER_DIR SHAPE [ACT]   (SHAPE: 1.1b | 3.4b | 7b; ACT: silu (default) | relu)
  1.1b  TinyLlama-1.1B: hidden 2048, inter 5632, 22 layers, 32 heads, 4 KV heads
  3.4b  hidden 3200, inter 8640, 26 layers, 32 heads (MHA)
  7b    LLaMA-2-7B: hidden 4096, inter 11008, 32 layers, 32 heads (MHA)
all with vocab 32000, untied embeddings. Initialised on the GPU (HF init), cast to float16 (peak: the fp32 model).
Written under OUT_DIR.partial and renamed at the end: OUT_DIR exists only whole."""
import os, shutil, sys, time
import torch
from transformers import LlamaConfig, LlamaForCausalLM

SHAPES = {
    "1.1b": dict(hidden_size=2048, intermediate_size=5632, num_hidden_layers=22, num_attention_heads=32, num_key_value_heads=4),
    "3.4b": dict(hidden_size=3200, intermediate_size=8640, num_hidden_layers=26, num_attention_heads=32, num_key_value_heads=32),
    "7b": dict(hidden_size=4096, intermediate_size=11008, num_hidden_layers=32, num_attention_heads=32, num_key_value_heads=32),
}
out, tok, shape = sys.argv[1], sys.argv[2], sys.argv[3]
act = sys.argv[4] if len(sys.argv) > 4 else "silu"
if shape not in SHAPES or act not in ("silu", "relu"):
    sys.exit(f"write_llama.py: SHAPE {shape!r} / ACT {act!r}: use one of {', '.join(SHAPES)} and silu or relu (for example 7b relu)")
t0, tmp = time.time(), out.rstrip("/") + ".partial"
shutil.rmtree(tmp, ignore_errors=True)
torch.manual_seed(0)
cfg = LlamaConfig(vocab_size=32000, max_position_embeddings=4096, rms_norm_eps=1e-5, hidden_act=act,
                  tie_word_embeddings=False, bos_token_id=1, eos_token_id=2, **SHAPES[shape])
with torch.device("cuda"):
    model = LlamaForCausalLM(cfg)
model.to(torch.float16).save_pretrained(tmp, safe_serialization=True, max_shard_size="5GB")
for f in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
    shutil.copy(os.path.join(tok, f), tmp)
shutil.rmtree(out, ignore_errors=True)
os.rename(tmp, out)
print(f"wrote {out}: {shape}, {sum(p.numel() for p in model.parameters()) / 1e9:.3f} B parameters, float16, "
      f"hidden_act {act}, {time.time() - t0:.0f} s")
