#!/usr/bin/env bash
# Distributed training on c10d, checked ON the lent GPU machine (its torch has the headers the glue needs; CI cannot
# build it: docs/distributed.md). Prints PASS/FAIL lines and a summary; logs and metrics go to $OUT (or ./gpu-dist-out).
# Here, first (puts the two JNI headers of this JDK into the kit, which has a JRE only):
#   mvn -q package -DskipTests && bash ../shared/gpu/stage.sh && bash scripts/gpu-dist-check.sh --stage
# On the device (carry .carry/gpu), about 3-4 minutes:
#   PROSPARSE_KIT=.carry/gpu bash scripts/gpu-dist-check.sh
# 1. builds the c10d glue against the device's torch (scripts/build-c10d-glue.sh)
# 2. Gloo, two ranks on the CPU (torchrun --standalone --no-python --nproc-per-node=2): 4 steps of tiny-llama with
#    grad_accum 1 end with the weights and losses of one process with grad_accum 2 (same global batch); both shards in
#    every save; a two-rank run stopped at step 2 resumes on one process and says it re-sharded (2 -> 1; the
#    equality of re-sharded runs is DistributedTrainerTest's, on the CPU in CI)
# 3. a rank killed mid-run (two ranks started by hand, kill -9 of rank 1): rank 0 stops within the collective timeout
#    with one line naming rank 1, and the last save is intact
# 4. NCCL at world size 1 on the GPU (torchrun --nproc-per-node=1 --device cuda) against the plain one-GPU run
set -uo pipefail
if [[ "${1:-}" == --stage ]]; then
  JH="${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")}"
  mkdir -p .carry/gpu/jni/linux && cp "$JH/include/jni.h" .carry/gpu/jni/ && cp "$JH/include/linux/jni_md.h" .carry/gpu/jni/linux/
  echo "gpu-dist-check: JNI headers of $JH staged in .carry/gpu/jni"; exit 0
fi
source "$(dirname "${BASH_SOURCE[0]}")/gpu/env.sh"
set +e
O="${OUT:-gpu-dist-out}"; mkdir -p "$O"
R="${TMPDIR:-/tmp}/gpu-dist-runs"; rm -rf "$R"; mkdir -p "$R"
SUM="$O/gpu-dist-summary.txt"; : > "$SUM"
say() { echo "$*" | tee -a "$SUM"; }
verdict() { if [[ "$1" == 0 ]]; then say "PASS $2"; else say "FAIL $2"; fi; }
T0=$(date +%s)
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader | sed 's/^/gpu: /' | tee -a "$SUM"
python3 -c 'import torch; print("torch", torch.__version__)' | tee -a "$SUM"

# 1. the glue
JNI_INCLUDE="$KIT/jni" bash scripts/build-c10d-glue.sh "$W/glue" > "$O/glue-build.log" 2>&1
RC=$?; verdict $RC "c10d glue built with Gloo and NCCL ($(grep -o 'built .* for libtorch .*' "$O/glue-build.log" | tail -1))"
if [[ $RC != 0 ]]; then     # keep the Gloo checks: build once more without NCCL
  grep -m 5 -E 'error|ERROR' "$O/glue-build.log" | cut -c1-240 | sed 's/^/  /' | tee -a "$SUM"
  USE_NCCL=0 JNI_INCLUDE="$KIT/jni" bash scripts/build-c10d-glue.sh "$W/glue" > "$O/glue-build-gloo.log" 2>&1
  verdict $? "c10d glue built with Gloo only"
fi
export PROSPARSE_C10D_GLUE="$W/glue/libprosparse_c10d.so" PROSPARSE_DIST_TIMEOUT=60
# one JVM per rank, the same command as pcli (torchrun execs a program, not a shell function)
cat > "$R/rank.sh" <<RANK
#!/usr/bin/env bash
exec "$W/jre/bin/java" -Xmx8g \${RANK_JAVA_OPTS:-} -Dprosparse.home="$PWD" -Dai.djl.offline=true -Dai.djl.default_engine=PyTorch \
  -Djna.library.path="$CUDART" -cp "$KIT/app/prosparse.jar:$KIT/app/lib/*:$W/res" dev.prosparse.cli.Main "\$@"
