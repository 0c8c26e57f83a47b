"""Writes a random-init LLaMA checkpoint of the TinyLlama-1.1B shape (hidden 2048, intermediate 5632, 22 layers,
32 heads, 4 KV heads, vocab 32000) with transformers, in bfloat16, plus a tokenizer copied from a small fixture model
(ids < 4096 ⊂ the 32000-token vocabulary). Usage: python3 write_tinyllama.py OUT_DIR TOKENIZER_DIR"""
import os, shutil, sys
import torch
from transformers import LlamaConfig, LlamaForCausalLM

out, tok = sys.argv[1], sys.argv[2]
torch.manual_seed(0)
cfg = LlamaConfig(vocab_size=32000, hidden_size=2048, intermediate_size=5632, num_hidden_layers=22,
                  num_attention_heads=32, num_key_value_heads=4, max_position_embeddings=2048, rms_norm_eps=1e-5,
                  hidden_act="silu", tie_word_embeddings=False, bos_token_id=1, eos_token_id=2)
with torch.device("cuda"):
    model = LlamaForCausalLM(cfg)
model.to(torch.bfloat16).save_pretrained(out, safe_serialization=True, max_shard_size="20GB")
for f in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
    shutil.copy(os.path.join(tok, f), out)
print(f"wrote {out}: {sum(p.numel() for p in model.parameters()) / 1e9:.3f} B parameters")
