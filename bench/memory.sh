#!/usr/bin/env bash
# Memory bounded by the traffic's state, not its length: slips on the same generated traffic mix at two lengths.
#   bench/memory.sh [SMALL] [LARGE] [WORKDIR]   (default 200000 and 2000000 packets, /tmp/slips-bench)
# Runs `slips -f` (every detector on, default configuration) on `slips tools gen-pcap --seed 1 --packets N` captures
# and prints peak RSS (GNU time's maximum resident set size) and CPU seconds of each, the growth, and the pipeline's
# dropped count (what the state caps refused). Exit 1 when the large run's peak RSS is 50% or more above the small one's.
# RUNS=N (default 3) runs each size N times and compares the medians: one run's peak RSS moves by up to ~8 MB with the
# moment the GC happens to collect (seen 81-90 MB on the small capture on a loaded machine).
# SLIPS_BIN=DIR measures an already published build (dotnet publish src/SlipsP2P.Cli -c Release -o DIR) instead
# of the ./slips launcher's build (copied first, so that a rebuild by someone saving a file cannot land in a run).
set -euo pipefail
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
small="${1:-200000}"
large="${2:-2000000}"
work="${3:-/tmp/slips-bench}"
limit=50
runs="${RUNS:-3}"
mkdir -p "$work"

# shellcheck source=bench/common.sh
source "$home/bench/common.sh"
[ -x /usr/bin/time ] || bench_install memory.sh time
bench_build "$work/memory-bin"

# run N: analyses the N-packet capture; prints "rss_mb cpu_s dropped".
run() {
  local n="$1" pcap="$work/bench-$1.pcap" out="$work/memory-out-$1"
  rm -rf "$out"
  if ! /usr/bin/time -v -o "$work/memory-time-$n.txt" "${slips[@]}" -f "$pcap" -o "$out" --no-progress > "$work/memory-$n.out" 2> "$work/memory-$n.err"; then
    echo "memory.sh: slips failed on $pcap:" >&2; tail -5 "$work/memory-$n.err" >&2; exit 1
  fi
  local rss cpu dropped
  rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$work/memory-time-$n.txt")
  cpu=$(awk -F': ' '/User time/ {u=$2} /System time/ {s=$2} END {printf "%.2f", u+s}' "$work/memory-time-$n.txt")
  dropped=$(grep -oE "State caps: [0-9,]+" "$work/memory-$n.out" | grep -oE "[0-9,]+$" | tr -d , || true)
  echo "$rss $cpu ${dropped:-0}"
}

# median N: runs the N-packet capture $runs times; prints "median_rss median_cpu dropped all_rss".
median() {
  local n="$1" all="" i
  bench_capture "$n" "$work/bench-$n.pcap"
  for ((i = 0; i < runs; i++)); do all+="$(run "$n")"$'\n'; done
  local rss cpu dropped list
  rss=$(printf '%s' "$all" | awk 'NF {print $1}' | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}')
  cpu=$(printf '%s' "$all" | awk 'NF {print $2}' | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}')
  dropped=$(printf '%s' "$all" | awk 'NF {d = $3} END {print d}')
  list=$(printf '%s' "$all" | awk 'NF {printf "%s%s", (n++ ? "/" : ""), $1}')
  echo "$rss $cpu $dropped $list"
}

read -r rss_small cpu_small drop_small all_small < <(median "$small")
read -r rss_large cpu_large drop_large all_large < <(median "$large")
if [ -z "${rss_small:-}" ] || [ -z "${rss_large:-}" ]; then echo "memory.sh: a run failed (see above)" >&2; exit 1; fi
growth=$(awk -v a="$rss_small" -v b="$rss_large" 'BEGIN { printf "%+.0f", 100 * (b / a - 1) }')
printf '| packets | peak RSS MB (median of %s: all runs) | CPU s (median) | dropped by caps |\n|---|---|---|---|\n' "$runs"
printf '| %s | %s (%s) | %s | %s |\n| %s | %s (%s) | %s | %s |\n' "$small" "$rss_small" "$all_small" "$cpu_small" "$drop_small" \
  "$large" "$rss_large" "$all_large" "$cpu_large" "$drop_large"
echo "memory: peak RSS ${rss_small} MB -> ${rss_large} MB for $((large / small))x the traffic: ${growth}% (limit < +${limit}%)"
awk -v a="$rss_small" -v b="$rss_large" -v l="$limit" 'BEGIN { exit (100 * (b / a - 1) < l) ? 0 : 1 }' || { echo "memory.sh: growth over the limit" >&2; exit 1; }
