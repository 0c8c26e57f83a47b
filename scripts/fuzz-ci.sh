#!/usr/bin/env bash
# The CI fuzzing budget (Jazzer) of the checkpoint parsers: safetensors reader (raw bytes and structured edge
# values), index reader, config.json reader. Deterministic: a fixed libFuzzer seed and a fixed number of inputs
# per target (no time budget), started from the committed corpus in a fresh folder every time, with no
# per-input timeout that a loaded machine could trip (-timeout is a hang detector of minutes, not a budget).
# The summary prints a digest of the inputs each target executed. Measured 2026-11-30: with the same commit, folder,
# seed and count, two runs of the safetensors target gave different digests (18ea36e3… and 0158a74a… at 1a204d3;
# 1ae7122b… and b9c1ccb0… later), so some run-dependent value still steers the coverage-guided mutations: this
# budget is NOT deterministic and is not part of CI. CI's fuzz budget is SeededMutationTest (in mvn verify): seeded
# mutations without coverage feedback, the same inputs on every run. Run this script by hand or on a schedule.
#
#   scripts/fuzz-ci.sh                     # 1000 inputs per target, seed 1, all four targets
#   scripts/fuzz-ci.sh 5000 config         # 5000 inputs on the config.json reader
#   FUZZ_SEED=7 scripts/fuzz-ci.sh         # another fixed seed
#
# Fails (exit 1) on a finding, and when a target executed fewer inputs than asked for: a renamed or missing
# target runs 0 inputs and fails instead of passing empty. Open-ended fuzzing that grows the corpus is
# scripts/fuzz-long.sh. A finding is left in $BUILD/fuzz-ci/<target>/crash-*; fix it, then move the file to
# src/test/resources/fuzz/<target>/ so that every `mvn test` replays it.
set -uo pipefail
cd "$(dirname "$0")/.."

RUNS=${1:-1000}
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=(safetensors safetensorsStructured index config)
SEED=${FUZZ_SEED:-1}
BUILD=${FUZZ_BUILD_DIR:-target-fuzz}
MVN=(mvn -B -ntp -Dstyle.color=never ${MVN_OFFLINE:+-o} -Dbuild.dir="$BUILD")

case "$RUNS" in ''|*[!0-9]*|0) echo "fuzz-ci: the input count must be a positive integer, got '$RUNS'" >&2; exit 2 ;; esac

"${MVN[@]}" -q test-compile || { echo "fuzz-ci: compilation failed" >&2; exit 2; }

# A fresh folder: nothing a local run generated (corpus, findings) takes part.
root="$PWD/$BUILD/fuzz-ci"
rm -rf "$root"
mkdir -p "$root"

status=0
summary=()
for t in "${TARGETS[@]}"; do
  work="$root/$t"
  mkdir -p "$work"
  # One fuzz test per JVM (a Jazzer rule). Options after jazzer.internal.arg.0 go to libFuzzer and come after
  # @FuzzTest's maxDuration, so they win: -max_total_time=0 turns the time budget off, -runs counts instead.
  # basedir puts Jazzer's generated corpus (.cifuzz-corpus) and findings into the fresh folder. No
  # failIfNoSpecifiedTests=false: a target that does not exist fails the run. Only our own classes are
  # instrumented: Jackson's symbol tables hash with a per-JVM seed (clock or identity hash), so coverage inside Jackson
  # differs from run to run and steers the same seed to other inputs (scripts/fuzz-long.sh instruments Jackson too).
  # For the same reason the targets' scratch files live in a fixed folder given relative to the project (Jazzer's
  # file-path hooks see those paths), not in a randomly named temporary folder.
  JAZZER_FUZZ=1 "${MVN[@]}" surefire:test \
      -Dtest="dev.prosparse.reliability.ParserFuzzTest#$t" \
      -Djazzer.hooks=true -Djazzer.instrument='dev.prosparse.**' \
      -Djazzer.internal.basedir="$work" \
      -Djazzer.internal.arg.0=fuzz -Djazzer.internal.arg.1=-seed="$SEED" -Djazzer.internal.arg.2=-runs="$RUNS" \
      -Djazzer.internal.arg.3=-max_total_time=0 -Djazzer.internal.arg.4=-timeout=300 \
      -Dprosparse.fuzz.stats="$work/stats.txt" -Dprosparse.fuzz.scratch="$BUILD/fuzz-ci/$t/scratch" \
      > "$work/mvn.log" 2>&1
  rc=$?
  executed=$(awk -v t="$t" '$1 == t {print $2}' "$work/stats.txt" 2>/dev/null)
  digest=$(awk -v t="$t" '$1 == t {print $3}' "$work/stats.txt" 2>/dev/null)
  found=$(find "$work" -maxdepth 1 -name 'crash-*' -o -maxdepth 1 -name 'timeout-*' -o -maxdepth 1 -name 'oom-*' | wc -l)
  verdict=ok
  if [ $rc -ne 0 ]; then
    verdict="FAILED (exit $rc), see $work/mvn.log"
    grep -E 'FuzzTestFinding|Exception|Error|No tests matching' "$work/mvn.log" | grep -v '^\s*at ' | head -5 >&2
  elif [ "${executed:-0}" -lt "$RUNS" ]; then
    # libFuzzer stops after -runs inputs; fewer means the target did not run (renamed, not counted, ...)
    rc=1
    verdict="FAILED: ran ${executed:-0} of $RUNS inputs, see $work/mvn.log"
  fi
  [ $rc -ne 0 ] && status=1
  summary+=("$(printf '%-22s %7s inputs (seed %s, asked %s)  digest %-16s  findings: %s   %s' \
      "$t" "${executed:-0}" "$SEED" "$RUNS" "${digest:--}" "$found" "$verdict")")
done
echo "fuzz-ci summary:"
printf '  %s\n' "${summary[@]}"
exit $status
