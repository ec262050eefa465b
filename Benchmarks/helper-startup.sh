#!/bin/bash
# helper-startup.sh - start-up cost of sunk-authorized-keys against /bin/true, same run.
#
# Usage: Benchmarks/helper-startup.sh HELPER_BINARY [USERS (100000)] [ROUNDS (301)]
#
# Writes a keys cache of USERS users (format: docs/keys-cache.md, generated here with python3 so the
# benchmark does not depend on the sync code) below a root-owned 0755 directory in /run (the helper
# refuses caches below /tmp), then runs, interleaved ROUNDS times: /bin/true, the helper for a user
# that is in the cache (a hit in the middle of the file, 2 keys), and the helper for an unknown user.
# Each sample is the wall time of one fork+exec+wait from bash (EPOCHREALTIME), so both sides pay the
# same shell overhead. Prints min/median per command and the median ratio helper/true (target <= 1.5).
#
# Needs: root (the cache must be root-owned), bash >= 5, python3. Exit 0 unless setup fails or the
# helper's output is wrong; the ratio is reported, not enforced (set MAX_RATIO to enforce it).
# Env: REFERENCE=/path/to/binary adds a fourth command to the rounds (e.g. an empty static Swift
# executable, `@main struct M { static func main() { exit(0) } }`), to show the floor any static
# Swift binary pays on this machine.
set -euo pipefail
HELPER=${1:?usage: helper-startup.sh HELPER_BINARY [USERS] [ROUNDS]}
USERS=${2:-100000}
ROUNDS=${3:-301}
[ "$(id -u)" = 0 ] || { echo "run as root (the keys cache must be root-owned)" >&2; exit 2; }
[ -x "$HELPER" ] || { echo "not executable: $HELPER" >&2; exit 2; }
command -v python3 >/dev/null || { echo "python3 is needed to generate the cache" >&2; exit 2; }

R=$(mktemp -d /run/sunk-bench.XXXXXX)
trap 'rm -rf "$R"' EXIT
chmod 0755 "$R"
mkdir -p -m 0755 "$R/var/lib/sunk-bridge"
python3 - "$R/var/lib/sunk-bridge/keys.cache" "$USERS" <<'EOF'
import base64, os, struct, sys
path, n = sys.argv[1], int(sys.argv[2])
def ed25519(seed):
    raw = os.urandom(32)
    blob = struct.pack(">I", 11) + b"ssh-ed25519" + struct.pack(">I", 32) + raw
    return "ssh-ed25519 " + base64.b64encode(blob).decode()
lines = []
for i in range(n):
    name = "user%06d" % i
    keys = [ed25519(i)] + ([ed25519(i + n) + " laptop"] if i % 2 == 0 else [])
    lines.append((name.encode(), ("%s:%d:%s\n" % (name, 1000000 + i, "\t".join(keys))).encode()))
lines.sort()
data = b"".join(l for _, l in lines)
header = ("sunk-keys-cache\t1\t%d\t%d\t\n" % (len(lines), len(data))).encode()
tmp = path + ".tmp"
with open(tmp, "wb") as f:
    f.write(header + data)
os.chmod(tmp, 0o644)
os.rename(tmp, path)
EOF
HIT=$(printf 'user%06d' $((USERS / 2)))
HIT_UID=$((1000000 + USERS / 2))
SIZE=$(stat -c %s "$R/var/lib/sunk-bridge/keys.cache")

# Sanity: the hit prints 2 keys and exits 0; an unknown user prints nothing and exits 0.
out=$("$HELPER" --root "$R" "$HIT" "$HIT_UID")
[ "$(printf '%s\n' "$out" | grep -c '^ssh-ed25519 ')" = 2 ] || { echo "helper output wrong for the hit: $out" >&2; exit 1; }
out=$("$HELPER" --root "$R" nosuchuser 1234567)
[ -z "$out" ] || { echo "helper printed something for an unknown user" >&2; exit 1; }