RANK
chmod +x "$R/rank.sh"
STAGES='stages=[{name: swap, steps: 2, l1_lambda: 0.0, ramp: constant}, {name: l1, steps: 2, l1_lambda: 1.0, ramp: constant}]'
COMMON=(train --set model=checkpoints/tiny-llama --set data.train=embedded:valid --set seq_len=64 --set batch_size=4
  --set eval.windows=4 --set eval.every=0 --set save.every=2 --set save.keep_last=10 --set log_every=1 --set threads=4
  --set schedule.warmup_steps=2 --set save.dtype=float32 --set "$STAGES" --set output_dir="$R/runs")
# compare DIR_A DIR_B WTOL LTOL GTOL: max |Δ| of the final float32 weights, relative Δ of the logged lm_loss and grad_norm
# (CPU: 1e-5 1e-5 1e-4, the order of the gradient sums only; GPU: 2e-3 1e-4 1e-3, since CUDA's embedding backward adds
# with atomics, and Adam's first steps move a weight by about lr = 5e-4 whatever the size of its gradient)
compare() {
  python3 - "$@" <<'PY'
import json, sys
from safetensors.torch import load_file
a, b = (load_file(d + "/final/model.safetensors") for d in sys.argv[1:3])
w = max((a[k].float() - b[k].float()).abs().max().item() for k in a)
def losses(d):
    return [(m["step"], m["lm_loss"], m["grad_norm"]) for m in map(json.loads, open(d + "/metrics.jsonl")) if m["type"] == "train"]
la, lb = losses(sys.argv[1]), losses(sys.argv[2])
l = max(abs(x[1] - y[1]) / abs(x[1]) for x, y in zip(la, lb)) if len(la) == len(lb) else float("inf")
g = max(abs(x[2] - y[2]) / abs(x[2]) for x, y in zip(la, lb)) if len(la) == len(lb) else float("inf")
print(f"steps {len(la)}/{len(lb)}; weights max|d| {w:.3g}; lm_loss max rel d {l:.3g}; grad_norm max rel d {g:.3g}")
wt, lt, gt = map(float, sys.argv[3:6])
sys.exit(0 if w <= wt and l <= lt and g <= gt else 1)
PY
}

# 2. Gloo, two ranks on the CPU, against one process with the same global batch
pcli "${COMMON[@]}" --device cpu --set grad_accum=2 --run-name one > "$O/one.log" 2>&1
verdict $? "one process, CPU, grad_accum 2 ($(( $(date +%s) - T0 )) s so far)"
timeout 150 torchrun --standalone --no-python --nproc-per-node=2 "$R/rank.sh" "${COMMON[@]}" --device cpu --set grad_accum=1 \
  --run-name two > "$O/two.log" 2>&1
verdict $? "two ranks on Gloo (torchrun), CPU, grad_accum 1; log: $(grep -o 'collectives c10d [a-z]*' "$O/two.log" | head -1)"
say "  $(grep -o 'global batch [^)]*)' "$O/two.log" | head -1)"
C=$(compare "$R/runs/one" "$R/runs/two" 1e-5 1e-5 1e-4); verdict $? "Gloo 2 ranks = 1 process: $C"
ls "$R/runs/two/step-000004" | grep -q 'optimizer-shard-00001-of-00002'; verdict $? "every rank's optimizer shard in the save"
# 2 -> 1: a two-rank run stopped after step 2 (as Ctrl-C would) resumes on one process
RANK_JAVA_OPTS=-Dprosparse.stopAfterStep=2 timeout 150 torchrun --standalone --no-python --nproc-per-node=2 "$R/rank.sh" "${COMMON[@]}" \
  --device cpu --set grad_accum=1 --run-name two-one > "$O/two-one-a.log" 2>&1
