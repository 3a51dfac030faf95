#!/usr/bin/env bash
# Makes C&C-like beaconing captures and browsing-like captures in a throwaway network-namespace lab (lab/netns.sh),
# to train and test the behavioural models (slips models train) and the periodicity detector.
#
# usage: lab/make-beacons.sh [OUTDIR [PREFIX [COUNT]]]   (default OUTDIR ./captures, PREFIX random, COUNT 30)
#
# Writes into OUTDIR:
#   beacon-periodic.pcap  from the attacker 10.77.0.5: curl http://10.77.1.20:8080/task every 2 s, COUNT times.
#   beacon-jitter.pcap    from the attacker: the same with a gap drawn uniformly from 2.0-3.6 s.
#   browsing.pcap         from the client 10.77.0.6: pages of the same server fetched in bursts of 1-4 (0.1-0.8 s
#                         apart) separated by pauses of 1-12 s, like a person reading; COUNT bursts.
# The server on :8080 answers every GET after 0.15-0.6 s with 0.2-6 KB, so beacons and browsing differ only in timing
# (as a C&C channel over HTTPS and a web site do), not in size or latency.
# Needs root and: iproute2, tcpdump, python3, curl, dig. Everything is bounded by timeouts; the lab is removed on exit.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lab/netns.sh
. "$here/netns.sh"

[[ $(id -u) == 0 ]] || lab_die "needs root (ip netns, raw sockets)"
for tool in ip tcpdump python3 curl dig timeout sshd; do
    command -v "$tool" >/dev/null 2>&1 || [[ -x /usr/sbin/$tool ]] || lab_die "missing tool: $tool"
done
export PATH="$PATH:/usr/sbin:/sbin"

outdir=${1:-captures}
mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)
count=${3:-30}
[[ $count =~ ^[0-9]+$ ]] && ((count >= 3 && count <= 500)) || lab_die "COUNT must be 3..500"
state=$(mktemp -d /tmp/slips-beacons.XXXXXX)
LAB_PREFIX=${2:-$(printf 'sb%04x' $((RANDOM % 65536)))}
lab_check_prefix "$LAB_PREFIX"
cd "$state"

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    lab_capture_stop 0 || true
    lab_down "$LAB_PREFIX" || true
    rm -rf "$state"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
step() { "$@" & wait $!; }

# rand_between LO HI: a decimal number uniformly in [LO, HI] (awk, seeded per call).
rand_between() { awk -v lo="$1" -v hi="$2" -v s="$RANDOM" 'BEGIN { srand(s); printf "%.2f", lo + rand() * (hi - lo) }'; }

lab_up "$LAB_PREFIX"
lab_start_services "$state/srv"
ua='Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0'

# A web application on :8080 with server think time and varied answer sizes.
cat >"$state/app.py" <<'PY'
import http.server, random, sys, time
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        time.sleep(random.uniform(0.15, 0.6))
        body = b"x" * random.randint(200, 6000)
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer((sys.argv[1], 8080), H).serve_forever()
PY
lab_bg srv "$state/app.log" timeout 900 /usr/bin/python3 "$state/app.py" "$LAB_SERVER_IP" >/dev/null
lab_wait_tcp cli "$LAB_SERVER_IP" 8080 10

beacon() {
    local lo=$1 hi=$2 i
    for ((i = 0; i < count; i++)); do
        step lab_exec att timeout 10 curl -sS -o /dev/null -A "curl/8" "http://$LAB_SERVER_IP:8080/task" || true
        step sleep "$(rand_between "$lo" "$hi")"
    done
}

lab_log "beacon-periodic.pcap: $count requests every 2 s from $LAB_ATTACKER_IP"
lab_capture_start att "$state/beacon-periodic.pcap" 512
beacon 2.0 2.0
lab_capture_stop 1

lab_log "beacon-jitter.pcap: $count requests 2.0-3.6 s apart from $LAB_ATTACKER_IP"
lab_capture_start att "$state/beacon-jitter.pcap" 512
beacon 2.0 3.6
lab_capture_stop 1

lab_log "browsing.pcap: $count bursts of page loads from $LAB_CLIENT_IP"
pages=(index news shop docs api style.css app.js logo.png)
lab_capture_start cli "$state/browsing.pcap" 512
for ((b = 0; b < count; b++)); do
    n=$((1 + RANDOM % 4))
    for ((k = 0; k < n; k++)); do
        page=${pages[RANDOM % ${#pages[@]}]}
        step lab_exec cli timeout 10 curl -sS -o /dev/null -A "$ua" "http://$LAB_SERVER_IP:8080/$page" || true
        step sleep "$(rand_between 0.1 0.8)"
    done
    step sleep "$(rand_between 1 12)"
done
lab_capture_stop 1

for f in beacon-periodic beacon-jitter browsing; do
    cp "$state/$f.pcap" "$outdir/$f.pcap"
    lab_log "$f.pcap: $(tcpdump -nr "$outdir/$f.pcap" 2>/dev/null | wc -l) packets"
done
