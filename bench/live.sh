#!/usr/bin/env bash
# Live-capture benchmark: replays a large generated capture with tcpreplay into one end of a veth pair (in two
# network namespaces made here; tcpreplay -K preloads the file, so that reading it does not pace the sender) while
# `slips -i` captures on the other end, then prints packets sent, packets the node saw, libpcap's and the node's drop
# counters, the loss and the node's CPU time (user+sys, from /usr/bin/time).
#
#   bench/live.sh [PACKETS] [PPS...]      default: 2000000 packets, at 300000 pps and at --topspeed
#
# Environment: SENDER_CPU and NODE_CPU pin tcpreplay and the node to CPUs (taskset -c LIST; default: not pinned). On
# a veth pair the kernel delivers each packet to the capture socket on the sender's CPU, so the sender's core carries
# tcpreplay and the kernel's receive path while the node's core carries capture, flows and detection. PPS_MULTI=N
# passes --pps-multi=N (N packets per timing interval, fewer clock reads per packet; default 1, plain --pps).
#
# SLIPS_BIN=DIR runs an already published build, as in bench/e2e.sh. Needs root; installs iproute2, tcpreplay and GNU time from Debian when missing. The machine's load average is printed with the results, since other
# work on the machine competes with the node for CPU. Everything runs inside the namespaces and is removed at exit.
set -euo pipefail
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
packets=${1:-2000000}
shift || true
rates=("$@")
[[ ${#rates[@]} -gt 0 ]] || rates=(300000 topspeed)
[[ $(id -u) == 0 ]] || { echo "bench/live.sh: needs root (network namespaces, capture)" >&2; exit 1; }
# shellcheck source=bench/common.sh
source "$home/bench/common.sh"
need=()
command -v ip >/dev/null || need+=(iproute2)
command -v tcpreplay >/dev/null || need+=(tcpreplay)
[ -x /usr/bin/time ] || need+=(time)
bench_install live.sh "${need[@]}"
command -v python3 >/dev/null || { echo "bench/live.sh: python3 is missing" >&2; exit 1; }

# shellcheck disable=SC1091 # lab/netns.sh, sourced for its helpers
source "$home/lab/netns.sh"
prefix="lb$(head -c2 /dev/urandom | od -An -tx1 | tr -d ' \n')"
work="$(mktemp -d /tmp/slips-live-bench.XXXXXX)"
slips_pid=
cleanup() {
    if [[ -n $slips_pid ]]; then kill -TERM "$slips_pid" 2>/dev/null || true; fi
    lab_down "$prefix" || true
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

bench_build "$work/bin" # a private copy of the build (SLIPS_BIN=DIR: an already published one), outside the measurement
pcap="$work/live.pcap"
echo "generating $pcap (slips tools gen-pcap --seed 1 --packets $packets)" >&2
"${slips[@]}" tools gen-pcap --seed 1 --packets "$packets" -o "$pcap" >/dev/null
lab_pair_up "$prefix"

node_pin=(); sender_pin=()
if [[ -n ${NODE_CPU:-} ]]; then node_pin=(taskset -c "$NODE_CPU"); fi
if [[ -n ${SENDER_CPU:-} ]]; then sender_pin=(taskset -c "$SENDER_CPU"); fi
json() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }

printf '%-10s %10s %10s %10s %10s %10s %10s %8s %9s %s\n' rate sent rate_pps node_saw ps_drop ps_ifdrop node_drop loss_% cpu_s "load average"
for rate in "${rates[@]}"; do
    out="$work/out-$rate"
    mkdir -p "$out"
    # The node: its CPU time comes from GNU time, which waits for it (ip netns exec execs the launcher, which execs dotnet).
    ip netns exec "$prefix-b" "${node_pin[@]}" /usr/bin/time -f '%U %S' -o "$work/time-$rate" \
        "${slips[@]}" -i eth0 -o "$out" --no-progress >"$work/slips-$rate.log" 2>&1 &
    time_pid=$!
    for _ in $(seq 1 300); do
        grep -q 'slips: capturing on' "$work/slips-$rate.log" && break
        kill -0 "$time_pid" 2>/dev/null || { cat "$work/slips-$rate.log" >&2; exit 1; }
        sleep 0.1
    done
    slips_pid=$(pgrep -P "$time_pid" | head -1)
    if [[ $rate == topspeed ]]; then speed=(--topspeed); else speed=(--pps "$rate"); fi
    if [[ $rate != topspeed && ${PPS_MULTI:-1} != 1 ]]; then speed+=(--pps-multi="$PPS_MULTI"); fi
    ip netns exec "$prefix-a" "${sender_pin[@]}" tcpreplay -K -i eth0 "${speed[@]}" "$pcap" >"$work/tcpreplay-$rate.log" 2>&1
    sent=$(awk '/Successful packets:/ {print $3}' "$work/tcpreplay-$rate.log")
    pps=$(awk '/Rated:/ {for (i = 1; i <= NF; i++) if ($i ~ /pps/) print $(i - 1)}' "$work/tcpreplay-$rate.log" | head -1)
    kill -TERM "$slips_pid"
    wait "$time_pid" || { echo "slips failed:" >&2; cat "$work/slips-$rate.log" >&2; exit 1; }
    slips_pid=
    load=$(cut -d' ' -f1-3 /proc/loadavg)
    analysed=$(json "$out/capture.json" analysed)
    drop=$(json "$out/capture.json" ps_drop)
    ifdrop=$(json "$out/capture.json" ps_ifdrop)
    qdrop=$(json "$out/capture.json" queue_dropped)
    loss=$(python3 -c "s,a=$sent,$analysed; print(f'{100*(s-a)/s:.3f}' if s else 'n/a')")
    cpu=$(awk '{printf "%.2f", $1 + $2}' "$work/time-$rate")
    printf '%-10s %10s %10s %10s %10s %10s %10s %8s %9s %s\n' "$rate" "$sent" "${pps:-?}" "$analysed" "$drop" "$ifdrop" "$qdrop" "$loss" "$cpu" "$load"
    grep -E '^(Read|Capture|Profiles)' "$work/slips-$rate.log" | sed 's/^/    /' >&2
done
