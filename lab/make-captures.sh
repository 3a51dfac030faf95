#!/usr/bin/env bash
# Makes real attack and benign captures in a throwaway network-namespace lab (see lab/netns.sh).
#
# usage: lab/make-captures.sh [OUTDIR [PREFIX]]   (default OUTDIR: ./captures; PREFIX: the lab's namespace prefix,
#        2-8 characters a-z0-9, random by default; a caller that may have to kill this script uses it to clean up
#        with lab/netns.sh down PREFIX)
#
# Writes into OUTDIR:
#   scan.pcap            from the attacker 10.77.0.5: an nmap SYN scan of the top 100 ports of 10.77.1.10
#                        (vertical), a SYN scan of port 80 over 10.77.1.10-30 (horizontal: 4 live hosts,
#                        17 empty addresses), and an ICMP echo sweep of 10.77.1.10-30.
#   ssh-bruteforce.pcap  from the attacker: hydra, 4 tasks, user "admin" and 24 wrong passwords against an
#                        sshd at 10.77.1.20 that closes the connection after its second failed try (about one password per connection).
#   benign.pcap          from the client 10.77.0.6: dig lookups of a few lab.test names followed by HTTP
#                        requests (curl) to the lab web server, in rounds a few seconds apart; no scanning.
# Needs root and: iproute2, nmap, tcpdump, hydra, openssh-server, python3, curl, dnsutils (dig).
# Everything runs inside namespaces created here; every step is bounded by a timeout; the lab is removed on exit.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lab/netns.sh
. "$here/netns.sh"

[[ $(id -u) == 0 ]] || lab_die "needs root (ip netns, raw sockets)"
for tool in ip nmap tcpdump hydra sshd ssh-keygen python3 curl dig timeout; do
    command -v "$tool" >/dev/null 2>&1 || [[ -x /usr/sbin/$tool ]] || lab_die "missing tool: $tool"
done
export PATH="$PATH:/usr/sbin:/sbin"

outdir=${1:-captures}
mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)
state=$(mktemp -d /tmp/slips-lab.XXXXXX)
LAB_PREFIX=${2:-$(printf 'sl%04x' $((RANDOM % 65536)))}
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

# step CMD...: runs CMD in the background and waits for it, so that a signal to this script is acted on at once
# (bash runs a trap only after the foreground command ends).
step() { "$@" & wait $!; }

lab_up "$LAB_PREFIX"
lab_start_services "$state/srv"

lab_log "scan.pcap: vertical, horizontal and ICMP sweeps from $LAB_ATTACKER_IP"
nmap_common=(-n -T4 -r --max-retries 1 --max-rtt-timeout 300ms --host-timeout 60s --stats-every 0 -oN -)
lab_capture_start att "$state/scan.pcap" 128
step lab_exec att timeout 60 nmap -sS -Pn "${nmap_common[@]}" --top-ports 100 "${LAB_VICTIM_IPS[0]}" >"$state/nmap-vertical.txt"
step lab_exec att timeout 60 nmap -sS -Pn "${nmap_common[@]}" -p 80 10.77.1.10-30 >"$state/nmap-horizontal.txt"
step lab_exec att timeout 60 nmap -sn -PE "${nmap_common[@]}" 10.77.1.10-30 >"$state/nmap-icmp.txt"
lab_capture_stop 2

lab_log "ssh-bruteforce.pcap: hydra against $LAB_SERVER_IP:22"
passwords="$state/passwords.txt"
printf '%s\n' 123456 password qwerty letmein dragon monkey football iloveyou admin123 welcome \
    sunshine princess trustno1 abc123 master shadow ashley michael superman batman \
    hunter2 starwars whatever freedom >"$passwords"
lab_capture_start att "$state/ssh-bruteforce.pcap" 512 tcp port 22
step lab_exec att timeout 120 hydra -I -l admin -P "$passwords" -t 4 -w 10 -o "$state/hydra.out" \
    "ssh://$LAB_SERVER_IP" >"$state/hydra.txt" 2>&1 || lab_log "hydra exited non-zero"
lab_capture_stop 2
grep -q 'completed' "$state/hydra.txt" || { cat "$state/hydra.txt" >&2; lab_die "hydra did not complete its run"; }

lab_log "benign.pcap: DNS then HTTP from $LAB_CLIENT_IP"
ua='Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0'
lab_capture_start cli "$state/benign.pcap" 512
for round in 1 2 3 4; do
    for name in www news shop docs; do
        case $round:$name in 2:shop|3:news|4:docs) continue ;; esac
        host="$name.$LAB_DOMAIN"
        ip4=$(lab_exec cli timeout 5 dig +short +tries=1 +time=2 "@$LAB_SERVER_IP" "$host" A | head -n 1)
        [[ $ip4 == "$LAB_SERVER_IP" ]] || lab_die "DNS lookup of $host gave '$ip4'"
        page=index; [[ $name == www ]] || page=$name
        step lab_exec cli timeout 10 curl -sS -o /dev/null -A "$ua" --resolve "$host:80:$ip4" "http://$host/$page.html"
        step sleep 0.5
    done
    if ((round == 2)); then
        ip6=$(lab_exec cli timeout 5 dig +short +tries=1 +time=2 "@$LAB_SERVER_IP" "api.$LAB_DOMAIN" AAAA | head -n 1)
        [[ -n $ip6 ]] || lab_die "AAAA lookup of api.$LAB_DOMAIN failed"
        step lab_exec cli timeout 10 curl -sS -o /dev/null -A "$ua" --resolve "api.$LAB_DOMAIN:80:$ip6" "http://api.$LAB_DOMAIN/api.html"
    fi
    step sleep 4
done
lab_capture_stop 1

for f in scan ssh-bruteforce benign; do
    cp "$state/$f.pcap" "$outdir/$f.pcap"
    lab_log "$f.pcap: $(tcpdump -nr "$outdir/$f.pcap" 2>/dev/null | wc -l) packets, $(stat -c %s "$outdir/$f.pcap") bytes"
done
grep -E 'open|Host is up|done' "$state"/nmap-*.txt >&2 || true
grep -E 'completed|valid password' "$state/hydra.txt" >&2 || true