declare -a T_TRUE T_HIT T_MISS T_REF
now_us() { local t=$EPOCHREALTIME; echo "${t/./}"; }
for _ in 1 2 3 4 5; do /bin/true; "$HELPER" --root "$R" "$HIT" "$HIT_UID" >/dev/null; done   # warm caches
for _ in $(seq "$ROUNDS"); do
  a=$EPOCHREALTIME; /bin/true; b=$EPOCHREALTIME
  T_TRUE+=($(( ${b/./} - ${a/./} )))
  a=$EPOCHREALTIME; "$HELPER" --root "$R" "$HIT" "$HIT_UID" >/dev/null; b=$EPOCHREALTIME
  T_HIT+=($(( ${b/./} - ${a/./} )))
  a=$EPOCHREALTIME; "$HELPER" --root "$R" nosuchuser 1234567 >/dev/null; b=$EPOCHREALTIME
  T_MISS+=($(( ${b/./} - ${a/./} )))
  if [ -n "${REFERENCE:-}" ]; then
    a=$EPOCHREALTIME; "$REFERENCE" >/dev/null; b=$EPOCHREALTIME
    T_REF+=($(( ${b/./} - ${a/./} )))
  fi
done
med() { printf '%s\n' "$@" | sort -n | awk '{v[NR]=$1} END {print (NR%2)?v[(NR+1)/2]:(v[NR/2]+v[NR/2+1])/2}'; }
mn() { printf '%s\n' "$@" | sort -n | head -1; }
mt=$(med "${T_TRUE[@]}"); mh=$(med "${T_HIT[@]}"); mm=$(med "${T_MISS[@]}")
echo "sunk-authorized-keys start-up, $ROUNDS interleaved rounds, cache of $USERS users ($SIZE bytes)"
echo "helper: $HELPER ($(file -b "$HELPER" | cut -d, -f1-4 | sed 's/, BuildID.*//'))"
printf '/bin/true:             min %6.3f ms  median %6.3f ms\n' "$(awk -v v="$(mn "${T_TRUE[@]}")" 'BEGIN{print v/1000}')" "$(awk -v v="$mt" 'BEGIN{print v/1000}')"
printf 'helper, hit (2 keys):  min %6.3f ms  median %6.3f ms\n' "$(awk -v v="$(mn "${T_HIT[@]}")" 'BEGIN{print v/1000}')" "$(awk -v v="$mh" 'BEGIN{print v/1000}')"
printf 'helper, unknown user:  min %6.3f ms  median %6.3f ms\n' "$(awk -v v="$(mn "${T_MISS[@]}")" 'BEGIN{print v/1000}')" "$(awk -v v="$mm" 'BEGIN{print v/1000}')"
if [ -n "${REFERENCE:-}" ]; then
  mr=$(med "${T_REF[@]}")
  printf 'reference (%s): min %6.3f ms  median %6.3f ms  (%.2fx true)\n' "$(basename "$REFERENCE")" \
    "$(awk -v v="$(mn "${T_REF[@]}")" 'BEGIN{print v/1000}')" "$(awk -v v="$mr" 'BEGIN{print v/1000}')" "$(awk -v h="$mr" -v t="$mt" 'BEGIN{print h/t}')"
fi
ratio=$(awk -v h="$mh" -v t="$mt" 'BEGIN{printf "%.2f", h/t}')
echo "ratio helper(hit)/true (medians): ${ratio}x (target <= 1.5x)"
echo "ratio helper(miss)/true (medians): $(awk -v h="$mm" -v t="$mt" 'BEGIN{printf "%.2f", h/t}')x"
if [ -n "${MAX_RATIO:-}" ] && awk -v r="$ratio" -v m="$MAX_RATIO" 'BEGIN{exit !(r > m)}'; then
  echo "FAIL: ratio $ratio above MAX_RATIO=$MAX_RATIO"; exit 1
fi
