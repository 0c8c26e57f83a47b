#!/usr/bin/env bash
# PowerInfer's own decode speed at the LLaMA-2-7B shape: its sparse path (our PWRI export with predictors) against the
# dense GGUF of the same weights, same build, same threads, on this CPU (docs/powerinfer-speed.md).
#   1. a copy of the CLI (target/prosparse.jar + target/lib, built once) in $DATA/jar, so other work on the tree does
#      not disturb the run;
#   2. scripts/sparse-relu-checkpoint.py: a 7B-shaped ReLU checkpoint (F16, random weights, FFN ~90 % sparse through
#      a constant bias channel and a low-rank gate_proj) and exact constructed predictors (rank 1024), with their
#      measured held-out sparsity / recall in predictors.json;
#   3. prosparse export gguf: the PowerInfer export (--predictors, magic PWRI) and the dense GGUF (--force: the
#      llama architecture computes SiLU, which costs the same as ReLU; the dense file is only timed);
#   4. PowerInfer built CPU-only (-j2, nice) at POWERINFER_SRC (a checkout of SJTU-IPADS/PowerInfer, checked at d3ebd7c);
#   5. timing: PowerInfer's `main`, greedy, a fixed prompt, N_TOKENS decoded tokens (--ignore-eos), THREADS threads;
#      one warm-up run of each file, then REPS rounds of dense, sparse (interleaved, so load falls on both alike);
#      each run prints its decode tokens/s ("eval time" of llama_print_timings), the load average before it, the
#      process CPU time, the major page faults (reads from disk, the load's
#      MAP_POPULATE included) and the peak RSS.
# usage: POWERINFER_SRC=DIR scripts/bench-powerinfer-7b.sh DATA_DIR   (DATA_DIR: ~45 GB free, never inside the repository)
# Environment: POWERINFER_SRC (required: a PowerInfer source checkout; built CPU-only in it if needed), THREADS (2), N_TOKENS (32), REPS (2), NICE (19),
#   WARMUP (1; 0 skips the warm-up runs when a previous call just ran: more rounds in less time), PRESET (llama2-7b;
#   tiny for a one-minute rehearsal of the whole recipe), KEEP_CHECKPOINT (0: the HF checkpoint is deleted after both
#   exports). Take the figure on a quiet box: with load ≥ 5 the rounds swing both ways (see the doc).
# Measured at 7B on this shared 2-core / 24 GiB box under nice 19 (docs/powerinfer-speed.md): checkpoint + predictors
# 24 min (load ~20; 13.5 GB + 2 GB), both exports at once 6.5 min (14.5 and 13.5 GB; peak RSS 3.8 and 1.6 GB: the
# exporter holds one weight at a time plus the predictors, -Xmx6g), PowerInfer build ~5 min, one round of timing ~1 min
# on a quiet box and up to ~6 min on a loaded one (each run loads its file from disk: both do not fit the page cache).
# Disk: ~44 GB at the peak (checkpoint, predictors, two GGUFs), ~30 GB after the checkpoint is deleted.
# Memory: the engine maps one 13.5–14.5 GB file at a time (runs are sequential); python ~3 GB; java ≤ 6 GB each.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ $# -lt 1 ] || [ -z "${POWERINFER_SRC:-}" ]; then
  echo "usage: POWERINFER_SRC=DIR $0 DATA_DIR   (a PowerInfer source checkout; a data folder outside the repository)" >&2
  exit 2
