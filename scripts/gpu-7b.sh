#!/usr/bin/env bash
# LLaMA-2-7B-shaped training on one GPU, prosparse next to PyTorch + transformers, run ON a GPU machine from the project
# root (docs/gpu.md, "7B on one GPU"):
#   MODE=h200    PROSPARSE_KIT=.carry/gpu bash scripts/gpu-7b.sh [OUT_DIR]   # 7B without offload vs the PyTorch peer
#   MODE=h100    PROSPARSE_KIT=.carry/gpu bash scripts/gpu-7b.sh [OUT_DIR]   # 7B with optimizer.offload=cpu, grad_accum 1 and 16
#   MODE=h100-3b PROSPARSE_KIT=.carry/gpu bash scripts/gpu-7b.sh [OUT_DIR]   # 3.4B without offload vs the peer (80 GB card)
# Each mode writes its random-init float16 checkpoint with transformers under /tmp (kept for the next call on the same
# machine), trains batch 1 x 4096, fp16-mixed, activation recompute, attention auto (= SDPA), ReLU + L1 (λ 0.01),
# AdamW, for a few steps with phase_timing, and prints as it goes: tokens/s (steady steps), the phase table, the training
# state per parameter, peak GPU memory (nvidia-smi, every 0.5 s) and peak host memory (MemTotal - MemAvailable from
# /proc/meminfo, every 0.5 s, minus the level before the run). The PyTorch peer: fp32 weights, autocast fp16 +
# GradScaler, fused AdamW, SDPA, gradient checkpointing (bench_pytorch.py). Budget: < 9 minutes per call; parts that
# would not finish in time are skipped and said so. Summary: OUT_DIR/summary.txt (and the logs beside it).
source "$(dirname "${BASH_SOURCE[0]}")/gpu/env.sh"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
MODE="${MODE:-h200}"
export PROSPARSE_JAVA_OPTS="${PROSPARSE_JAVA_OPTS:--Xmx16g}"   # the offloaded state (81 GB at 7B) is native memory, not heap
O="${1:-${OUT:-gpu-7b-out}}"; mkdir -p "$O"
B="${TMPDIR:-/tmp}/gpu-7b"; mkdir -p "$B"
T0=$(date +%s); BUDGET=${BUDGET_S:-520}   # seconds this call may use before it stops starting parts
say() { echo "[$(( $(date +%s) - T0 )) s] $*" | tee -a "$O/summary.txt"; }
left() { echo $(( BUDGET - ($(date +%s) - T0) )); }
say "gpu-7b MODE=$MODE on $(nvidia-smi --query-gpu=name,memory.total --format=csv,noheader | head -1); host $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(nproc) cores"
ckpt() { # SHAPE -> prints the checkpoint folder, writing it when missing
  local d="$B/llama-$1"
  [[ -f "$d/config.json" ]] || python3 "$HERE/gpu/write_llama.py" "$d" checkpoints/tiny-llama "$1" >&2
  echo "$d"; }
sample() { # FILE: "gpu_mib host_kib" every 0.5 s until killed
  : > "$1"
  while true; do
    echo "$(nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits | head -1) $(awk '/MemTotal/ {t=$2} /MemAvailable/ {a=$2} END {print t-a}' /proc/meminfo)" >> "$1"
    sleep 0.5; done; }
host_now() { awk '/MemTotal/ {t=$2} /MemAvailable/ {a=$2} END {print t-a}' /proc/meminfo; }
stop_run() { pkill -9 -P "$1" 2>/dev/null || true; kill -9 "$1" 2>/dev/null || true; }
settle() { for _ in $(seq 120); do (( $(nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits | head -1) < 2048 )) && return; sleep 0.5; done; }

