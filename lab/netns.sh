#!/usr/bin/env bash
# Network-namespace lab for SlipsP2P: reusable functions (source this file) and a small CLI.
#
# Topology (every address lives only inside namespaces created here; nothing is routed to the host):
#
#   LAN 10.77.0.0/24, fd77::/64                         servers 10.77.1.0/24, fd77:0:0:1::/64
#   <p>-att  10.77.0.5   (attacker) --+              +-- <p>-v1  10.77.1.10 (victim)
#   <p>-cli  10.77.0.6   (benign)   --+-- <p>-rt  ---+-- <p>-v2  10.77.1.11 (victim)
#                                      br0 .0.1      +-- <p>-v3  10.77.1.12 (victim)
#                                      br1 .1.1      +-- <p>-srv 10.77.1.20 (sshd, HTTP, DNS)
#
# The router namespace holds two bridges and forwards between them, so that probes to addresses with
# no host behind them (10.77.1.13-30) still leave the attacker as IP packets (to the router's MAC)
# instead of stopping at ARP, as they would on a flat segment. Each host sees the lab as eth0.
#
# CLI (for tests that drive the lab step by step):
#   lab/netns.sh up PREFIX          create the lab (namespaces PREFIX-att, PREFIX-rt ...)
#   lab/netns.sh down PREFIX        stop every process inside the lab's namespaces and delete them
#   lab/netns.sh pair PREFIX [IPV4_A/LEN IPV4_B/LEN]   two namespaces PREFIX-a, PREFIX-b joined by a veth pair (eth0 each)
#   lab/netns.sh exec PREFIX HOST CMD...   run CMD inside PREFIX-HOST
#   lab/netns.sh services PREFIX DIR       start sshd, HTTP and DNS on the server (state in DIR)
# PREFIX: 2-8 characters [a-z0-9]. Needs root, iproute2, and for services openssh-server and python3.

LAB_ATTACKER_IP=10.77.0.5
LAB_CLIENT_IP=10.77.0.6
LAB_ROUTER_LAN_IP=10.77.0.1
LAB_ROUTER_SRV_IP=10.77.1.1
LAB_VICTIM_IPS=(10.77.1.10 10.77.1.11 10.77.1.12)
LAB_SERVER_IP=10.77.1.20
LAB_SERVER_IP6=fd77:0:0:1::20
LAB_DOMAIN=lab.test

lab_log() { printf '[lab %s] %s\n' "$(date +%T)" "$*" >&2; }
lab_die() { printf '[lab] error: %s\n' "$*" >&2; exit 1; }

# lab_ns HOST: the namespace name of HOST (att, cli, rt, v1, v2, v3, srv) in the current lab.
lab_ns() { printf '%s-%s' "${LAB_PREFIX:?LAB_PREFIX not set}" "$1"; }

# lab_exec HOST CMD...: runs CMD inside HOST's namespace.
lab_exec() { local h=$1; shift; ip netns exec "$(lab_ns "$h")" "$@"; }

lab_check_prefix() {
    [[ $1 =~ ^[a-z0-9]{2,8}$ ]] || lab_die "bad lab prefix '$1' (want 2-8 characters a-z0-9)"
}

# lab_add_host HOST BRIDGE IPV4/LEN IPV6/LEN GW4 GW6: a namespace wired to a bridge in the router namespace.
lab_add_host() {
    local host=$1 br=$2 ip4=$3 ip6=$4 gw4=$5 gw6=$6
    local ns rt
    ns=$(lab_ns "$host"); rt=$(lab_ns rt)
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
        net.ipv6.conf.default.router_solicitations=0 net.ipv6.conf.all.router_solicitations=0
    # The peer is created straight in the router namespace: nothing appears in the host's namespace.
    ip -n "$ns" link add eth0 type veth peer name "p-$host" netns "$rt"
    ip -n "$rt" link set "p-$host" master "$br" up
    ip -n "$ns" addr add "$ip4" dev eth0
    ip -n "$ns" addr add "$ip6" dev eth0 nodad
    ip -n "$ns" link set eth0 up
    ip -n "$ns" route add default via "$gw4"
    ip -n "$ns" -6 route add default via "$gw6"
}