fi
data="$1"
src="$POWERINFER_SRC"
threads="${THREADS:-2}"
ntok="${N_TOKENS:-32}"
reps="${REPS:-2}"
nicen="${NICE:-19}"
preset="${PRESET:-llama2-7b}"
case "$(cd "$(dirname "$data")" 2>/dev/null && pwd)/" in "$here"/*) echo "error: DATA_DIR must be outside the repository" >&2; exit 2;; esac
mkdir -p "$data"
data="$(cd "$data" && pwd)"
model="$data/relu-$preset"
preds="$data/relu-$preset-predictors"
sparse="$data/relu-$preset.powerinfer.gguf"
dense="$data/relu-$preset.dense.gguf"
log="$data/bench-powerinfer.log"
say() { echo "== $(date -u +%H:%M:%S) $*" | tee -a "$log"; }
load() { cut -d' ' -f1-3 /proc/loadavg; }
say "bench-powerinfer-7b: preset $preset, data $data, $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, load $(load)"

# 1. a private copy of the CLI
if [ ! -f "$data/jar/target/prosparse.jar" ]; then
  say "building the CLI (mvn package) and copying it to $data/jar"
  (cd "$here" && nice -n "$nicen" mvn -B -ntp -q package -DskipTests)
  rm -rf "$data/jar" && mkdir -p "$data/jar/target"
  cp -r "$here/target/prosparse.jar" "$here/target/lib" "$data/jar/target/"
  cp "$here/prosparse" "$data/jar/"
fi
cli=(env PROSPARSE_JAVA_OPTS="${PROSPARSE_JAVA_OPTS:--Xmx6g}" nice -n "$nicen" "$data/jar/prosparse")

# 2. checkpoint and predictors
if { [ ! -f "$sparse" ] || [ ! -f "$dense" ]; } && { [ ! -f "$preds/model.safetensors" ] || [ ! -f "$model/config.json" ]; }; then
  rm -rf "$model" "$preds"
  say "writing the checkpoint and predictors (scripts/sparse-relu-checkpoint.py --preset $preset)"
  extra=""; [ "$preset" = tiny ] && extra="--rank 64"
  OPENBLAS_NUM_THREADS=2 nice -n "$nicen" python3 "$here/scripts/sparse-relu-checkpoint.py" "$model" "$preds" --preset "$preset" $extra 2>&1 | tee -a "$log"
fi
python3 -c 'import json,sys; m=json.load(open(sys.argv[1]))["mean"]; print("predictors (held-out, means over layers): true sparsity %.4f, recall %.4f, precision %.4f, predicted sparsity %.4f" % (m["true_sparsity"], m["recall"], m["precision"], m["predicted_sparsity"]))' "$preds/predictors.json" | tee -a "$log"

# 3. exports, both at once (each JVM reads one weight at a time; sharing the cores, together they finish sooner)
if [ ! -f "$sparse" ]; then
  say "export gguf --predictors (PowerInfer, PWRI)"
  /usr/bin/time -f "export sparse: %e s wall, %M KB peak RSS" "${cli[@]}" export gguf --model "$model" --predictors "$preds" \
    --out "$sparse" > "$data/export-sparse.log" 2>&1 &
fi
if [ ! -f "$dense" ]; then
  say "export gguf --force (dense GGUF of the same weights)"
  /usr/bin/time -f "export dense: %e s wall, %M KB peak RSS" "${cli[@]}" export gguf --model "$model" --force --out "$dense" \
    > "$data/export-dense.log" 2>&1 &
fi
wait
for f in "$data"/export-sparse.log "$data"/export-dense.log; do [ -f "$f" ] && grep -v WARN "$f" | tail -3 | tee -a "$log"; done
[ -f "$sparse" ] && [ -f "$dense" ] || { echo "error: an export failed (see $data/export-*.log)" >&2; exit 1; }
if [ "${KEEP_CHECKPOINT:-0}" = 0 ] && [ -f "$sparse" ] && [ -f "$dense" ]; then rm -rf "$model"; fi
ls -l "$sparse" "$dense" | tee -a "$log"

# 4. PowerInfer, CPU-only
if [ ! -x "$src/build/bin/main" ]; then
  say "building PowerInfer at $(git -C "$src" rev-parse --short HEAD) (CPU only, -j2)"
  nice -n "$nicen" cmake -S "$src" -B "$src/build" -DLLAMA_CUBLAS=OFF -DCMAKE_BUILD_TYPE=Release >/dev/null
  nice -n "$nicen" cmake --build "$src/build" -j2 --target main >/dev/null
fi
say "PowerInfer $(git -C "$src" rev-parse --short HEAD 2>/dev/null || echo "$src")"

# 5. timing
prompt="The history of the city begins in the early years of the century, when"
run() {  # run LABEL FILE TOKENS
  local label="$1" file="$2" n="$3" before out
  before="$(load), $(awk '/MemAvailable/ {printf "%.1f GiB avail", $2 / 1048576}' /proc/meminfo)"
  out="$data/run-$label-$(date +%s).log"
  (cd "$data" && /usr/bin/time -f "TIME cpu %U+%S s, wall %e s, major faults %F, peak RSS %M KB" \
    nice -n "$nicen" "$src/build/bin/main" -m "$file" -t "$threads" -n "$n" -p "$prompt" --ignore-eos --temp 0 \
      --seed 1 -c 512 > "$out.txt" 2> "$out")       # main writes main.log in its folder
  local eval tps ptime sparse_on
  eval="$(grep 'llama_print_timings: *eval time' "$out" | sed 's/.*= *//; s/  */ /g')"
  tps="$(echo "$eval" | sed -n 's/.*, *\([0-9.]*\) tokens per second.*/\1/p')"
  ptime="$(grep 'prompt eval time' "$out" | sed 's/.*= *//; s/  */ /g')"
  sparse_on="$(grep -c 'Sparse inference will be used' "$out" || true)"
  printf '%-7s %8s tok/s | %s threads | before: load %s | decode %s | prompt %s | %s | sparse path: %s | %s\n' "$label" "${tps:-FAILED}" \
    "$threads" "$before" "$eval" "$ptime" "$(grep '^TIME' "$out" | sed 's/^TIME //')" "$([ "$sparse_on" -gt 0 ] && echo yes || echo no)" \
    "$out" | tee -a "$log"
}
say "timing: $threads threads, $ntok decoded tokens, prompt \"$prompt\"; warm-up, then $reps rounds of dense, sparse"
if [ "${WARMUP:-1}" = 1 ]; then
  run warm-d "$dense" 8
  run warm-s "$sparse" 8
fi
for i in $(seq 1 "$reps"); do
  run dense "$dense" "$ntok"
  run sparse "$sparse" "$ntok"
done
echo
say "summary (decode tokens/s; ratio = sparse / dense of the same round)"
grep -E '^(dense|sparse) ' "$log" | tail -n $((2 * reps)) | awk '
  $1 == "dense" { d = $2 + 0 }
  $1 == "sparse" { n++; s = $2 + 0; sd += d; ss += s
                   printf "round %d: dense %.3f tok/s, sparse %.3f tok/s, ratio %.2fx\n", n, d, s, (d > 0 ? s / d : 0) }
  END { if (n) printf "mean over %d rounds: dense %.3f tok/s, sparse %.3f tok/s, ratio of means %.2fx\n", n, sd / n, ss / n, (sd > 0 ? ss / sd : 0) }' | tee -a "$log"
