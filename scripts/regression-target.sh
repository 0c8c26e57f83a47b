#!/usr/bin/env bash
# Target-sparsity regression (docs/target-sparsity.md, docs/results.md): the 1,200-step runs behind the controller, calibration and tiny-90 claims,
# each about 7 minutes on 2 idle cores (calibrate-90 about 3.5 times that: its probes are 2.5 runs; about a minute per
# run on an H200). Much longer on a shared machine. Not part of the default test run.
#
#   scripts/regression-target.sh                 # all three
#   scripts/regression-target.sh tiny-90         # one of: tiny-90 target-85 calibrate-90
#
# tiny-90      configs/train/tiny-90.yaml: final/ (as written, after the FATReLU shift) >= 90% sparsity at
#              perplexity <= 95 on the default 64 x 256 windows, and on 61 windows (other start positions) sparsity
#              within a point of that and still >= 89% at perplexity <= 96.
# target-85    prosparse-tiny's stage table with --target-sparsity 0.85: trained sparsity within +-1 point of 85%.
# calibrate-90 prosparse calibrate --targets 0.9 on prosparse-tiny with its default probes (the recipe's 8 x 256
#              batches, half its 1,200 steps, lambda_S 2,5,10,20,40 with 10 held out: 2.5 runs of compute), then the
#              recipe it writes: trained 88-92%.
#
# On a GPU machine with the kit of ../shared/gpu/stage.sh (no Java there; docs/gpu.md), runs on the first GPU:
#   PROSPARSE_KIT=.carry/gpu scripts/regression-target.sh calibrate-90
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -n "${PROSPARSE_KIT:-}" ]; then
  source scripts/gpu/env.sh      # defines pcli: the kit's JRE and jar, DJL on the installed CUDA torch
  prosparse() { pcli "$@"; }
else
  [ -f target/prosparse.jar ] || mvn -q -B package -DskipTests
  prosparse() { ./prosparse "$@"; }
fi
out="${TMPDIR:-/tmp}/prosparse-regression-target-$$"
mkdir -p "$out"
trap 'rm -rf "$out"' EXIT
export PROSPARSE_THREADS="${PROSPARSE_THREADS:-2}"
ALL="$*"
want() { [ -z "$ALL" ] || [[ " $ALL " == *" $1 "* ]]; }
fail=0

# check RUN_DIR WHICH(trained|final) LO HI MAXPPL LABEL
check() {
  python3 - "$@" <<'PY' || fail=1
import json, sys
run, which, lo, hi, maxppl, label = sys.argv[1], sys.argv[2], *map(float, sys.argv[3:6]), sys.argv[6]
r = json.load(open(run + "/final_report.json"))[which]
ok = lo <= r["zero_fraction"] <= hi and r["perplexity"] <= maxppl
print(f"{label}: {which} ({r['activation']}) sparsity {100*r['zero_fraction']:.2f}% perplexity {r['perplexity']:.2f}"
      f" | {'OK' if ok else 'FAIL'} (want sparsity in [{lo}, {hi}], perplexity <= {maxppl})")
sys.exit(0 if ok else 1)
PY
}

if want tiny-90; then
  echo "== tiny-90"
  prosparse train --config configs/train/tiny-90.yaml --set "output_dir=$out" --run-name tiny-90 >/dev/null
  check "$out/tiny-90" final 0.90 1.00 95 "tiny-90 (64 windows)"
  prosparse report sparsity --model "$out/tiny-90/final" --windows 61 --format json > "$out/w61.json"
  python3 - "$out/tiny-90/final_report.json" "$out/w61.json" <<'PY' || fail=1
import json, sys
a = json.load(open(sys.argv[1]))["final"]
def find(o):
    if isinstance(o, dict):
        if "zero_fraction" in o and "perplexity" in o and "windows" in o:
            return o
        for v in o.values():
            r = find(v)
            if r: return r
    if isinstance(o, list):
        for v in o:
            r = find(v)
            if r: return r
b = find(json.load(open(sys.argv[2])))
d = abs(a["zero_fraction"] - b["zero_fraction"])
ok = d <= 0.01 and b["zero_fraction"] >= 0.89 and b["perplexity"] <= 96
print(f"tiny-90 (61 windows): sparsity {100*b['zero_fraction']:.2f}% perplexity {b['perplexity']:.2f}"
      f" (64 windows: {100*a['zero_fraction']:.2f}% / {a['perplexity']:.2f}) | {'OK' if ok else 'FAIL'}")
sys.exit(0 if ok else 1)
PY
fi

if want target-85; then
  echo "== target-85"
  prosparse train --config configs/train/prosparse-tiny.yaml --target-sparsity 0.85 --set "output_dir=$out" \
    --run-name target-85 >/dev/null
  check "$out/target-85" trained 0.84 0.86 1000 "prosparse-tiny --target-sparsity 0.85"
  check "$out/target-85" final 0 1 1000 "prosparse-tiny --target-sparsity 0.85 (for information)"
fi

if want calibrate-90; then
  echo "== calibrate-90"
  prosparse calibrate --model checkpoints/tiny-llama --targets 0.9 --config configs/train/prosparse-tiny.yaml \
    --out "$out/cal"
  recipe=$(ls "$out"/cal/*-s90.yaml)
  grep -m1 '^# Calibrated' "$recipe"
  prosparse train --config "$recipe" --set "output_dir=$out" --run-name calibrated-90 >/dev/null
  check "$out/calibrated-90" trained 0.88 0.92 1000 "calibrated λ_S for 90%"
  check "$out/calibrated-90" final 0 1 1000 "calibrated λ_S for 90% (for information)"
fi
exit $fail