# lab_up PREFIX: creates the whole topology; LAB_PREFIX is set for the other functions.
lab_up() {
    lab_check_prefix "$1"
    LAB_PREFIX=$1
    local rt
    rt=$(lab_ns rt)
    if ip netns list | grep -q "^$LAB_PREFIX-"; then lab_die "a lab with prefix $LAB_PREFIX already exists"; fi
    lab_log "creating lab $LAB_PREFIX"
    ip netns add "$rt"
    ip -n "$rt" link set lo up
    ip netns exec "$rt" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
        net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
    local br
    for br in br0 br1; do
        ip -n "$rt" link add "$br" type bridge
        ip -n "$rt" link set "$br" up
    done
    ip -n "$rt" addr add "$LAB_ROUTER_LAN_IP/24" dev br0
    ip -n "$rt" addr add fd77::1/64 dev br0 nodad
    ip -n "$rt" addr add "$LAB_ROUTER_SRV_IP/24" dev br1
    ip -n "$rt" addr add fd77:0:0:1::1/64 dev br1 nodad

    lab_add_host att br0 "$LAB_ATTACKER_IP/24" fd77::5/64 "$LAB_ROUTER_LAN_IP" fd77::1
    lab_add_host cli br0 "$LAB_CLIENT_IP/24" fd77::6/64 "$LAB_ROUTER_LAN_IP" fd77::1
    local i
    for i in 0 1 2; do
        lab_add_host "v$((i + 1))" br1 "${LAB_VICTIM_IPS[$i]}/24" "fd77:0:0:1::$((10 + i))/64" "$LAB_ROUTER_SRV_IP" fd77:0:0:1::1
    done
    lab_add_host srv br1 "$LAB_SERVER_IP/24" "$LAB_SERVER_IP6/64" "$LAB_ROUTER_SRV_IP" fd77:0:0:1::1
    # Warm the router's neighbour cache for the real hosts, so the first probes are not lost to ARP.
    for i in "${LAB_VICTIM_IPS[@]}" "$LAB_SERVER_IP"; do
        lab_tcp_probe rt "$i" 9 1 || true
    done
}

# lab_down PREFIX: stops every process still running inside the lab's namespaces, then deletes them.
lab_down() {
    lab_check_prefix "$1"
    local ns pids
    for ns in $(ip netns list | awk '{print $1}' | grep "^$1-" || true); do
        pids=$(ip netns pids "$ns" 2>/dev/null || true)
        if [[ -n $pids ]]; then
            # shellcheck disable=SC2086 # one pid per word on purpose
            kill $pids 2>/dev/null || true
            for _ in 1 2 3 4 5 6 7 8 9 10; do
                [[ -z $(ip netns pids "$ns" 2>/dev/null) ]] && break
                sleep 0.2
            done
            pids=$(ip netns pids "$ns" 2>/dev/null || true)
            # shellcheck disable=SC2086
            if [[ -n $pids ]]; then kill -9 $pids 2>/dev/null || true; fi
        fi
        ip netns del "$ns" 2>/dev/null || true
    done
}

# lab_tcp_probe HOST IP PORT SECONDS: succeeds when IP:PORT accepts a TCP connection from HOST.
lab_tcp_probe() {
    lab_exec "$1" timeout "$4" bash -c "exec 3<>/dev/tcp/$2/$3" 2>/dev/null
}

# lab_wait_tcp HOST IP PORT SECONDS: waits until IP:PORT accepts connections from HOST.
lab_wait_tcp() {
    local deadline=$((SECONDS + $4))
    while ((SECONDS < deadline)); do
        lab_tcp_probe "$1" "$2" "$3" 1 && return 0
        sleep 0.2
    done
    lab_die "$2:$3 did not accept connections from $1 within $4 s"
}

# lab_bg HOST LOGFILE CMD...: starts CMD in HOST's namespace in the background; prints its pid.
lab_bg() {
    local h=$1 logf=$2; shift 2
    ip netns exec "$(lab_ns "$h")" "$@" >"$logf" 2>&1 &
    echo $!
}

