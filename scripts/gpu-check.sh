#!/usr/bin/env bash
# GPU correctness checks (docs/gpu.md), run ON a GPU machine from the project root (CI has no GPU):
#   PROSPARSE_KIT=.carry/gpu GOLDEN_DIR=../shared/fixtures/golden bash scripts/gpu-check.sh [OUT_DIR]
# 1. `prosparse doctor`; the GPU bad inputs of docs/bad-inputs.md (cuda:N past the GPUs, bf16, persistent fp16 overflow → exit 6)
# 2. fp32 on the GPU: the fixtures' golden logits/loss/L1/zeros/gradient norms (GoldenCheck) and the fixtures README
#    table (report sparsity on the default 64 × 256 windows) within their tolerances
# 3. prosparse-tiny in fp32 and in fp16-mixed: final sparsity within 2 points and perplexity within 5 %
# 4. resume on the GPU: a run stopped after step 60 and resumed follows the uninterrupted loss curve within 1e-6
# Prints a summary table last; logs in OUT_DIR (default $OUT or ./gpu-check-out).
source "$(dirname "${BASH_SOURCE[0]}")/gpu/env.sh"
O="${1:-${OUT:-gpu-check-out}}"; mkdir -p "$O"
R="${TMPDIR:-/tmp}/gpu-check-runs"; rm -rf "$R"; mkdir -p "$R"
G="${GOLDEN_DIR:-../shared/fixtures/golden}"
SUM="$O/gpu-check-summary.txt"; : > "$SUM"
PARTS=" ${GPU_CHECK_PARTS:-bad golden table tiny resume charts sdpa} "   # a subset, e.g. GPU_CHECK_PARTS="tiny resume"
part() { [[ "$PARTS" == *" $1 "* ]]; }
say() { echo "$*" | tee -a "$SUM"; }
expect() { # expect EXIT_CODE LABEL CMD... : the command must exit with EXIT_CODE; its last stderr line is shown
  local want="$1" label="$2"; shift 2; local rc=0
  "$@" > "$R/expect.out" 2> "$R/expect.err" || rc=$?
  say "bad input [$label]: exit $rc (want $want): $(grep -v ' INFO ' "$R/expect.err" | tail -1)"
  [[ "$rc" == "$want" ]] || say "  FAIL: exit $rc"
}
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | sed 's/^/gpu: /' | tee -a "$SUM"
pcli doctor 2>&1 | grep -v ' INFO ' | tee "$O/doctor.txt"

if part bad; then
say "== bad inputs"
expect 2 "device past the GPUs" pcli train --device cuda:3 --set output_dir="$R/bad"
expect 2 "bf16" pcli train --precision bf16 --set output_dir="$R/bad"
expect 6 "fp16 overflow every step (lr 1e4)" pcli train --device cuda --precision fp16-mixed --set output_dir="$R/bad" \
  --set optimizer.lr=1e4 --set schedule.warmup_steps=0 --set save.every=1 --set eval.windows=2 --run-name overflow
expect 5 "out of GPU memory" pcli train --device cuda --set output_dir="$R/bad" --set batch_size=4096 --set seq_len=1024 \
  --set eval.windows=2 --run-name oom

fi
if part golden; then
say "== fp32 golden checks on the GPU"
pjava dev.prosparse.device.GoldenCheck cuda "$G" checkpoints/tiny-llama checkpoints/tiny-minicpm 2>&1 | grep -v ' INFO ' \
  | tee "$O/golden.txt" | tee -a "$SUM" >/dev/null || true
tail -1 "$O/golden.txt"

fi
if part table; then
say "== fixtures README table (64 windows x 256 of the validation text) on the GPU"
for a in "--act silu" "--act relu" "--act fatrelu --threshold 0.01"; do
  pcli report sparsity --device cuda --model checkpoints/tiny-llama --compare checkpoints/tiny-minicpm $a --format json \
    > "$R/table-$(echo $a | tr -d ' -').json" 2>> "$O/table.log"
done
python3 - "$R" <<'PY' | tee -a "$SUM" || true
import json, glob, sys, os
want = {("tiny-llama","silu"):(81.739,0), ("tiny-llama","relu"):(120.209,0.6072), ("tiny-llama","fatrelu"):(120.209,0.6150),
        ("tiny-minicpm","silu"):(84.733,0), ("tiny-minicpm","relu"):(106.113,0.7422), ("tiny-minicpm","fatrelu"):(106.112,0.7442)}
ok = True
for f in sorted(glob.glob(sys.argv[1] + "/table-*.json")):
    d = json.load(open(f))
    for r in (d["reports"] if isinstance(d, dict) and "reports" in d else d if isinstance(d, list) else [d]):
        m = r["label"].split()[0]; a = r["activation"]
        p, z = r["perplexity"], r["zero_fraction"]
        wp, wz = want[(m, a)]
        good = abs(p - wp) <= max(1e-4 * wp, 5e-4) + 5e-4 and abs(z - wz) <= 5e-5 + 1e-6
        ok &= good
        print(f"table {m:13s} {a:8s} perplexity {p:9.3f} (README {wp:8.3f})  zero fraction {z:.5f} (README {wz:.4f})  {'ok' if good else 'FAIL'}")
