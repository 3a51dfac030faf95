#!/usr/bin/env bash
# libp2p benchmarks of issue 3, ours and js-libp2p's side by side in one run:
#   1. gossip throughput between two nodes on loopback, bursts of 10,000 and 50,000 signed 256-byte messages
#   2. the same with two js-libp2p 2.10 nodes (tests/interop-js, pinned versions), and the ratio
#   3. one yamux stream over Noise on loopback (ours and js)
#   4. 50 nodes on loopback (own TCP listener each, random topology of degree 6-8), publish from random nodes at 50/s
#      and at 10/s (latency under a crowded CPU is queueing: the lower rate shows the protocol's own latency)
# Usage: bench/libp2p.sh [--quick]   (--quick: 10,000 burst only, 256 MiB stream, 100 network messages)
# Prints a Markdown table; exits 1 when a target is missed. Wall-clock rates depend on the machine's load (printed).
set -euo pipefail
cd "$(dirname "$0")/.."
QUICK=0
[[ "${1:-}" == "--quick" ]] && QUICK=1
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

if [[ ! -d tests/interop-js/node_modules ]]; then
  (cd tests/interop-js && npm ci --no-audit --no-fund >/dev/null)
fi
dotnet build bench/libp2p -c Release -v q -nologo >"$OUT/build.log" 2>&1 || { cat "$OUT/build.log"; exit 1; }
BENCH=(dotnet bench/libp2p/bin/Release/net10.0/SlipsP2P.Libp2p.Bench.dll)

BURSTS=(10000 50000); MB=1024; MSGS=200
if [[ $QUICK == 1 ]]; then BURSTS=(10000); MB=256; MSGS=100; fi

run() { # name, command...: one JSON line appended to results; failures are recorded, not fatal
  local name=$1; shift
  echo "running $name (load $(cut -d' ' -f1 /proc/loadavg))" >&2
  if ! "$@" >"$OUT/$name.json" 2>"$OUT/$name.err"; then
    echo "{\"bench\":\"$name\",\"error\":$(jq -Rs . <"$OUT/$name.err")}" >"$OUT/$name.json"
  fi
  tail -n 1 "$OUT/$name.json" >>"$OUT/results.jsonl"
}

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
for n in "${BURSTS[@]}"; do
  run "gossip-slips-$n" "${BENCH[@]}" gossip --count "$n"
  run "gossip-js-$n" node tests/interop-js/bench-gossip.mjs --count "$n"
done
run stream-slips "${BENCH[@]}" stream --megabytes "$MB"
run stream-js node tests/interop-js/bench-stream.mjs --megabytes "$((MB / 4))"
run network-slips-50 "${BENCH[@]}" network --nodes 50 --messages "$MSGS" --rate 50
run network-slips-10 "${BENCH[@]}" network --nodes 50 --messages "$((MSGS / 2))" --rate 10
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

python3 - "$OUT/results.jsonl" "$LOAD_START" "$LOAD_END" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
ok = True
def fail(why):
    global ok
    ok = False
    print(f"MISSED: {why}")
print(f"load average (1/5/15 min) at start {sys.argv[2]}, at end {sys.argv[3]}\n")
print("| benchmark | implementation | result | target | note |")
print("|---|---|---|---|---|")
gossip = {}
for r in rows:
    if "error" in r:
        print(f"| {r['bench']} | - | error | - | {r['error'].strip().splitlines()[-1] if r['error'].strip() else ''} |")
        ok = False
        continue
    if r["bench"] == "gossip":
        gossip[(r["impl"], r["count"])] = r
        extra = f"{r['cpuUsPerMessage']} us CPU/msg for both nodes (idle 2 cores at that cost: {2e6 / r['cpuUsPerMessage']:,.0f} msg/s)" if "cpuUsPerMessage" in r else f"publisher {r['publisherCpuSeconds']:.2f} s CPU"
        target = ">= 20,000 msg/s, 0 lost" if r["impl"] == "slips" else "-"
        print(f"| gossip burst {r['count']:,} x {r['size']} B signed | {r['impl']} | {r['msgPerSec']:,} msg/s delivered, {r['lost']:,} lost | {target} | {extra}, load {r['load']} |")
        if r["impl"] == "slips":
            if r["lost"] != 0: fail(f"slips lost {r['lost']} of {r['count']}")
            if r["msgPerSec"] < 20000: fail(f"slips {r['msgPerSec']} msg/s < 20,000 for {r['count']}")
    elif r["bench"] == "stream":
        extra = f"{r['gbitPerCpuSecond']} Gbit per CPU second" if "gbitPerCpuSecond" in r else ""
        target = ">= 2 Gbit/s" if r["impl"] == "slips" else "-"
        print(f"| one yamux stream over Noise, {r['megabytes']} MiB | {r['impl']} | {r['gbitPerSec']} Gbit/s | {target} | {extra} load {r['load']} |")
        if r["impl"] == "slips" and r["gbitPerSec"] < 2: fail(f"stream {r['gbitPerSec']} Gbit/s < 2")
    elif r["bench"] == "network":
        print(f"| {r['nodes']} nodes, degree {r['degreeMin']}-{r['degreeMax']}, {r['messages']} msgs at {r['rate']}/s | {r['impl']} | p50 {r['p50Ms']} ms, p99 {r['p99Ms']} ms, {r['delivered']:,}/{r['expected']:,} delivered | p99 < 250 ms, all delivered | load {r['load']}, mesh {r['meshMin']}-{r['meshMax']} |")
        print(f"| same: duplicates per node per message | {r['impl']} | max {r['duplicatesPerNodeMax']}, mean {r['duplicatesPerNodeMean']} | <= D = {r['d']} | |")
        if r["p99Ms"] >= 250: fail(f"network p99 {r['p99Ms']} ms >= 250")
        if r["delivered"] != r["expected"]: fail(f"network delivered {r['delivered']} of {r['expected']}")
        if r["duplicatesPerNodeMax"] > r["d"]: fail(f"network duplicates {r['duplicatesPerNodeMax']} > D={r['d']}")
for (impl, count), r in sorted(gossip.items()):
    if impl != "slips": continue
    js = gossip.get(("js-libp2p", count))
    if js and js["msgPerSec"] > 0:
        ratio = r["msgPerSec"] / js["msgPerSec"]
        print(f"| gossip ratio slips / js, burst {count:,} | - | {ratio:.1f}x (js lost {js['lost']:,}) | >= 3x | |")
        if ratio < 3: fail(f"ratio {ratio:.1f} < 3 for {count}")
    elif js:
        print(f"| gossip ratio slips / js, burst {count:,} | - | no ratio: js delivered none of {count:,} within 10 s of its last publish | >= 3x | |")
sys.exit(0 if ok else 1)
PY
