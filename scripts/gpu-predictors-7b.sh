#!/usr/bin/env bash
# predictors train timed at the LLaMA-2-7B shape on a GPU (docs/powerinfer.md, "Predictors on the GPU"). On the GPU
# machine, from the project root:
#   PROSPARSE_KIT=.carry/gpu bash scripts/gpu-predictors-7b.sh [OUT_DIR]
# The same script as a dry run on a CPU box (a tiny shape, the local ./prosparse when there is no kit; build it first):
#   P7B_SHAPE=tiny DEVICE=cpu bash scripts/gpu-predictors-7b.sh [OUT_DIR]
# 1. writes a random-init ReLU checkpoint of the shape in float16 under $TMPDIR (scripts/gpu/write_llama.py 7b relu;
#    the tiny dry run: the bundled tiny-llama converted to ReLU by prosparse itself; kept for a later call), 2. runs
#      prosparse predictors train --device $DEVICE --max-layers L --samples N --epochs E --rank R --seq-len 1024
#    (a timing run: the first L layers, nothing written) while sampling GPU memory (nvidia-smi) and host memory
#    (MemTotal - MemAvailable, above the level before the run) every 0.5 s, 3. prints the summary (OUT_DIR/summary.txt):
#    status, device, layers done, minutes per layer (collect vs train), the extrapolation to every layer (and to 400k
#    positions, PowerInfer's figure, linearly), peak GPU and host memory, and the estimate printed before the work next
#    to what it took. Logs beside it. It stops the run at its time budget (P7B_BUDGET_S, default 510 s for the whole
#    call) and still summarises the layers done by then.
# Knobs: P7B_SHAPE (7b | tiny), DEVICE (cuda | cpu | cuda:N), P7B_LAYERS, P7B_SAMPLES, P7B_EPOCHS, P7B_RANK,
#   P7B_PAIRS_DTYPE (auto | float16 | float32), P7B_BUDGET_S, PROSPARSE_JAVA_OPTS.
# Defaults at 7b: 3 layers, 131,072 positions, 10 epochs, rank 1024, pairs float16, JVM -Xmx48g. Measured on an H100
# (docs/powerinfer.md): checkpoint 19 s, loading 28 s, a layer 0.55 min; 141 s for the command. The estimate
# printed before the work: 4.51e14 FLOP, about 0.3 min for 3 layers; host 6.34 GiB, GPU 29.45 GiB.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SHAPE="${P7B_SHAPE:-7b}"; DEVICE="${DEVICE:-cuda}"
case "$SHAPE" in
  7b)   dl=3; dn=131072; de=10; dr=1024; dopts="-Xmx48g -XX:MaxDirectMemorySize=16g" ;;
  tiny) dl=2; dn=20480;  de=2;  dr=64;   dopts="-Xmx4g" ;;
  *) echo "gpu-predictors-7b.sh: P7B_SHAPE=$SHAPE: use 7b or tiny (for example P7B_SHAPE=tiny DEVICE=cpu)" >&2; exit 2 ;;
esac
O="${1:-${OUT:-gpu-predictors-7b-out}}"; mkdir -p "$O"; O="$(cd "$O" && pwd)"
cd "$HERE/.."                                   # the project root: the kit, checkpoints/tiny-llama, ./prosparse
L="${P7B_LAYERS:-$dl}"; N="${P7B_SAMPLES:-$dn}"; E="${P7B_EPOCHS:-$de}"; R="${P7B_RANK:-$dr}"
PD="${P7B_PAIRS_DTYPE:-float16}"; BUDGET="${P7B_BUDGET_S:-510}"
export PROSPARSE_JAVA_OPTS="${PROSPARSE_JAVA_OPTS:-$dopts}"
# the CLI: the GPU kit's (scripts/gpu/env.sh, which needs python torch) when there is one, else this checkout's
# ./prosparse on the CPU (a dry run; mvn -q package -DskipTests first)
if [[ -d "${PROSPARSE_KIT:-.carry/gpu}" ]] && python3 -c 'import torch' 2>/dev/null; then
  source "$HERE/gpu/env.sh"
elif [[ "$DEVICE" == cpu && -f "$HERE/../target/prosparse.jar" ]]; then
  pcli() { "$HERE/../prosparse" "$@"; }