print("TABLE OK" if ok else "TABLE FAILED")
PY

fi
if part tiny; then
say "== prosparse-tiny: fp32 vs fp16-mixed on the GPU (full recipe, 1200 steps)"
for p in fp32 fp16-mixed; do
  t0=$SECONDS
  pcli train --config configs/train/prosparse-tiny.yaml --device cuda --precision $p \
    --set output_dir="$R/runs" --run-name tiny-$p > "$O/tiny-$p.log" 2>&1 || say "  FAIL: train $p exited $?"
  say "  $p: $((SECONDS - t0)) s wall (JVM start, tokenizing and evaluations included)"
done
python3 - "$R/runs" <<'PY' | tee -a "$SUM" || true
import json, sys
r = {p: json.load(open(f"{sys.argv[1]}/tiny-{p}/final_report.json"))["trained"] for p in ("fp32", "fp16-mixed")}
tps = {}
for p in r:
    lines = [json.loads(l) for l in open(f"{sys.argv[1]}/tiny-{p}/metrics.jsonl")]
    tr = [l for l in lines if l["type"] == "train"]
    tps[p] = tr[-1]["tokens_per_s"]; last = tr[-1]
    extra = f"  loss_scale {last.get('loss_scale')} skipped_steps {last.get('skipped_steps')}" if "loss_scale" in last else ""
    print(f"tiny {p:10s} perplexity {r[p]['perplexity']:8.3f}  sparsity {100*r[p]['zero_fraction']:6.2f}%  {tps[p]} tokens/s  peak {last.get('gpu_memory_peak_bytes',0)/2**30:.2f} GiB{extra}")
dz = 100 * abs(r["fp16-mixed"]["zero_fraction"] - r["fp32"]["zero_fraction"])
dp = abs(r["fp16-mixed"]["perplexity"] / r["fp32"]["perplexity"] - 1)
print(f"fp16-mixed vs fp32: sparsity {dz:.2f} points (≤ 2), perplexity {100*dp:.2f}% (≤ 5%): {'FP16 OK' if dz <= 2 and dp <= 0.05 else 'FP16 FAILED'}")
PY

fi
if part resume; then
say "== resume on the GPU (demo recipe, 120 steps, stopped after step 60, fp32)"
RS=(--device cuda --set output_dir="$R/resume" --set log_every=1 --stages 2 --set stages.1.steps=102)
pcli train "${RS[@]}" --run-name whole > "$O/resume-whole.log" 2>&1 || say "  FAIL: whole run exited $?"
PROSPARSE_JAVA_OPTS="-Xmx32g -Dprosparse.stopAfterStep=60" pcli train "${RS[@]}" --run-name cut > "$O/resume-cut.log" 2>&1 || true
pcli train --resume "$R/resume/cut" > "$O/resume-rest.log" 2>&1 || say "  FAIL: resume exited $?"
python3 - "$R/resume" <<'PY' | tee -a "$SUM" || true
import json, sys
def losses(run):
    return {l["step"]: l["loss"] for l in map(json.loads, open(f"{sys.argv[1]}/{run}/metrics.jsonl")) if l["type"] == "train"}
a, b = losses("whole"), losses("cut")
worst = max(abs(b[s] - a[s]) / abs(a[s]) for s in a)
print(f"resume: {len(a)} steps compared, worst relative loss difference {worst:.2e} (≤ 1e-6): {'RESUME OK' if worst <= 1e-6 and len(a) == len(b) else 'RESUME FAILED'}")
PY
fi
if part charts; then
say "== charts on this machine (no system fonts needed: the shipped DejaVu Sans)"
pcli report sparsity --device cuda --model checkpoints/tiny-llama --act relu --out "$O/charts" > "$R/charts.out" 2> "$R/charts.err" \
  || say "  FAIL: report sparsity --out exited $?: $(grep -v ' INFO ' "$R/charts.err" | tail -1)"
say "  $(ls "$O/charts" 2>/dev/null | tr '\n' ' ')"
python3 - "$O/charts/sparsity-layers.png" <<'PY' | tee -a "$SUM" || true
import sys
from PIL import Image
im = Image.open(sys.argv[1]).convert("RGB"); w, h = im.size
dark = sum(1 for x in range(w) for y in range(40) if sum(im.getpixel((x, y))) < 200)
print(f"  sparsity-layers.png {w}x{h}, {dark} dark pixels in the title band: {'CHARTS OK' if dark > 100 else 'CHARTS FAILED'}")
PY
fi
if part sdpa; then
say "== fused attention through DJL: a TorchScript module calling scaled_dot_product_attention, run by PtSymbolBlock"
pjava dev.prosparse.device.SdpaProbe 4 32 1024 64 2>&1 | grep -v ' INFO ' | tail -8 | tee -a "$SUM" || say "  FAIL: SdpaProbe"
fi
echo; echo "==== summary"; cat "$SUM"
