#!/usr/bin/env bash
# The memory plan against measured peaks, run ON a GPU machine from the project root, unattended, under 9 minutes:
#   PROSPARSE_KIT=.carry/gpu bash scripts/gpu-plan-check.sh [OUT_DIR]        # OUT_DIR default: $OUT, else gpu-plan-check-out
# Shapes: tiny-llama (the fixture in checkpoints/), a random-init 1.1B LLaMA (hidden 2048, intermediate 5632, 22 layers,
# 32/4 heads, vocab 32000) with and without optimizer offload, and, when the budget still allows, the 7B shape with
# offload (set SKIP_7B=1 to leave it out). For each run it prints `train --plan` (the same recipe), trains a few steps
# (fp16-mixed, ReLU + L1) while sampling nvidia-smi's used memory and the host's used memory (MemTotal - MemAvailable,
# minus the level before the run) every 0.2 s, and stops the run after its last step. A run the plan refuses (exit 2)
# is not started. OUT_DIR/summary.txt begins with the table "shape · plan · measured · error"; the plan tables, logs and
# samples are beside it. The 3.4B run without offload and the 7B offload run at grad_accum 1 are the points the GPU
# allocator slack was fitted on (docs/memory-plan.md): only the other rows are independent checks.
source "$(dirname "${BASH_SOURCE[0]}")/gpu/env.sh"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export PROSPARSE_JAVA_OPTS="${PROSPARSE_JAVA_OPTS:--Xmx16g}"   # offloaded state is native memory, not heap
O="${1:-${OUT:-gpu-plan-check-out}}"; mkdir -p "$O"
B="${TMPDIR:-/tmp}/gpu-plan-check"; mkdir -p "$B"
T0=$(date +%s); BUDGET=${BUDGET_S:-520}   # seconds this call may use before it stops starting runs
left() { echo $(( BUDGET - ($(date +%s) - T0) )); }
say() { echo "[$(( $(date +%s) - T0 )) s] $*" | tee -a "$O/progress.txt"; }
: > "$O/progress.txt"; : > "$O/runs.txt"
host_now() { awk '/MemTotal/ {t=$2} /MemAvailable/ {a=$2} END {print t-a}' /proc/meminfo; }
gpu_now() { nvidia-smi -i 0 --query-gpu=memory.used --format=csv,noheader,nounits 2>/dev/null || echo 0; }
sample() { : > "$1"; while true; do echo "$(gpu_now) $(host_now)" >> "$1"; sleep 0.2; done; }   # "gpu_mib host_kib"
settle() { for _ in $(seq 120); do (( $(gpu_now) < 2048 )) && return; sleep 0.5; done; }
stop_run() { pkill -9 -P "$1" 2>/dev/null || true; kill -9 "$1" 2>/dev/null || true; }
ckpt() { # SHAPE -> the checkpoint folder, written when missing (a 7B one from scripts/gpu-7b.sh is reused)
  local d="$B/llama-$1"
  [[ "$1" == 7b && -f "${TMPDIR:-/tmp}/gpu-7b/llama-7b/config.json" ]] && d="${TMPDIR:-/tmp}/gpu-7b/llama-7b"
  [[ -f "$d/config.json" ]] || python3 "$HERE/gpu/write_llama.py" "$d" checkpoints/tiny-llama "$1" >&2 || return 1
  echo "$d"; }