pcli train --resume "$R/runs/two-one" --device cpu > "$O/two-one-b.log" 2>&1
RC=$?; grep -q 're-sharded' "$O/two-one-b.log"; RS=$?
verdict $(( RC + RS )) "resume of a 2-rank save on 1 process: exit $RC; $(grep -o 'resuming a save of.*re-sharded' "$O/two-one-b.log" | head -1)"

# 3. kill a rank: two ranks by hand (no torchrun, whose agent would stop the others itself), rank 1 killed after step 2
KILL_STAGES='stages=[{name: long, steps: 400, l1_lambda: 0.0, ramp: constant}]'
for r in 0 1; do
  RANK=$r LOCAL_RANK=$r WORLD_SIZE=2 LOCAL_WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=29611 PROSPARSE_DIST_TIMEOUT=30 \
    "$R/rank.sh" "${COMMON[@]}" --set "$KILL_STAGES" --device cpu --set grad_accum=1 --run-name kill > "$O/kill-$r.log" 2>&1 &
  PIDS[$r]=$!
done
for i in $(seq 1 240); do [[ -d "$R/runs/kill/step-000002" ]] && break; sleep 0.5; done
kill -9 "${PIDS[1]}"; TK=$(date +%s)
( sleep 120; kill -9 "${PIDS[0]}" 2>/dev/null ) & GUARD=$!      # a hang would end here, and read as FAIL
wait "${PIDS[0]}"; RC0=$?; kill "$GUARD" 2>/dev/null; STOP=$(( $(date +%s) - TK ))
LINE="$(grep -E 'rank 1|failed' "$O/kill-0.log" | grep -v ' INFO ' | tail -1 | cut -c1-300)"
[[ "$RC0" != 0 && "$STOP" -le 45 && "$LINE" == *"rank 1"* ]]; verdict $? "rank 1 killed: rank 0 stopped after ${STOP} s (timeout 30 s), exit $RC0: $LINE"
LAST="$(ls -d "$R"/runs/kill/step-* 2>/dev/null | tail -1)"
[[ -n "$LAST" && -f "$LAST/model.safetensors" && -f "$LAST/optimizer-shard-00000-of-00002.safetensors" \
   && -f "$LAST/optimizer-shard-00001-of-00002.safetensors" ]]; verdict $? "last save intact: $(basename "${LAST:-none}") with both shards"

# 4. NCCL at world size 1 on the GPU against the plain one-GPU run
pcli "${COMMON[@]}" --device cuda --set grad_accum=1 --run-name gpu1 > "$O/gpu1.log" 2>&1
verdict $? "one process on the GPU"
timeout 150 torchrun --standalone --no-python --nproc-per-node=1 "$R/rank.sh" "${COMMON[@]}" --device cuda --set grad_accum=1 \
  --run-name nccl1 > "$O/nccl1.log" 2>&1
verdict $? "NCCL world size 1 (torchrun --nproc-per-node=1); log: $(grep -o 'collectives c10d [a-z]*' "$O/nccl1.log" | head -1)"
C=$(compare "$R/runs/gpu1" "$R/runs/nccl1" 2e-3 1e-4 1e-3); verdict $? "NCCL world 1 = plain GPU run: $C"

cp "$R"/runs/*/metrics.jsonl "$O/" 2>/dev/null; for d in "$R"/runs/*/; do cp "$d/metrics.jsonl" "$O/metrics-$(basename "$d").jsonl" 2>/dev/null; done
say "total $(( $(date +%s) - T0 )) s; $(grep -c '^PASS' "$SUM") PASS, $(grep -c '^FAIL' "$SUM") FAIL"
for f in "$O"/*.log; do if grep -q FAIL "$SUM"; then echo "== tail of $f"; grep -v ' INFO ' "$f" | tail -4; fi; done