else
  echo "gpu-predictors-7b.sh: no GPU kit at ${PROSPARSE_KIT:-.carry/gpu} with python torch beside it (PROSPARSE_KIT;" \
    "../shared/gpu/stage.sh makes the kit), and no local build for DEVICE=cpu (mvn -q package -DskipTests)" >&2; exit 2
fi
B="${TMPDIR:-/tmp}/gpu-predictors-7b"; mkdir -p "$B"
M="$B/llama2-$SHAPE-relu"
T0=$(date +%s)
: > "$O/progress.txt"; rm -f "$O/results.txt" "$O/summary.txt"
say() { echo "[$(( $(date +%s) - T0 )) s] $*" | tee -a "$O/progress.txt"; }
# summary.txt: the results first, then the progress lines; stdout ends with the results
finish() { { cat "$O/results.txt" 2>/dev/null || true; echo; echo "progress:"; cat "$O/progress.txt"; } > "$O/summary.txt"; }
trap finish EXIT
GPU=0; command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi >/dev/null 2>&1 && GPU=1
host_kib() { awk '/MemTotal/ {t=$2} /MemAvailable/ {a=$2} END {print t-a}' /proc/meminfo; }
gpu_mib() { if (( GPU )); then nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits 2>/dev/null | head -1; else echo 0; fi; }
machine="$( (( GPU )) && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | head -1 || echo "no GPU")"
say "gpu-predictors-7b: shape $SHAPE, --device $DEVICE on $machine; host $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(nproc) cores; budget $BUDGET s"

# 1. the checkpoint (written whole or not at all: the writer renames its folder at the end)
rm -rf "$M.partial"                             # a write cut off earlier (the writer would remove it too)
need_gb=$([[ "$SHAPE" == 7b ]] && echo 15 || echo 1); free_gb=$(( $(df -Pk "$B" | awk 'NR==2 {print $4}') / 1048576 ))
if [[ -f "$M/config.json" ]]; then
  say "checkpoint: $M (already there)"
elif (( free_gb < need_gb )); then
  say "FAILED: $B has $free_gb GB free, the $SHAPE checkpoint needs about $need_gb GB; free some or set TMPDIR"; exit 1
elif ! if [[ "$SHAPE" == tiny ]]; then pcli convert --model checkpoints/tiny-llama --act relu --out "$M"
       else python3 "$HERE/gpu/write_llama.py" "$M" checkpoints/tiny-llama 7b relu; fi > "$O/write.log" 2>&1; then
  say "FAILED: writing the checkpoint (write.log):"; tail -5 "$O/write.log" | tee -a "$O/progress.txt"; exit 1
else
  say "checkpoint: $(tail -1 "$O/write.log")"
fi
say "checkpoint size: $(du -sh "$M" 2>/dev/null | cut -f1)"

# 2. the timing run, stopped at the budget (the JVM is the backgrounded pcli's child)
left=$(( BUDGET - ($(date +%s) - T0) - 20 ))
if (( left < 60 )); then say "FAILED: only $left s of the budget left after writing the checkpoint; run again (it is kept)"; exit 1; fi
base_kib=$(host_kib); base_mib=$(gpu_mib)
: > "$O/mem.samples"
( while true; do echo "$(gpu_mib) $(host_kib)" >> "$O/mem.samples"; sleep 0.5; done ) & S=$!
CMD=(predictors train --model "$M" --device "$DEVICE" --pairs-dtype "$PD" --rank "$R" --max-layers "$L" --samples "$N"
     --epochs "$E" --seq-len 1024 --data embedded:train)
say "running (timeout $left s): prosparse ${CMD[*]}  [JVM: $PROSPARSE_JAVA_OPTS]"
t1=$(date +%s)
pcli "${CMD[@]}" > "$O/predictors.log" 2>&1 & P=$!
status=ok; end=$(( t1 + left ))
while kill -0 $P 2>/dev/null; do
  if (( $(date +%s) > end )); then status="stopped at the budget ($left s)"; pkill -9 -P $P 2>/dev/null || true; kill -9 $P 2>/dev/null || true; break; fi
  sleep 1
done
rc=0; wait $P 2>/dev/null || rc=$?
[[ "$status" == ok && $rc -ne 0 ]] && status="FAILED (exit $rc)"
kill $S 2>/dev/null || true; wait $S 2>/dev/null || true
wall=$(( $(date +%s) - t1 ))