check() { # NAME MODEL BATCH SEQ GRAD_ACCUM RECOMPUTE OFFLOAD STEPS TIMEOUT_S
  local name=$1 model=$2 batch=$3 seq=$4 ga=$5 rc=$6 off=$7 n=$8 to=$9 run="$B/runs/$1"; rm -rf "$run"
  if (( $(left) < to )); then say "$name: skipped (only $(left) s of the budget left, needs up to $to s)"; return; fi
  local sets=(--device cuda --precision fp16-mixed --set model="$model" --set seq_len="$seq" --set batch_size="$batch"
    --set grad_accum="$ga" --set activation_checkpointing="$rc" --set optimizer.offload="$off" --set attention=auto
    --set log_every=1 --set eval.windows=1 --set eval.every=0 --set save.every=0
    --set "stages=[{name: check, steps: 1000, l1_lambda: 0.01, ramp: constant}]" --set final_threshold=null
    --set output_dir="$B/runs")
  settle
  local code=0; pcli train "${sets[@]}" --plan > "$O/$name.plan.txt" 2> "$O/$name.plan.log" || code=$?
  say "$name: batch $batch x $seq x grad_accum $ga, recompute $rc, offload $off: train --plan exit $code"
  grep -E "^(device peak|host peak|training state)" "$O/$name.plan.txt" | sed 's/^/    /' || tail -3 "$O/$name.plan.log"
  echo "$code" > "$O/$name.plan_exit"; echo "$name $batch $seq $ga $rc $off" >> "$O/runs.txt"
  if [[ $code != 0 ]]; then say "$name: not started (the plan says it does not fit)"; return; fi
  host_now > "$O/$name.host_base_kib"
  sample "$O/$name.mem" & local s=$!
  pcli train "${sets[@]}" --run-name "$name" > "$O/$name.log" 2>&1 & local p=$!
  local end=$(( $(date +%s) + to ))
  while kill -0 $p 2>/dev/null; do
    if [[ -f "$run/metrics.jsonl" ]] && grep -q "\"step\":$n," "$run/metrics.jsonl"; then stop_run $p; break; fi
    if (( $(date +%s) > end )); then say "$name: timeout after $to s"; echo timeout > "$O/$name.timeout"; stop_run $p; break; fi
    sleep 0.5
  done
  wait $p 2>/dev/null || true; kill $s 2>/dev/null || true; wait $s 2>/dev/null || true
  grep -E "out of GPU|error|Exception" "$O/$name.log" | head -3 | sed "s/^/    $name: /" || true
}

say "gpu-plan-check on $(nvidia-smi -i 0 --query-gpu=name,memory.total --format=csv,noheader); host $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(nproc) cores"
check tiny-8x256 checkpoints/tiny-llama 8 256 1 false none 4 90
if M1=$(ckpt 1.1b); then
  check 1.1b-4x1024 "$M1" 4 1024 1 false none 4 120
  check 1.1b-2x4096-recompute "$M1" 2 4096 1 true none 3 120
  check 1.1b-1x4096-offload "$M1" 1 4096 1 true cpu 3 150
else
  say "1.1b: writing the checkpoint failed (scripts/gpu/write_llama.py); its runs are left out"
fi
# 7B with offload: about 60 s to load, 30 s per optimizer step, 2 steps; writing its checkpoint about 2 minutes more
need7=210; [[ -f "$B/llama-7b/config.json" || -f "${TMPDIR:-/tmp}/gpu-7b/llama-7b/config.json" ]] || need7=330
if [[ "${SKIP_7B:-0}" != 1 ]] && (( $(left) >= need7 )); then
  if M7=$(ckpt 7b); then check 7b-1x4096-offload "$M7" 1 4096 1 true cpu 2 200
  else say "7b: writing the checkpoint failed (scripts/gpu/write_llama.py); its run is left out"; fi
else
  say "7b-1x4096-offload: skipped (SKIP_7B=1, or $(left) s of the budget left, under the $need7 s it needs)"
fi
python3 "$HERE/gpu/plan_check_table.py" "$O" > "$O/table.txt" || echo "plan_check_table.py failed" > "$O/table.txt"
{ cat "$O/table.txt"; echo; echo "progress:"; cat "$O/progress.txt"; } > "$O/summary.txt"
cat "$O/table.txt"
say "done in $(( $(date +%s) - T0 )) s; summary.txt, plans, logs and samples in $O"
