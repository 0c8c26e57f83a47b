#!/usr/bin/env bash
# predictors train on the GPU at the LLaMA-2-7B shape, run ON a GPU machine from the project root:
#   PROSPARSE_KIT=.carry/gpu bash scripts/gpu-predictors-7b.sh [OUT_DIR]
# Writes a random-init LLaMA-2-7B-shaped ReLU checkpoint (transformers, bf16, ~13 GB under $TMPDIR), then runs
#   prosparse predictors train --device cuda --max-layers L --samples N --epochs E --rank 1024
# a timing run over the first L layers (default 2) of N positions (default 131,072) and E epochs (default 10): it prints
# the estimate, seconds per layer, the extrapolation to all 32 layers and the sampled peak GPU memory (nvidia-smi every
# 0.2 s, as scripts/bench-gpu.sh does). PowerInfer's predictors use ~400k positions: the summary scales the per-layer
# time linearly in positions to that figure and says so. Knobs: P7B_LAYERS, P7B_SAMPLES, P7B_EPOCHS. Budget: < 8 min
# (checkpoint ~2 min, JVM load of 13 GB ~1-2 min, 2 layers ~1-2 min each at the defaults).
source "$(dirname "${BASH_SOURCE[0]}")/gpu/env.sh"
O="${1:-${OUT:-gpu-predictors-7b-out}}"; mkdir -p "$O"
B="${TMPDIR:-/tmp}/gpu-predictors-7b"; mkdir -p "$B"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
M="$B/llama2-7b-relu"
L="${P7B_LAYERS:-2}"; N="${P7B_SAMPLES:-131072}"; E="${P7B_EPOCHS:-10}"
t0=$(date +%s)
[[ -f "$M/config.json" ]] || python3 "$HERE/gpu/write_llama2_7b_relu.py" "$M" checkpoints/tiny-llama | tee "$O/write.log"
echo "checkpoint ready in $(( $(date +%s) - t0 )) s"
: > "$B/mem"; ( while true; do nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits | head -1 >> "$B/mem"; sleep 0.2; done ) & S=$!
t1=$(date +%s)
PROSPARSE_JAVA_OPTS="${PROSPARSE_JAVA_OPTS:--Xmx96g}" pcli predictors train --model "$M" --device cuda --rank 1024 \
  --max-layers "$L" --samples "$N" --epochs "$E" --seq-len 1024 --data embedded:train 2>&1 | tee "$O/predictors.log" || true
kill $S 2>/dev/null || true; wait $S 2>/dev/null || true
wall=$(( $(date +%s) - t1 ))
peak=$(sort -n "$B/mem" | tail -1)
gpu=$(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | head -1)
{
  echo "machine: $gpu"
  echo "command: predictors train --device cuda --rank 1024 --max-layers $L --samples $N --epochs $E --seq-len 1024 (LLaMA-2-7B shape, random ReLU weights)"
  grep -E "^layer [0-9]+:|timing run|peak GPU|Estimate" "$O/predictors.log" | sed 's/^[0-9:]* INFO  //'
  echo "nvidia-smi peak used memory during the run: ${peak} MiB; whole command (JVM start, loading 13 GB, ${L} layers): ${wall} s"
  python3 - "$O/predictors.log" "$N" <<'PY'
import re, sys
log, n = open(sys.argv[1]).read(), int(sys.argv[2])
m = re.search(r"([0-9.]+) min per layer", log)
if m:
    per = float(m.group(1))
    print(f"extrapolated (linear in positions, an assumption): 400,000 positions -> {per * 400000 / n:.1f} min per layer,"
          f" {32 * per * 400000 / n:.0f} min for 32 layers, at {sys.argv[2]} positions' epochs")
PY
} | tee "$O/summary.txt"
