"""The peer of scripts/bench-gpu.sh: the same training step in PyTorch + transformers. ReLU FFN, loss = CE +
λ·Σ_layers mean|x1| (x1 = the input of down_proj, taken by a forward pre-hook), fp16 autocast + GradScaler, fused
AdamW, random windows of the given length from random token ids. Prints one JSON line with tokens/s over the timed steps.
Usage: python3 bench_pytorch.py MODEL_DIR ATTN(eager|sdpa|sdpa-compile) BATCH SEQ STEPS WARMUP [CHECKPOINTING(0|1)]
sdpa-compile wraps the model in torch.compile; CHECKPOINTING 1 turns on transformers' gradient checkpointing.
Weights are float32 (autocast's convention: 16 bytes per parameter of state with AdamW). Out of memory: one JSON
line with "oom": true."""
import json, sys, time
import torch
from transformers import AutoModelForCausalLM

model_dir, attn, B, S, steps, warm = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:7])
ckpt = len(sys.argv) > 7 and sys.argv[7] == "1"
compiled = attn.endswith("-compile")
torch.manual_seed(0)
t_load = time.time()
model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32, attn_implementation=attn.split("-")[0],
                                             hidden_act="relu").cuda()
model.config.use_cache = False
if ckpt:
    model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
model.train()
print(f"loaded in {time.time() - t_load:.0f} s", file=sys.stderr)
l1 = []
for layer in model.model.layers:
    layer.mlp.down_proj.register_forward_pre_hook(lambda m, a: l1.append(a[0].abs().float().mean()))
opt = torch.optim.AdamW(model.parameters(), lr=1e-5, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.0, fused=True)
scaler = torch.amp.GradScaler("cuda")
lam = 0.01
ids = torch.randint(3, 4096, (steps + warm, B, S + 1), device="cuda")
fwd = torch.compile(model) if compiled else model
def step(i):
    l1.clear()
    x = ids[i]
    with torch.autocast("cuda", dtype=torch.float16):
        logits = fwd(input_ids=x[:, :-1]).logits
    ce = torch.nn.functional.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), x[:, 1:].reshape(-1))
    loss = ce + lam * torch.stack(l1).sum()
    scaler.scale(loss).backward()
    scaler.unscale_(opt)
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    scaler.step(opt)
    scaler.update()
    opt.zero_grad(set_to_none=True)
    return loss
try:
    for i in range(warm):
        step(i)
    torch.cuda.synchronize()
    t0 = time.time()
    for i in range(warm, warm + steps):
        loss = step(i)
        print(f"step {i + 1}: {time.time() - t0:.1f} s", file=sys.stderr, flush=True)
    torch.cuda.synchronize()
    dt = time.time() - t0
except torch.OutOfMemoryError as e:
    print(json.dumps({"impl": f"pytorch-{attn}", "oom": True, "error": str(e).splitlines()[0],
                      "max_allocated_gib": torch.cuda.max_memory_allocated() / 2**30}))
    sys.exit(0)
print(json.dumps({"impl": f"pytorch-{attn}", "checkpointing": ckpt, "tokens_per_s": B * S * steps / dt, "steps": steps, "loss": float(loss),
                  "max_allocated_gib": torch.cuda.max_memory_allocated() / 2**30,
                  "max_reserved_gib": torch.cuda.max_memory_reserved() / 2**30}))