# lab_start_services DIR: sshd (password auth, MaxAuthTries 2 so hydra reconnects for about every password; throwaway host key),
# two HTTP servers (IPv4 and IPv6) and a DNS responder for *.lab.test on the server namespace.
lab_start_services() {
    local dir=$1
    mkdir -p "$dir/www" "$dir/ssh"
    local name
    for name in index news shop docs api; do
        printf '<html><head><title>%s</title></head><body><h1>%s.%s</h1><p>lab page</p></body></html>\n' \
            "$name" "$name" "$LAB_DOMAIN" >"$dir/www/$name.html"
    done
    cp "$dir/www/index.html" "$dir/www/index.htm"

    ssh-keygen -q -t ed25519 -N '' -C slips-lab -f "$dir/ssh/host_ed25519" >/dev/null
    cat >"$dir/ssh/sshd_config" <<EOF
ListenAddress $LAB_SERVER_IP
Port 22
HostKey $dir/ssh/host_ed25519
PidFile $dir/ssh/sshd.pid
UsePAM no
PasswordAuthentication yes
KbdInteractiveAuthentication no
PubkeyAuthentication no
PermitRootLogin no
MaxAuthTries 2
MaxStartups 64
LoginGraceTime 15
StrictModes no
UseDNS no
AuthorizedKeysFile none
EOF
    mkdir -p /run/sshd # privilege separation directory that sshd insists on
    lab_bg srv "$dir/sshd.log" timeout 900 "$(command -v sshd || echo /usr/sbin/sshd)" -D -e -f "$dir/ssh/sshd_config" >/dev/null
    lab_bg srv "$dir/http4.log" timeout 900 /usr/bin/python3 -m http.server 80 --bind "$LAB_SERVER_IP" --directory "$dir/www" >/dev/null
    lab_bg srv "$dir/http6.log" timeout 900 /usr/bin/python3 -m http.server 80 --bind "$LAB_SERVER_IP6" --directory "$dir/www" >/dev/null
    lab_bg srv "$dir/dns.log" timeout 900 /usr/bin/python3 "$(dirname "${BASH_SOURCE[0]}")/dns-responder.py" \
        "$LAB_SERVER_IP" "$LAB_DOMAIN" "$LAB_SERVER_IP" "$LAB_SERVER_IP6" >/dev/null
    lab_wait_tcp cli "$LAB_SERVER_IP" 22 10
    lab_wait_tcp cli "$LAB_SERVER_IP" 80 10
    lab_wait_tcp cli "$LAB_SERVER_IP6" 80 10
    for _ in $(seq 1 50); do
        grep -q ready "$dir/dns.log" 2>/dev/null && return 0
        sleep 0.1
    done
    lab_die "DNS responder did not start (see $dir/dns.log)"
}

# lab_capture_start HOST FILE SNAPLEN [FILTER...]: tcpdump on HOST's eth0 into FILE, packet-buffered;
# returns once tcpdump is listening. The capture stops by itself after 10 minutes at the latest.
LAB_CAPTURE_PID=
lab_capture_start() {
    local h=$1 file=$2 snap=$3; shift 3
    local logf="$file.tcpdump.log"
    LAB_CAPTURE_PID=$(lab_bg "$h" "$logf" timeout -s INT 600 tcpdump -i eth0 -n -s "$snap" -U -w "$file" "$@")
    for _ in $(seq 1 100); do
        grep -q 'listening on' "$logf" 2>/dev/null && return 0
        kill -0 "$LAB_CAPTURE_PID" 2>/dev/null || lab_die "tcpdump failed: $(cat "$logf")"
        sleep 0.1
    done
    lab_die "tcpdump did not start within 10 s"
}

# lab_capture_stop: lets the last replies arrive, then stops tcpdump cleanly (SIGINT flushes the file).
lab_capture_stop() {
    [[ -n $LAB_CAPTURE_PID ]] || return 0
    sleep "${1:-1}"
    # The recorded pid is timeout's; it forwards the signal to tcpdump.
    kill -INT "$LAB_CAPTURE_PID" 2>/dev/null || true
    wait "$LAB_CAPTURE_PID" 2>/dev/null || true
    LAB_CAPTURE_PID=
}

# lab_pair_up PREFIX [IPV4_A/LEN IPV4_B/LEN]: two namespaces, PREFIX-a and PREFIX-b, joined by one veth pair (eth0 on
# each side), for tests that capture on a link they own. IPv6 is off, so the link carries only what the test sends
# (no router solicitations); the addresses are set only when given. lab_down PREFIX removes both.
lab_pair_up() {
    lab_check_prefix "$1"
    local a="$1-a" b="$1-b" ns
    if ip netns list | grep -q "^$1-"; then lab_die "namespaces with prefix $1 already exist"; fi
    for ns in "$a" "$b"; do
        ip netns add "$ns"
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
        ip -n "$ns" link set lo up
    done
    ip -n "$a" link add eth0 type veth peer name eth0 netns "$b"
    [[ -n ${2:-} ]] && ip -n "$a" addr add "$2" dev eth0
    [[ -n ${3:-} ]] && ip -n "$b" addr add "$3" dev eth0
    ip -n "$a" link set eth0 up
    ip -n "$b" link set eth0 up
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    set -euo pipefail
    [[ $(id -u) == 0 ]] || lab_die "needs root (ip netns)"
    cmd=${1:-}; shift || true
    case $cmd in
        up) lab_up "${1:?prefix}" ;;
        down) lab_down "${1:?prefix}" ;;
        pair) lab_pair_up "${1:?prefix}" "${2:-}" "${3:-}" ;;
        exec) lab_check_prefix "${1:?prefix}"; LAB_PREFIX=$1; shift; lab_exec "$@" ;;
        services) lab_check_prefix "${1:?prefix}"; LAB_PREFIX=$1; lab_start_services "${2:?state dir}" ;;
        *) echo "usage: $0 up|down PREFIX | pair PREFIX [IPV4_A/LEN IPV4_B/LEN] | exec PREFIX HOST CMD... | services PREFIX DIR" >&2; exit 2 ;;
    esac
fi
