#!/usr/bin/env bash
# Open-ended fuzzing (Jazzer) of the checkpoint parsers, for a developer machine, not CI: a time budget per
# target, a random seed, and a generated corpus that persists between runs in $BUILD/fuzz-long/<target>/ so
# every run continues where the last one stopped. Every finding (crash, hang, OOM) is copied into the replay
# corpus src/test/resources/fuzz/<target>/, where `mvn test` replays it from then on: the build fails until
# the bug is fixed, and the input stays there as a regression test afterwards. CI's fuzz budget is SeededMutationTest
# in mvn verify (seeded mutations, no coverage feedback); scripts/fuzz-ci.sh is a fixed Jazzer budget (seed, count).
#
#   scripts/fuzz-long.sh                    # 10 minutes per target, all four targets
#   scripts/fuzz-long.sh 3600 index         # an hour on the index reader
#
# Exit status: 0 nothing found, 1 findings (copied; listed at the end), 2 setup failed.
set -uo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER_TARGET=${1:-600}
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=(safetensors safetensorsStructured index config)
BUILD=${FUZZ_BUILD_DIR:-target-fuzz}
MVN=(mvn -B -ntp -Dstyle.color=never ${MVN_OFFLINE:+-o} -Dbuild.dir="$BUILD")

case "$SECONDS_PER_TARGET" in ''|*[!0-9]*|0) echo "fuzz-long: seconds per target must be a positive integer" >&2; exit 2 ;; esac

"${MVN[@]}" -q test-compile || { echo "fuzz-long: compilation failed" >&2; exit 2; }

status=0
summary=()
copied=()
for t in "${TARGETS[@]}"; do
  corpus="src/test/resources/fuzz/$t"
  [ -d "$corpus" ] || { echo "fuzz-long: no corpus folder $corpus (unknown target '$t')" >&2; exit 2; }
  work="$PWD/$BUILD/fuzz-long/$t"
  mkdir -p "$work"
  start=$(date +%s)
  # -timeout=60: an input that takes a minute is a hang worth keeping (CI uses a hang limit of minutes).
  JAZZER_FUZZ=1 "${MVN[@]}" surefire:test \
      -Dtest="dev.prosparse.reliability.ParserFuzzTest#$t" \
      -Djazzer.hooks=true -Djazzer.instrument='dev.prosparse.**,com.fasterxml.jackson.core.**' \
      -Djazzer.internal.basedir="$work" \
      -Djazzer.internal.arg.0=fuzz -Djazzer.internal.arg.1=-max_total_time="$SECONDS_PER_TARGET" \
      -Djazzer.internal.arg.2=-timeout=60 \
      -Dprosparse.fuzz.stats="$work/stats.txt" > "$work/mvn.log" 2>&1
  rc=$?
  executed=$(awk -v t="$t" '$1 == t {print $2}' "$work/stats.txt" 2>/dev/null)
  found=0
  # findings are written into basedir, named crash-/timeout-/oom- plus the input's SHA-1
  for f in $(find "$work" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' \) -newermt "@$start"); do
    dest="$corpus/$(basename "$f")"
    if [ ! -e "$dest" ]; then
      cp "$f" "$dest"
      copied+=("$dest")
      found=$((found + 1))
    fi
  done
  if [ $rc -ne 0 ] || [ $found -gt 0 ] || [ "${executed:-0}" -eq 0 ]; then
    status=1
    grep -E 'FuzzTestFinding|Exception|Error|No tests matching' "$work/mvn.log" | grep -v '^\s*at ' | head -5 >&2
  fi
  summary+=("$(printf '%-22s %10s inputs in %ss   new findings: %s   (%s)' "$t" "${executed:-0}" "$SECONDS_PER_TARGET" \
      "$found" "$([ $rc -eq 0 ] && echo ok || echo "exit $rc, see $work/mvn.log")")")
done
echo "fuzz-long summary:"
printf '  %s\n' "${summary[@]}"
if [ ${#copied[@]} -gt 0 ]; then
  echo "copied into the replay corpus (mvn test now fails on them until fixed; commit them with the fix):"
  printf '  %s\n' "${copied[@]}"
fi
exit $status
