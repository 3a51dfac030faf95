#!/usr/bin/env bash
# Builds config/ports.csv (port,protocol,name) from a services list shaped like Slips'
# slips_files/ports_info/services.csv (name,port,protocol,description). Only the port numbers, protocols and
# service names are kept (facts from the IANA registry); descriptions are dropped. TCP and UDP only.
# Usage: config/make-ports.sh [services.csv] > config/ports.csv
set -euo pipefail
src="${1:-/work/shared/datasets/slips-ref/services.csv}"
[[ -r "$src" ]] || { echo "make-ports: cannot read $src" >&2; exit 1; }
echo "# port,protocol,name: known service ports for the unknown-port check; made by config/make-ports.sh"
awk -F, '
  /^[[:space:]]*#/ || NF < 3 { next }
  {
    port = $2; proto = tolower($3); name = $1
    gsub(/[[:space:]]/, "", port); gsub(/[[:space:]]/, "", proto)
    if (proto != "tcp" && proto != "udp") next
    if (port !~ /^[0-9]+(-[0-9]+)?$/) next
    key = port "," proto
    if (!(key in seen)) { seen[key] = 1; print port "," proto "," name }
  }' "$src" | sort -t, -k1,1n -k2,2
