#!/usr/bin/env bash
# The host side of the offloaded optimizer step (docs/gpu.md, "Optimizer offload"): libtorch's multi-tensor AdamW on
# the CPU plus the float16 cast of the masters (the old way) against the one-pass HostAdamW (the new way), same
# parameters, same thread count, same run. Prints seconds per step, GB/s at 28 B/param, seconds extrapolated to
# LLaMA-2-7B's 6.74 B parameters, the thread count and the machine.
# usage:
#   here (after mvn -q package -DskipTests):    scripts/bench-offload-update.sh [PARAMS] [THREADS] [STEPS]
#   on the GPU machine with the kit:            PROSPARSE_KIT=.carry/gpu bash scripts/bench-offload-update.sh 2147483648
# PARAMS defaults to 268435456 (256 M: about 3.5 GiB of tensors plus 1 GiB of libtorch temporaries, fits a 24 GiB box);
# memory is about 14 B per parameter + 1 GiB, so 2147483648 (2 G) needs about 31 GiB. THREADS defaults to all cores.
# Output is also written to $OUT/bench-offload-update.txt when OUT is set.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
params="${1:-268435456}"; threads="${2:-0}"; steps="${3:-3}"
main=dev.prosparse.bench.OffloadUpdateBench
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"   # libgomp's spinning threads would hold cores the Java kernel needs
if [[ -n "${PROSPARSE_KIT:-}" ]]; then
  cd "$here"
  source "$here/scripts/gpu/env.sh"
  run() { pjava "$main" "$@"; }
else
  jar="$here/target/prosparse.jar"
  [[ -f "$jar" ]] || { echo "error: $jar not found; build it first: mvn -q package -DskipTests" >&2; exit 2; }
  run() { java ${PROSPARSE_JAVA_OPTS:--Xmx2g} -Dai.djl.offline=true -Dai.djl.default_engine=PyTorch -cp "$jar" "$main" "$@"; }
fi
if [[ -n "${OUT:-}" ]]; then
  mkdir -p "$OUT"
  run "$params" "$threads" "$steps" 2>&1 | grep -v "Failed to detect GPU count" | tee "$OUT/bench-offload-update.txt"
else
  run "$params" "$threads" "$steps"
fi