prosparse_run() { # NAME MODEL STEPS GRAD_ACCUM OFFLOAD TIMEOUT_S
  local name=$1 m=$2 n=$3 ga=$4 off=$5 to=$6 run="$B/runs/$1"; rm -rf "$run"
  if (( $(left) < to )); then say "$name: skipped (only $(left) s of the budget left, needs up to $to s)"; return; fi
  settle; local base; base=$(host_now); echo "$base" > "$O/$name.host_base_kib"
  sample "$O/$name.mem" & local s=$!
  say "$name: prosparse train, batch 1 x 4096 x grad_accum $ga, offload $off, stop after step $n (timeout $to s)"
  pcli train --device cuda --precision fp16-mixed --set model="$m" --set seq_len=4096 --set batch_size=1 --set grad_accum=$ga \
    --set activation_checkpointing=true --set attention=auto --set log_every=1 --set eval.windows=1 --set eval.every=0 \
    --set save.every=0 --set optimizer.offload=$off --set phase_timing=true --verbose \
    --set "stages=[{name: bench, steps: 1000, l1_lambda: 0.01, ramp: constant}]" --set final_threshold=null \
    --set output_dir="$B/runs" --run-name "$name" > "$O/$name.log" 2>&1 & local p=$!
  local end=$(( $(date +%s) + to ))
  while kill -0 $p 2>/dev/null; do
    if [[ -f "$run/metrics.jsonl" ]] && grep -q "\"step\":$n," "$run/metrics.jsonl"; then stop_run $p; break; fi
    if (( $(date +%s) > end )); then say "$name: timeout after $to s"; stop_run $p; break; fi
    sleep 0.5
  done
  wait $p 2>/dev/null || true; kill $s 2>/dev/null || true; wait $s 2>/dev/null || true
  cp "$run/metrics.jsonl" "$O/$name.metrics.jsonl" 2>/dev/null || true
  grep -E "training state|out of GPU|error|Exception|refused" "$O/$name.log" | head -4 | sed "s/^/  $name: /" | tee -a "$O/summary.txt" || true
  python3 "$HERE/gpu/summarize_run.py" "$O" "$name" | tee -a "$O/summary.txt"
}
pytorch_run() { # NAME MODEL STEPS WARMUP TIMEOUT_S
  local name=$1 m=$2 n=$3 w=$4 to=$5
  if (( $(left) < to )); then say "$name: skipped (only $(left) s of the budget left, needs up to $to s)"; return; fi
  settle; host_now > "$O/$name.host_base_kib"
  sample "$O/$name.mem" & local s=$!
  say "$name: PyTorch + transformers, batch 1 x 4096, fp32 weights + autocast fp16 + GradScaler, fused AdamW, SDPA, gradient checkpointing"
  timeout "$to" python3 "$HERE/gpu/bench_pytorch.py" "$m" sdpa 1 4096 "$n" "$w" 1 > "$O/$name.json" 2> "$O/$name.log" \
    || { say "$name: exit $? (timeout or error)"; tail -3 "$O/$name.log" | tee -a "$O/summary.txt"; }
  kill $s; wait $s 2>/dev/null || true
  python3 "$HERE/gpu/summarize_run.py" "$O" "$name" | tee -a "$O/summary.txt"
}

case "$MODE" in
  h200)
    M=$(ckpt 7b); say "checkpoint: $M"
    prosparse_run p7b-h200 "$M" ${P7B_STEPS:-8} 1 none ${P7B_TIMEOUT:-300}
    pytorch_run pt7b-h200 "$M" ${PT7B_STEPS:-4} 2 ${PT7B_TIMEOUT:-200} ;;
  h100)
    M=$(ckpt 7b); say "checkpoint: $M"
    [[ "${SKIP_GA1:-0}" == 1 ]] || prosparse_run p7b-offload-ga1 "$M" 4 1 cpu 200
    prosparse_run p7b-offload-ga16 "$M" 3 16 cpu 240 ;;
  h100-3b)
    M=$(ckpt 3.4b); say "checkpoint: $M"
    prosparse_run p3b-h100 "$M" 8 1 none 220
    pytorch_run pt3b-h100 "$M" 5 2 200 ;;
  *) echo "MODE must be h200, h100 or h100-3b" >&2; exit 2 ;;
esac
python3 "$HERE/gpu/summarize_run.py" "$O" --compare | tee -a "$O/summary.txt"
say "done; logs and summary.txt in $O"
