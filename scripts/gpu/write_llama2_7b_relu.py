"""Writes a random-init LLaMA-2-7B-shaped ReLU checkpoint (hidden 4096, intermediate 11008, 32 layers, 32 heads, vocab
32000, hidden_act relu) with transformers in bfloat16, plus a tokenizer copied from a small fixture model (ids < 4096 ⊂
the 32000-token vocabulary). Random weights: the timing of predictors train does not depend on them (about half the
neurons are active, as for any random ReLU layer). Usage: python3 write_llama2_7b_relu.py OUT_DIR TOKENIZER_DIR"""
import os, shutil, sys
import torch
from transformers import LlamaConfig, LlamaForCausalLM

out, tok = sys.argv[1], sys.argv[2]
torch.manual_seed(0)
cfg = LlamaConfig(vocab_size=32000, hidden_size=4096, intermediate_size=11008, num_hidden_layers=32,
                  num_attention_heads=32, num_key_value_heads=32, max_position_embeddings=4096, rms_norm_eps=1e-5,
                  hidden_act="relu", tie_word_embeddings=False, bos_token_id=1, eos_token_id=2)
with torch.device("cuda"):
    model = LlamaForCausalLM(cfg).to(torch.bfloat16)
model.save_pretrained(out, safe_serialization=True, max_shard_size="5GB")
for f in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
    shutil.copy(os.path.join(tok, f), out)
print(f"wrote {out}: {sum(p.numel() for p in model.parameters()) / 1e9:.3f} B parameters")
