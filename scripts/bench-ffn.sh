#!/usr/bin/env bash
# The sparse-FFN speed benchmark for the LLaMA-2-7B FFN shape on this CPU, repeated because the cores may be shared:
# runs `prosparse bench ffn` RUNS times (default 3) with 2 threads (BENCH_THREADS) under nice, keeps each run's table, and prints per
# variant the median speed-up over the runs and its range (min..max).
# usage: scripts/bench-ffn.sh [RUNS] [extra bench ffn options, e.g. --sparsity-from checkpoints/runs/my-run/final]
# Environment it sets unless already set (docs/sparse-ffn.md, "What moves the timings"): OMP_WAIT_POLICY=PASSIVE (libgomp's
# spinning threads otherwise hold a core after every libtorch call), huge pages for the Java heap and for libtorch.
# Take the figures on a quiet machine: each run prints the 1-minute load average on its environment line, and with
# BENCH_MAX_LOAD=1.5 each run first waits (up to 10 minutes) until the 1-minute load is below it.
set -euo pipefail
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
export THP_MEM_ALLOC_ENABLE="${THP_MEM_ALLOC_ENABLE:-1}"
thp=""
if grep -q '\[always\]\|\[madvise\]' /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null; then thp="-XX:+UseTransparentHugePages"; fi
export PROSPARSE_JAVA_OPTS="${PROSPARSE_JAVA_OPTS:--Xmx8g $thp}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs="${1:-3}"
shift || true
out="$(mktemp -d -t bench-ffn.XXXXXX)"
for i in $(seq 1 "$runs"); do
  if [ -n "${BENCH_MAX_LOAD:-}" ]; then
    for _ in $(seq 1 60); do
      awk -v max="$BENCH_MAX_LOAD" '{ exit !($1 < max) }' /proc/loadavg && break
      sleep 10
    done
  fi
  echo "== run $i of $runs (load: $(cut -d' ' -f1-3 /proc/loadavg))" >&2
  nice -n 5 "$here/prosparse" bench ffn --shape 4096x11008 --threads "${BENCH_THREADS:-2}" --reps 15 "$@" | tee "$out/run-$i.txt"
done
echo
echo "== summary over $runs runs (speed-up vs dense libtorch of the same run; median [min..max]; wall and cpu)"
cat "$out"/run-*.txt | awk '
  /^(decode|prefill) / && $2 ~ /^[0-9]+$/ {
    v = $4; for (f = 5; f <= NF - 7; f++) v = v " " $f;
    key = $1 " layer " $2 " " v; n[key]++;
    w[key, n[key]] = $(NF-3) + 0; c[key, n[key]] = $NF + 0; order[key] = ++seen
  }
  /^(decode|prefill) / && $2 !~ /^[0-9]+$/ && $(NF-1) == "ms" {   # "all layers (sum of medians)": no cpu column
    v = $2; for (f = 3; f <= NF - 3; f++) v = v " " $f;
    key = $1 " all layers " v; n[key]++;
    w[key, n[key]] = $NF + 0; c[key, n[key]] = 0; order[key] = ++seen
  }
  function med(a, k, m,   i, j, t, v) { for (i = 1; i <= m; i++) v[i] = a[k, i];
    for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
    return (m % 2) ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2 }
  function lo(a, k, m,   i, r) { r = a[k, 1]; for (i = 2; i <= m; i++) if (a[k, i] < r) r = a[k, i]; return r }
  function hi(a, k, m,   i, r) { r = a[k, 1]; for (i = 2; i <= m; i++) if (a[k, i] > r) r = a[k, i]; return r }
  END { for (k in n) if (k ~ / all layers /) printf "%-48s wall %5.2fx [%5.2f..%5.2f]   (sum of the layers: wall only)\n", k,
          med(w, k, n[k]), lo(w, k, n[k]), hi(w, k, n[k]);
        else printf "%-48s wall %5.2fx [%5.2f..%5.2f]   cpu %5.2fx [%5.2f..%5.2f]\n", k,
          med(w, k, n[k]), lo(w, k, n[k]), hi(w, k, n[k]), med(c, k, n[k]), lo(c, k, n[k]), hi(c, k, n[k]) }' | sort
echo "tables: $out"
