#!/usr/bin/env bash
# Optimizer offload on a GPU (docs/gpu.md, "Optimizer offload"), run ON a GPU machine from the project root:
#   PROSPARSE_KIT=.carry/gpu bash scripts/gpu-offload-check.sh [OUT_DIR]
# 1. the demo recipe on tiny-llama, 40 steps, fp16-mixed on cuda: optimizer.offload=cpu against the on-device fused
#    step. Step 1's loss must be equal (1e-6 relative: nothing has been updated yet); the later losses within 2 %
#    (the one-pass host AdamW rounds like libtorch to float32 and float16 copies amplify last-bit differences);
#    the evaluation perplexity at the end within 1 %. With phase_timing: the offload run's cast phase must be ~0 after
#    step 1 (the update writes the next step's float16 copies).
# 2. offload resume: the same run stopped after step 20 and resumed follows the uninterrupted one within 1e-6.
# 3. the host update benchmark (scripts/bench-offload-update.sh) at OFFLOAD_BENCH_PARAMS (default 2 G parameters,
#    about 31 GiB of host memory; 0 skips it).
# About 4 minutes on an H100 host. Prints a summary last; logs in OUT_DIR (default $OUT or ./gpu-offload-check-out).
source "$(dirname "${BASH_SOURCE[0]}")/gpu/env.sh"
O="${1:-${OUT:-gpu-offload-check-out}}"; mkdir -p "$O"
R="${TMPDIR:-/tmp}/gpu-offload-runs"; rm -rf "$R"; mkdir -p "$R"
SUM="$O/gpu-offload-summary.txt"; : > "$SUM"
say() { echo "$*" | tee -a "$SUM"; }
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | sed 's/^/gpu: /' | tee -a "$SUM"
say "host: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-)"
RUN=(--device cuda --precision fp16-mixed --set output_dir="$R" --set log_every=1 --set phase_timing=true
     --set eval.windows=16 --set save.every=0 --set final_threshold=null
     --set "stages=[{name: a, steps: 20, l1_lambda: 0.0, ramp: constant}, {name: b, steps: 20, l1_lambda: 0.25, ramp: constant}]")
for k in fused offload; do
  extra=(--set optimizer.kernel=fused); [[ $k == offload ]] && extra=(--set optimizer.offload=cpu)
  pcli train "${RUN[@]}" "${extra[@]}" --run-name "$k" > "$O/$k.log" 2>&1 || say "  FAIL: train $k exited $?"
done
PROSPARSE_JAVA_OPTS="-Xmx32g -Dprosparse.stopAfterStep=20" pcli train "${RUN[@]}" --set optimizer.offload=cpu --run-name cut \
  > "$O/cut.log" 2>&1 || true
pcli train --resume "$R/cut" > "$O/cut-resume.log" 2>&1 || say "  FAIL: resume exited $?"
python3 - "$R" "$O/offload.log" <<'PY' | tee -a "$SUM" || true
import json, re, sys
def lines(run): return [json.loads(l) for l in open(f"{sys.argv[1]}/{run}/metrics.jsonl")]
def losses(run): return {l["step"]: l["loss"] for l in lines(run) if l["type"] == "train"}
def ppl(run): return [l for l in lines(run) if l["type"] == "eval"][-1]["perplexity"]
f, o, c = losses("fused"), losses("offload"), losses("cut")
first = abs(o[1] - f[1]) / abs(f[1])
worst = max(abs(o[s] - f[s]) / abs(f[s]) for s in f)
dp = abs(ppl("offload") / ppl("fused") - 1)
ok = len(o) == len(f) == 40 and first <= 1e-6 and worst <= 0.02 and dp <= 0.01
print(f"offload vs fused: 40 steps, step-1 loss {first:.1e} (≤ 1e-6), worst loss {worst:.2e} (≤ 2e-2), "
      f"perplexity {ppl('offload'):.3f} vs {ppl('fused'):.3f} ({100*dp:.2f}% ≤ 1%): {'OFFLOAD OK' if ok else 'OFFLOAD FAILED'}")
r = max(abs(c[s] - o[s]) / abs(o[s]) for s in o) if len(c) == len(o) else float("inf")
print(f"offload resume after step 20: worst relative loss difference {r:.2e} (≤ 1e-6): {'RESUME OK' if r <= 1e-6 else 'RESUME FAILED'}")
tables = [l for l in open(sys.argv[2]) if "cast" in l]
print("offload phase lines (cast should be ~0 ms after the first step):")
for l in tables[-3:]: print("  " + l.strip()[-200:])
PY
P="${OFFLOAD_BENCH_PARAMS:-2147483648}"
if [[ "$P" != 0 ]]; then
  say "== host update benchmark, $P parameters"
  OUT="$O" bash "$(dirname "${BASH_SOURCE[0]}")/bench-offload-update.sh" "$P" 0 3 | tail -4 | tee -a "$SUM" || say "  FAIL: bench"
fi
echo; echo "==== summary"; cat "$SUM"
