#!/usr/bin/env bash
# The memory plan against measured peaks, run ON a GPU machine from the project root (about 6 minutes):
#   PROSPARSE_KIT=.carry/gpu bash scripts/gpu-plan-check.sh [OUT_DIR]
# Writes random-init LLaMA checkpoints of two shapes with transformers (1.1B: hidden 2048, intermediate 5632, 22 layers,
# 32/4 heads; 3.4B: hidden 3200, intermediate 8640, 26 layers, 32/32 heads; vocab 32000), prints `train --plan` for each
# run, then trains it for a few steps (fp16-mixed, SDPA, ReLU + L1) while sampling nvidia-smi's used memory every 0.2 s,
# and prints the planned device peak next to the measured one with the error. A run the plan refuses (exit 2) is not
# started: the line says so. Logs and plan tables in OUT_DIR. See docs/memory-plan.md.
source "$(dirname "${BASH_SOURCE[0]}")/gpu/env.sh"
O="${1:-${OUT:-gpu-plan-check-out}}"; mkdir -p "$O"
B="${TMPDIR:-/tmp}/gpu-plan-check"; mkdir -p "$B"
write_model() { # DIR HIDDEN INTERMEDIATE LAYERS HEADS KV
  [[ -f "$1/config.json" ]] && return
  python3 - "$@" checkpoints/tiny-llama <<'PY'
import os, shutil, sys, torch
from transformers import LlamaConfig, LlamaForCausalLM
out, e, i, l, h, kv, tok = sys.argv[1], *map(int, sys.argv[2:7]), sys.argv[7]
torch.manual_seed(0)
cfg = LlamaConfig(vocab_size=32000, hidden_size=e, intermediate_size=i, num_hidden_layers=l, num_attention_heads=h,
                  num_key_value_heads=kv, max_position_embeddings=4096, rms_norm_eps=1e-5, hidden_act="silu",
                  tie_word_embeddings=False, bos_token_id=1, eos_token_id=2)
with torch.device("cuda"):
    model = LlamaForCausalLM(cfg)
model.to(torch.bfloat16).save_pretrained(out, safe_serialization=True, max_shard_size="20GB")
for f in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
    shutil.copy(os.path.join(tok, f), out)
print(f"wrote {out}: {sum(p.numel() for p in model.parameters()) / 1e9:.3f} B parameters")
PY
}
sample() { : > "$1"; while true; do nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits | head -1 >> "$1"; sleep 0.2; done; }
settle() { for _ in $(seq 120); do (( $(nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits | head -1) < 2048 )) && return; sleep 0.5; done; }
stop_run() { pkill -9 -P "$1" 2>/dev/null || true; kill -9 "$1" 2>/dev/null || true; }
check() { # NAME MODEL BATCH SEQ RECOMPUTE STEPS
  local name=$1 model=$2 batch=$3 seq=$4 rc=$5 n=$6 run="$B/runs/$1"; rm -rf "$run"
  local sets=(--device cuda --precision fp16-mixed --set model="$model" --set seq_len="$seq" --set batch_size="$batch"
    --set grad_accum=1 --set activation_checkpointing="$rc" --set log_every=1 --set eval.windows=8 --set eval.every=0
    --set save.every=0 --set "stages=[{name: check, steps: 1000, l1_lambda: 0.01, ramp: constant}]"
    --set final_threshold=null --set output_dir="$B/runs")
  settle
  local code=0; pcli train "${sets[@]}" --plan > "$O/$name.plan.txt" 2> "$O/$name.plan.log" || code=$?
  echo "== $name: batch $batch x $seq, recompute $rc: train --plan exit $code"; grep -E "^(device peak|host peak|training state|fits|does not fit)" "$O/$name.plan.txt" || tail -3 "$O/$name.plan.log"
  echo "$code" > "$O/$name.plan_exit"
  [[ $code == 0 ]] || { echo "   (not started: the plan says it does not fit)"; return; }
  sample "$B/mem-$name" & local s=$!
  pcli train "${sets[@]}" --run-name "$name" > "$O/$name.log" 2>&1 & local p=$!
  while kill -0 $p 2>/dev/null; do
    if [[ -f "$run/metrics.jsonl" ]] && grep -q "\"step\":$n," "$run/metrics.jsonl"; then stop_run $p; break; fi
    sleep 0.5
  done
  wait $p 2>/dev/null || true; kill $s 2>/dev/null || true; wait $s 2>/dev/null || true
  grep -E "error|Exception" "$O/$name.log" | head -3 || true
  sort -n "$B/mem-$name" | tail -1 > "$O/$name.peak_mib"
}
M1="$B/llama-1.1b"; M3="$B/llama-3.4b"
write_model "$M1" 2048 5632 22 32 4
write_model "$M3" 3200 8640 26 32 32
check 1.1b-4x1024 "$M1" 4 1024 false 4
check 1.1b-4x2048-recompute "$M1" 4 2048 true 3
check 3.4b-1x1024-recompute "$M3" 1 1024 true 3
check 3.4b-1x4096-recompute "$M3" 1 4096 true 3
python3 - "$O" <<'PY' | tee "$O/summary.txt"
import os, re, subprocess, sys
o = sys.argv[1]
gpu = subprocess.run(["nvidia-smi", "--query-gpu=name,memory.total", "--format=csv,noheader"], capture_output=True, text=True).stdout.strip()
print(f"machine: {gpu}; planned device peak (train --plan) vs measured (nvidia-smi used memory, max of 0.2 s samples)")
print(f"{'run':28s} {'plan exit':>9s} {'planned GB':>11s} {'measured GB':>12s} {'error':>8s}")
for name in ("1.1b-4x1024", "1.1b-4x2048-recompute", "3.4b-1x1024-recompute", "3.4b-1x4096-recompute"):
    try:
        plan = open(f"{o}/{name}.plan.txt").read()
        m = re.search(r"^device peak: ([0-9.]+) (GB|MB)", plan, re.M)
        planned = float(m.group(1)) * (1e9 if m.group(2) == "GB" else 1e6)
        code = open(f"{o}/{name}.plan_exit").read().strip()
        if os.path.exists(f"{o}/{name}.peak_mib"):
            meas = int(open(f"{o}/{name}.peak_mib").read()) * 2**20
            print(f"{name:28s} {code:>9s} {planned / 1e9:11.2f} {meas / 1e9:12.2f} {100 * (planned - meas) / meas:+7.1f}%")
        else:
            print(f"{name:28s} {code:>9s} {planned / 1e9:11.2f} {'not run':>12s}")
    except Exception as e:
        print(f"{name:28s} no result ({e})")
PY
