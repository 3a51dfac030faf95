# Sourced by the bench scripts (after they set $home): the Debian packages they need, the build they time and the
# capture they time it on.

# bench_install SCRIPT PACKAGE...: installs the Debian packages when root (refreshing the package lists first when
# they are missing, as on a fresh machine, whose apt-get install cannot locate anything); otherwise names them and fails.
bench_install() {
  local script="$1"; shift
  [ "$#" -gt 0 ] || return 0
  if [ "$(id -u)" != 0 ]; then echo "$script: missing $* (run as root to install, or apt-get install them)" >&2; exit 1; fi
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null 2>&1; then
    apt-get update -q >/dev/null 2>&1 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null || { echo "$script: could not install $*" >&2; exit 1; }
  fi
}

# bench_build DIR: copies the Release build into DIR and sets the slips command array to run that copy. The ./slips
# launcher rebuilds whenever a source file is newer than its build, and a rebuild inside a timed run (someone saving a
# file) once showed up as "30 s of CPU on the Zeek path". SLIPS_BIN=DIR times an already published build instead,
# published as ./slips does it: the native build, dotnet publish src/SlipsP2P.Cli -c Release -r linux-x64
# -p:PublishAot=true -o DIR, or the composite ReadyToRun one, --self-contained true
# -p:PublishReadyToRun=true -p:PublishReadyToRunComposite=true (16-30% slower than native on the e2e inputs;
# framework-dependent ReadyToRun costs 15-20% more CPU than the composite, and without ReadyToRun the JIT adds about 8%).
bench_build() {
  local dest="$1" from="${SLIPS_BIN:-}"
  if [ -z "$from" ]; then "$home/slips" --help >/dev/null; from="$home/.slips-build"; fi
  rm -rf "$dest"; cp -r "$from" "$dest"
  export SLIPS_HOME="$home"
  if [ -f "$dest/slips.dll" ]; then slips=(dotnet "$dest/slips.dll"); bench_kind="ReadyToRun or JIT (dotnet slips.dll)"
  else slips=("$dest/slips"); bench_kind="native (Native AOT)"; fi
}

# bench_capture PACKETS PCAP: makes the generated capture (deterministic from the seed) unless it and its summary
# (PCAP.json: packets, flows, what the generator put in) are already there.
bench_capture() {
  local packets="$1" pcap="$2"
  if [ ! -f "$pcap" ] || [ ! -s "$pcap.json" ]; then
    echo "generating $pcap ..." >&2
    "${slips[@]}" tools gen-pcap --seed 1 --packets "$packets" -o "$pcap" > "$pcap.json"
  fi
}

# bench_conn PCAP CONN: makes the Zeek conn.log of the capture (slips -D --write-flows, no detection) unless the same
# build (slips --version, in CONN.version) already made it: the uids in it are the build's, and a build that makes them
# differently (numbered uids, which the detectors keep as numbers) would otherwise be timed on another build's log.
bench_conn() {
  local pcap="$1" conn="$2" version
  version=$("${slips[@]}" --version)
  if [ ! -s "$conn" ] || [ "$(cat "$conn.version" 2>/dev/null)" != "$version" ]; then
    rm -rf "$conn.flows"
    "${slips[@]}" -f "$pcap" -o "$conn.flows" -D --write-flows --no-progress >/dev/null
    cp "$conn.flows/conn.log" "$conn"
    echo "$version" > "$conn.version"
  fi
}
