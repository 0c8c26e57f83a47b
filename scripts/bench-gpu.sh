#!/usr/bin/env bash
# The GPU training benchmark (docs/gpu.md, "Measured"), run ON a GPU machine from the project root:
#   PROSPARSE_KIT=.carry/gpu bash scripts/bench-gpu.sh [OUT_DIR]
# Writes a random-init TinyLlama-1.1B-shaped checkpoint (scripts/gpu/write_llama.py, float16), then trains it for 20 steps at batch
# 4 × 1024, fp16-mixed, ReLU + L1, AdamW with prosparse (attention auto = PyTorch's fused SDPA on a GPU, and once more
# with attention=eager), and runs the same step in PyTorch + transformers (fp16 autocast
# + GradScaler, fused AdamW, L1 through a hook) with eager and with SDPA attention; then prosparse at 4 × 2048 with
# activation_checkpointing; PyTorch + SDPA + torch.compile (the peer to catch next); BENCH_PARTS=7b adds the LLaMA-2-7B
# shape (hidden 4096, inter 11008, 32 layers, 32 heads, vocab 32000) at batch 1 x 4096 with recompute, next to its
# PyTorch peer: that part is scripts/gpu-7b.sh MODE=h200 (about 6 minutes; run it in a call of its own). Peak memory of every run is nvidia-smi's used memory sampled every 0.2 s (the same way for
# all). Prints tokens/s, ratios, MFU against 989 TFLOP/s (H200 dense FP16) and peaks; logs in OUT_DIR.
source "$(dirname "${BASH_SOURCE[0]}")/gpu/env.sh"
O="${1:-${OUT:-bench-gpu-out}}"; mkdir -p "$O"
B="${TMPDIR:-/tmp}/bench-gpu"; mkdir -p "$B"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
M="$B/tinyllama-1.1b"
[[ -f "$M/config.json" ]] || python3 "$HERE/gpu/write_llama.py" "$M" checkpoints/tiny-llama 1.1b
sample() { # sample OUTFILE: nvidia-smi used memory (MiB) every 0.2 s until killed (a fresh file per run)
  : > "$1"
  while true; do nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits | head -1 >> "$1"; sleep 0.2; done; }
peak() { sort -n "$1" | tail -1; }
settle() { # wait (≤ 60 s) until the GPU's used memory is back under 2 GiB: a killed run frees its memory late
  for _ in $(seq 120); do (( $(nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits | head -1) < 2048 )) && return; sleep 0.5; done
  echo "bench-gpu: the GPU still has $(nvidia-smi --query-gpu=memory.used --format=csv,noheader) in use; the next figures are not clean" >&2; }
stop_run() { # stop_run PID: SIGKILL a backgrounded pcli and the JVM it started (the JVM is the subshell's child)
  pkill -9 -P "$1" 2>/dev/null || true; kill -9 "$1" 2>/dev/null || true; }
# prosparse: stop (SIGKILL) once step N is logged, so no checkpoint of 13 GB is written after the timed steps
prosparse_run() { # NAME SEQ STEPS RECOMPUTE [ATTENTION] [MORE --set ARGS]
  local name=$1 seq=$2 n=$3 rc=$4 attn=${5:-auto} run="$B/runs/$1"; rm -rf "$run"; shift 5 2>/dev/null || shift $#
  settle; sample "$B/mem-$name" & local s=$!
  pcli train --device cuda --precision fp16-mixed --set model="$M" --set seq_len=$seq --set batch_size=4 --set grad_accum=1 \
    --set activation_checkpointing=$rc --set attention=$attn --set log_every=1 --set eval.windows=1 --set eval.every=0 --set save.every=0 \
    --set "stages=[{name: bench, steps: 1000, l1_lambda: 0.01, ramp: constant}]" --set final_threshold=null \
    --set output_dir="$B/runs" --run-name "$name" "$@" > "$O/$name.log" 2>&1 & local p=$!
  while kill -0 $p 2>/dev/null; do
    if [[ -f "$run/metrics.jsonl" ]] && grep -q "\"step\":$n," "$run/metrics.jsonl"; then stop_run $p; break; fi
    sleep 0.5
  done
  wait $p 2>/dev/null || true; kill $s 2>/dev/null || true; wait $s 2>/dev/null || true
  grep -E "error|Exception" "$O/$name.log" | head -3 || true
  cp "$run/metrics.jsonl" "$O/$name.metrics.jsonl" 2>/dev/null || true
  echo "$(peak "$B/mem-$name")" > "$O/$name.peak_mib"
}
pytorch_run() { # ATTN SEQ
  settle; sample "$B/mem-pt-$1" & local s=$!
  python3 "$HERE/gpu/bench_pytorch.py" "$M" "$1" 4 "$2" 15 5 > "$O/pytorch-$1.json" 2> "$O/pytorch-$1.log" || tail -3 "$O/pytorch-$1.log"
  kill $s; wait $s 2>/dev/null || true
  echo "$(peak "$B/mem-pt-$1")" > "$O/pytorch-$1.peak_mib"
}
PARTS=" ${BENCH_PARTS:-prosparse pytorch compile recompute} "   # a subset, e.g. BENCH_PARTS="prosparse recompute"; more: eager phases 7b
[[ "$PARTS" == *" prosparse "* ]] && prosparse_run prosparse-1024 1024 20 false
[[ "$PARTS" == *" eager "* ]] && prosparse_run prosparse-1024-eager 1024 20 false eager
[[ "$PARTS" == *" pytorch "* ]] && { pytorch_run eager 1024; pytorch_run sdpa 1024; }
[[ "$PARTS" == *" compile "* ]] && pytorch_run sdpa-compile 1024
[[ "$PARTS" == *" recompute "* ]] && prosparse_run prosparse-2048-recompute 2048 6 true
# phases: the step's phase table (phase_timing) with the per-tensor and the fused optimizer step, 10 steps each
if [[ "$PARTS" == *" phases "* ]]; then
  for k in per-tensor fused; do
    prosparse_run "phases-$k" 1024 10 false auto --set optimizer.kernel=$k --set phase_timing=true
    echo "phases, optimizer.kernel=$k (ms/step, mean of steps 3-10):"
    grep -o "phases, ms/step over steps [0-9]*-[0-9]*: .*" "$O/phases-$k.log" | awk -F': ' '{split($1, a, " "); split(a[5], r, "-"); if (r[1] >= 3) print $2}' \
      | python3 -c "import sys,re; rows=[dict((k.strip(), float(v)) for k, v in re.findall(r'([a-z+ ]+?) ([0-9.]+)', l)) for l in sys.stdin]; print(' | '.join(f'{k} {sum(r[k] for r in rows)/len(rows):.1f}' for k in rows[0]) if rows else 'no phase lines')" | tee "$O/phases-$k.txt"
  done
