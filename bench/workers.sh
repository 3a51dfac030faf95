#!/usr/bin/env bash
# Speed-up of --workers N on a generated capture: the same analysis with 1 and with N flow-table workers (default
# N=2), and with 1 worker on one thread (parameters.ingest_thread=false: reading and detection one after the other);
# wall and CPU time (user+sys from /usr/bin/time) and peak RSS of each, and a check that all wrote the same alerts
# (alerts.json without the run's random IDs and creation times) and the same conn.log.
#   bench/workers.sh [PACKETS] [N] [WORKDIR]     (default 2000000 packets, N=2, /tmp/slips-bench; SLIPS_BIN=DIR as in e2e.sh)
set -euo pipefail
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
packets="${1:-2000000}"
workers="${2:-2}"
work="${3:-/tmp/slips-bench}"
mkdir -p "$work"

# shellcheck source=bench/common.sh
source "$home/bench/common.sh"
[ -x /usr/bin/time ] || bench_install workers.sh time
bench_build "$work/bin-workers"

pcap="$work/bench-$packets.pcap"
bench_capture "$packets" "$pcap"

results="$work/workers-results.txt"; : > "$results"
# run LABEL N [ARGS...]: one timed analysis with N workers, its output in out-workers-LABEL.
run() {
  local n="$1" workers="$2" out="$work/out-workers-$1"; shift 2
  rm -rf "$out"
  "${slips[@]}" -f "$pcap" -o "$out" --workers "$workers" --write-flows --no-progress "$@" >/dev/null 2>&1 || true # warms the page cache
  rm -rf "$out"
  /usr/bin/time -v -o "$work/time-workers.txt" "${slips[@]}" -f "$pcap" -o "$out" --workers "$workers" --write-flows --no-progress "$@" \
    > "$work/workers-$n.out" 2> "$work/workers-$n.err" || { echo "workers=$n failed:"; tail -5 "$work/workers-$n.err"; exit 1; }
  awk -F': ' -v n="$n" '/Elapsed \(wall clock\)/ {k=split($2,a,":"); w=0; for(i=1;i<=k;i++) w=w*60+a[i]}
    /User time/ {u=$2} /System time/ {s=$2} /Maximum resident set size/ {r=$2/1024}
    END {print n, w, u+s, r}' "$work/time-workers.txt" >> "$results"
}
run 1 1
run "$workers" "$workers"
run 1-one-thread 1 --set parameters.ingest_thread=false

# The same alerts and flows, or the speed-up means nothing.
python3 - "$work/out-workers-1" "$work/out-workers-$workers" "$work/out-workers-1-one-thread" <<'PY'
import json, sys
def alerts(d):
    ids = {}
    def norm(i): return ids.setdefault(i, "id%d" % len(ids))
    out = []
    for line in open(d + "/alerts.json"):
        if not line.strip(): continue
        o = json.loads(line); o.pop("CreateTime", None); o["ID"] = norm(o["ID"])
        if "CorrelID" in o: o["CorrelID"] = [norm(c) for c in o["CorrelID"]]
        out.append(o)
    return out
def conn(d): return [l for l in open(d + "/conn.log") if not l.startswith(("#open", "#close"))]
a, others = sys.argv[1], sys.argv[2:]
same_alerts = all(alerts(a) == alerts(b) for b in others)
same_conn = all(conn(a) == conn(b) for b in others)
print("identical output:", "alerts.json" if same_alerts else "alerts.json DIFFERS", "and", "conn.log" if same_conn else "conn.log DIFFERS",
      "(%d alert lines, %d flows)" % (len(alerts(a)), sum(1 for l in conn(a) if not l.startswith("#"))))
sys.exit(0 if same_alerts and same_conn else 1)
PY

echo
echo "Capture: $pcap ($packets packets requested), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%Y-%m-%d)"
printf '| workers | wall s | CPU s (user+sys) | peak RSS MB |\n|---|---|---|---|\n'
while read -r n wall cpu rss; do printf '| %s | %.2f | %.2f | %.0f |\n' "$n" "$wall" "$cpu" "$rss"; done < "$results"
awk -v n="$workers" '{w[$1]=$2; c[$1]=$3} END { printf "\nspeed-up with %d workers: %.2fx wall, CPU %+.0f%%\n", n, w[1]/w[n], 100*(c[n]/c[1]-1);
  printf "ingest thread (1 worker) against one thread: %.2fx wall, CPU %+.0f%%\n", w["1-one-thread"]/w[1], 100*(c[1]/c["1-one-thread"]-1) }' "$results"
