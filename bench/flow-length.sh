#!/usr/bin/env bash
# Flow files at two lengths: is the throughput and the memory of a long Zeek conn.log the short one's?
#   bench/flow-length.sh [COPIES] [PACKETS] [WORKDIR]   (default 8 copies of the conn.log of the 2,000,000-packet
#                                                        capture, /tmp/slips-bench; SLIPS_BIN=DIR as in e2e.sh)
# The long log is the short one COPIES times over, each copy 800 s after the one before (the generated capture spans
# about 786 s) and with its uids changed in their second character, so the same hosts and services come back: the
# state a long day of the same traffic builds (tuples seen again, per-pair lists growing to their caps, time windows
# evicted). Prints lines, wall and CPU seconds, lines/s and peak RSS of each (median of RUNS, default 3).
set -euo pipefail
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
copies="${1:-8}"
packets="${2:-2000000}"
work="${3:-/tmp/slips-bench}"
runs="${RUNS:-3}"
mkdir -p "$work"

# shellcheck source=bench/common.sh
source "$home/bench/common.sh"
[ -x /usr/bin/time ] || bench_install flow-length.sh time
bench_build "$work/flow-length-bin"
pcap="$work/bench-$packets.pcap"
bench_capture "$packets" "$pcap"
conn="$work/conn-$packets.log"
bench_conn "$pcap" "$conn"
long="$work/conn-$packets-x$copies.log"
if [ ! -s "$long" ]; then
  files=(); for ((i = 0; i < copies; i++)); do files+=("$conn"); done
  awk -F'\t' 'BEGIN { OFS = "\t" }
    FNR == 1 { k++ }
    k == 1 && /^#/ && !/^#close/ { print; next }
    /^#/ { next }
    { $1 = sprintf("%.6f", $1 + (k - 1) * 800); if (k > 1) $2 = substr($2, 1, 1) (k - 1) substr($2, 3); print }
    END { print "#close\t2026-01-01-00-00-00" }' "${files[@]}" > "$long"
fi

# row FILE: median wall, CPU and peak RSS of $runs analyses of FILE.
row() {
  local f="$1" n all="" i
  n=$(grep -vc '^#' "$f")
  for ((i = 0; i < runs; i++)); do
    /usr/bin/time -f "%e %U %S %M" -o "$work/flow-length-time.txt" "${slips[@]}" -f "$f" -o "$work/flow-length-out" --no-progress >/dev/null 2>"$work/flow-length.err" \
      || { echo "flow-length.sh: slips failed on $f:" >&2; tail -5 "$work/flow-length.err" >&2; exit 1; }
    all+="$(awk '{ printf "%s %.2f %.0f", $1, $2 + $3, $4 / 1024 }' "$work/flow-length-time.txt")"$'\n'
  done
  med() { printf '%s' "$all" | awk -v k="$1" 'NF { print $k }' | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
  awk -v n="$n" -v name="$(basename "$f")" -v w="$(med 1)" -v c="$(med 2)" -v r="$(med 3)" \
    'BEGIN { printf "| %s | %d | %.2f | %.2f | %.0f | %.0f |\n", name, n, w, c, n / w, r }'
}

echo "$(nproc) cores, $(uname -m), $(date -u +%Y-%m-%d), median of $runs runs"
printf '| conn.log | lines | wall s | CPU s | lines/s (wall) | peak RSS MB |\n|---|---|---|---|---|---|\n'
row "$conn"
row "$long"