# 3. the summary, from the log's per-layer lines (so a run stopped at the budget still reports its finished layers)
python3 - "$O/predictors.log" "$O/mem.samples" "$status" "$wall" "$N" "$L" "$base_mib" "$base_kib" "$machine" "$M/config.json" \
  <<'PY' | tee "$O/results.txt"
import json, re, sys
log_path, mem_path, status, wall, n, want, base_mib, base_kib, machine, config = sys.argv[1:]
log = open(log_path, errors="replace").read()
n, want, wall = int(n), int(want), int(wall)
def grab(pat, default=None):
    m = re.search(pat, log)
    return m.group(1) if m else default
layers = [(int(a), int(b), float(c), float(d)) for a, b, c, d in
          re.findall(r"layer (\d+)/(\d+): collected in ([0-9.]+) s, trained in ([0-9.]+) s", log)]
all_layers = json.load(open(config))["num_hidden_layers"]
print(f"STATUS: {status}; {len(layers)} of {want} layers done in {wall} s (whole command: JVM start, tokenizing, loading, layers)")
print(f"device: {grab(r'Device: (.*)', '?')}  [{machine}]")
tok, load = grab(r"Tokenized in ([0-9.]+) s", "?"), grab(r"Loaded the weights as float32 on \S+ in ([0-9.]+) s", "?")
print(f"tokenized in {tok} s; weights loaded in {load} s")
for i, _, c, t in layers:
    print(f"layer {i - 1}: collect {c:.1f} s + train {t:.1f} s = {(c + t) / 60:.2f} min")
if layers:
    rest = layers[1:] or layers                     # the first layer also warms the engine up
    pc = sum(c for _, _, c, _ in rest) / len(rest); pt = sum(t for _, _, _, t in rest) / len(rest)
    first = layers[0][2] + layers[0][3]
    total = first + (pc + pt) * (all_layers - 1)
    print(f"per layer{' (after the first)' if len(layers) > 1 else ''}: {(pc + pt) / 60:.2f} min = collect {pc / 60:.2f}"
          f" + train {pt / 60:.2f}; extrapolated to all {all_layers} layers: {total / 60:.1f} min (+ loading and tokenizing once)")
    s = 400_000 / n                                   # linear in positions: an assumption, said so
    print(f"at 400,000 positions (PowerInfer's figure; linear in positions, an assumption): {(pc + pt) * s / 60:.2f} min per"
          f" layer, {total * s / 60:.1f} min for {all_layers} layers")
samples = [l.split() for l in open(mem_path) if len(l.split()) == 2]
if samples:
    g = max(int(a) for a, _ in samples if a.isdigit()) if any(a.isdigit() for a, _ in samples) else 0
    h = max(int(b) for _, b in samples if b.isdigit())
    print(f"peak GPU memory (nvidia-smi, every 0.5 s): {g / 1024:.2f} GiB ({(g - int(base_mib)) / 1024:.2f} GiB above the"
          f" level before the run)" if g > 0 else "peak GPU memory: n/a (no nvidia-smi)")
    print(f"peak host memory (MemTotal - MemAvailable, every 0.5 s): {(h - int(base_kib)) / 1048576:.2f} GiB above the level"
          f" before the run")
for pat in (r"(peak GPU memory in use \(sampled\): .*)", r"(peak host memory of this process \(VmHWM\): .*)"):
    line = grab(pat)
    if line:
        print(f"  prosparse says: {line}")
est = grab(r"(Estimate: .*)")
print(f"estimate printed before the work: {est.split('Estimate: ')[1] if est else 'not printed'}")
took = grab(r"(estimate before the work: .*)")
if took:
    print(f"  prosparse says: {took}")
elif layers:
    print(f"  the {len(layers)} layers done took {sum(c + t for _, _, c, t in layers) / 60:.1f} min")
errors = [l for l in log.splitlines() if re.search(r"ERROR|Exception|error:|terminate called|Killed|OutOfMemory", l)]
if errors or not status.startswith("ok"):
    print("last lines of predictors.log:")
    for l in (errors[-3:] or log.splitlines()[-8:]):
        print("  " + l[:300])
PY
[[ "$status" == ok ]]