fi
[[ "$PARTS" == *" 7b "* ]] && MODE=h200 bash "$HERE/gpu-7b.sh" "$O/7b"
python3 - "$O" <<'PY' | tee "$O/bench-summary.txt"
import json, sys, subprocess
o = sys.argv[1]
N = 1.1e9; L, E, S1 = 22, 2048, 1024
def flops_per_token(S):  # 6N for the dense layers + attention (QKᵀ and PV: 12·L·E·S per token for fwd+bwd, causal not discounted)
    return 6 * 1.100048384e9 + 12 * L * E * S
def prosparse(name, S, first=5):
    tr = [l for l in map(json.loads, open(f"{o}/{name}.metrics.jsonl")) if l["type"] == "train"]
    tok = tr[0]["tokens"]  # tokens per step
    secs = {l["step"]: l["step"] * tok / l["tokens_per_s"] for l in tr}  # cumulative seconds (cumulative rate)
    last = tr[-1]["step"]
    rate = (last - first) * tok / (secs[last] - secs[first])
    return rate, tr[-1]
gpu = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version", "--format=csv,noheader"], capture_output=True, text=True).stdout.strip()
print(f"machine: {gpu}; prosparse attention auto = sdpa (fused) unless marked eager; batch 4 x 1024, fp16-mixed / autocast fp16, ReLU + L1, AdamW; steady state (prosparse steps 6-20, PyTorch 15 steps after 5 warm-up)")
rows = []
ps, last = prosparse("prosparse-1024", 1024)
rows.append(("prosparse (DJL)", ps, int(open(f"{o}/prosparse-1024.peak_mib").read()), last.get("loss_scale")))
try:
    pe, le = prosparse("prosparse-1024-eager", 1024)
    rows.append(("prosparse eager", pe, int(open(f"{o}/prosparse-1024-eager.peak_mib").read()), le.get("loss_scale")))
except Exception as e:
    print(f"prosparse with attention=eager: no result ({e})")
pt = {}
for a in ("eager", "sdpa", "sdpa-compile"):
    try:
        d = json.loads(open(f"{o}/pytorch-{a}.json").read().strip().splitlines()[-1])
        pt[a] = d["tokens_per_s"]
        rows.append((f"PyTorch {a}", d["tokens_per_s"], int(open(f"{o}/pytorch-{a}.peak_mib").read()), None))
    except Exception as e:
        print(f"PyTorch {a}: no result ({e})")
print(f"{'implementation':18s} {'tokens/s':>10s} {'MFU':>6s} {'peak GiB (nvidia-smi)':>22s}")
for n, r, mib, ls in rows:
    print(f"{n:18s} {r:10.0f} {100 * r * flops_per_token(1024) / 989e12:5.1f}% {mib / 1024:22.1f}")
for a in pt:
    target = {"eager": "target 1.0x", "sdpa": "target 1.0x", "sdpa-compile": "the peer to catch next"}[a]
    print(f"prosparse / PyTorch {a}: speed {ps / pt[a]:.2f}x ({target}), memory {rows[0][2] / next(m for n, r, m, _ in rows if n == 'PyTorch ' + a):.2f}x (target <= 1.2x)")
try:
    r2, l2 = prosparse("prosparse-2048-recompute", 2048, first=2)
    m2 = int(open(f"{o}/prosparse-2048-recompute.peak_mib").read())
    print(f"prosparse 4 x 2048 fp16-mixed + recompute: {r2:.0f} tokens/s, MFU {100 * r2 * flops_per_token(2048) / 989e12:.1f}%, peak {m2 / 1024:.1f} GiB (target <= 80 GB = 74.5 GiB): {'OK' if m2 * 2**20 <= 80e9 else 'OVER'}")
except Exception as e:
    print(f"prosparse 4 x 2048 recompute: no result ({e})")
PY
