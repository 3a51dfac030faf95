#!/usr/bin/env bash
# Runs every test. As root, first installs what the tests need when it is missing (Debian packages, npm packages).
# With CI=true, tests whose preconditions are missing fail instead of skipping.
set -uo pipefail
home="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$home"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# Debian packages the tests use: real attacks and captures in network namespaces, independent flow tools,
# firewalls. Command -> package.
declare -A need=(
  [nmap]=nmap [tcpdump]=tcpdump [tshark]=tshark [argus]=argus-server [ra]=argus-client [hydra]=hydra
  [sshd]=openssh-server [nfdump]=nfdump [tcpreplay]=tcpreplay [nft]=nftables [iptables]=iptables [ip]=iproute2
  [dig]=dnsutils [curl]=curl [python3]=python3 [flock]=util-linux [capsh]=libcap2-bin
)
missing=()
for cmd in "${!need[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || [ -x "/usr/sbin/$cmd" ] || missing+=("${need[$cmd]}")
done
# A C toolchain to link ./slips' native build (Native AOT: clang or gcc, with binutils); without one the launcher
# builds the composite ReadyToRun instead, and the native build would go untested.
command -v clang >/dev/null 2>&1 || command -v gcc >/dev/null 2>&1 || missing+=(gcc)
# Libraries (no command to look for): libpcap for live capture (slips -i).
ldconfig -p 2>/dev/null | grep -q 'libpcap\.so\.0\.8' || missing+=(libpcap0.8)
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "test.sh: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null 2>&1 || true
    apt-get install -y -q --no-install-recommends "${missing[@]}" >/tmp/slips-test-apt.log 2>&1 \
      || { echo "test.sh: apt-get install failed, see /tmp/slips-test-apt.log"; tail -5 /tmp/slips-test-apt.log; }
  else
    echo "test.sh: not root, so not installing ${missing[*]}; tests that need them will skip"
  fi
fi

# js-libp2p peers for the interop tests (pinned versions in tests/interop-js/package-lock.json).
if [ -f tests/interop-js/package-lock.json ] && command -v npm >/dev/null 2>&1; then
  if [ ! -d tests/interop-js/node_modules ] || [ tests/interop-js/package-lock.json -nt tests/interop-js/node_modules ]; then
    echo "test.sh: npm ci in tests/interop-js"
    (cd tests/interop-js && npm ci --no-audit --no-fund --loglevel=error) || echo "test.sh: npm ci failed; interop tests will skip (or fail in CI)"
  fi
fi

log="$(mktemp)"
dotnet test SlipsP2P.sln --nologo -v quiet --logger "console;verbosity=minimal" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}

# One plain closing line for the whole run, summed over the test assemblies.
awk '
  /(Passed|Failed)!.*Failed: *[0-9]+, *Passed: *[0-9]+, *Skipped: *[0-9]+/ {
    match($0, /Failed: *[0-9]+/);  f += substr($0, RSTART+7, RLENGTH-7)
    match($0, /Passed: *[0-9]+/);  p += substr($0, RSTART+7, RLENGTH-7)
    match($0, /Skipped: *[0-9]+/); s += substr($0, RSTART+8, RLENGTH-8)
  }
  END { printf "%d passed, %d failed, %d skipped\n", p, f, s }' "$log"
rm -f "$log"
exit "$rc"
