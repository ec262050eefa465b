#!/usr/bin/env bash
# What `make bench` needs beyond scripts/install-deps.sh (only those missing): eatmydata seeds the
# datasets through the real API without fsync (measurements run without it); cc and libsqlite3-dev
# build the C references. The PyPI peer (scim2-server) goes into .build/bench/venv (Benchmarks/run.py).
set -euo pipefail
missing=()
for p in eatmydata gcc libsqlite3-dev util-linux libnss-extrausers libnss-cache; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
[ "$(id -u)" = 0 ] || { echo "bench-deps: missing ${missing[*]}; run as root: apt-get install -y ${missing[*]}" >&2; exit 1; }
echo "bench-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
