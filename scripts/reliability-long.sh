#!/usr/bin/env bash
# The long reliability run (not part of `mvn test`, whose budgets are short):
#   - kill-during-save: 52 SIGKILLs of a training child JVM at random moments (saves every step, pruning on:
#     keep_last 2; fresh runs are killed before their first save too), each followed by --resume;
#   - convert atomicity: 20 SIGKILLs of `prosparse convert` during its write;
#   - resume determinism and disk-full saves with 3 different random seeds.
# About 12 minutes on 2 busy cores. Prints one summary line per part; exits 1 if any part failed.
# Do not run two of these (or a `mvn test` with the same build dir) at once: surefire cleans its folder.
#
#   scripts/reliability-long.sh            # KILL_TRIALS=52 CONVERT_TRIALS=20 SEEDS="1 2 3"
set -uo pipefail
cd "$(dirname "$0")/.."
KILL_TRIALS=${KILL_TRIALS:-52}
CONVERT_TRIALS=${CONVERT_TRIALS:-20}
SEEDS=${SEEDS-1 2 3}
BUILD=${RELIABILITY_BUILD_DIR:-target-rel}
MVN=(mvn -B -ntp -Dstyle.color=never ${MVN_OFFLINE:+-o} -Dbuild.dir="$BUILD")
logs="$BUILD/reliability-long"
mkdir -p "$logs"
"${MVN[@]}" -q test-compile || { echo "reliability-long: compilation failed" >&2; exit 2; }

status=0
part() { # name, log, test, properties...
  local name=$1 log=$2 test=$3; shift 3
  "${MVN[@]}" surefire:test -Dtest="$test" "$@" > "$log" 2>&1 || { status=1; echo "$name: FAILED (see $log)"; }
  grep -hE '^(kill-during-save|convert-kill|resume-determinism|disk-full|crash-recovery seed)' "$log" | grep -v 'trials, seed' || true
}

part kill "$logs/kill.log" 'dev.prosparse.reliability.KillDuringSaveTest' \
  -Dprosparse.kill.trials="$KILL_TRIALS" -Dprosparse.kill.keepLast=2
[ "$CONVERT_TRIALS" -gt 0 ] && part convert "$logs/convert.log" 'dev.prosparse.reliability.ConvertKillTest' \
  -Dprosparse.convertKill.trials="$CONVERT_TRIALS"
for s in $SEEDS; do
  part "crash seed $s" "$logs/crash-$s.log" 'dev.prosparse.reliability.CrashRecoveryTest' -Dprosparse.crash.seed="$s"
done
echo "reliability-long: $([ $status -eq 0 ] && echo ok || echo FAILED); logs in $logs"
exit $status
