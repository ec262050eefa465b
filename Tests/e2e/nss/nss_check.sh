#!/bin/bash
# nss_check.sh FORMAT ROOT CHECKS
#
# Resolves users and groups written by `sunk-bridge sync --root ROOT --nss-format FORMAT` through the
# real glibc NSS modules, inside a private mount namespace. The host's /etc, /var/lib/extrausers and
# /var/lib/sunk-bridge are never modified: every change is a mount that exists only inside
# `unshare --mount`.
#
#   extrausers: a test nsswitch.conf (passwd/group/shadow: files extrausers) is bind-mounted over
#               /etc/nsswitch.conf and ROOT/var/lib/extrausers over /var/lib/extrausers.
#   cache:      libnss-cache's paths are compiled in (/etc/*.cache), so an overlayfs is mounted over
#               /etc (upper and work dirs in a scratch dir), the test nsswitch.conf (files cache) is
#               copied in, then ROOT/etc/*.cache and, after them, the index files, as they are (cp -Pp:
#               links stay links; a regular file keeps its mtime: an index older than its data is
#               ignored by the module).
#   both:       the node files are relative links into ROOT/var/lib/sunk-bridge/current (generations,
#               docs/snapshot.md), e.g. passwd -> ../sunk-bridge/current/passwd, so ROOT/var/lib/sunk-bridge
#               is bind-mounted over /var/lib/sunk-bridge too and the links resolve as on a node.
#
# Mount points that do not exist on the host (/var/lib/extrausers, /var/lib/sunk-bridge) are created
# empty for the mounts and removed afterwards; existing ones are never modified.
#
# CHECKS is a file of lines `REGEX<TAB>COMMAND [ARGS…]` (e.g. `^ada:x:100001:	getent passwd ada`); each
# command runs inside the namespace and must exit 0 with output matching the extended regex. A line
# whose REGEX is `!` expects a non-zero exit (a negative lookup).
#
# Exit: 0 all checks passed; 1 a check failed or the host /etc changed; 2 usage or not root;
# 3 an NSS module is missing (apt-get install libnss-extrausers libnss-cache).
set -euo pipefail
FORMAT=${1:-}; ROOT=${2:-}; CHECKS=${3:-}
[ -n "$FORMAT" ] && [ -d "$ROOT" ] && [ -f "$CHECKS" ] || { echo "usage: $0 extrausers|cache ROOT CHECKS" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "nss_check.sh: must run as root (mount namespaces need CAP_SYS_ADMIN)" >&2; exit 2; }
command -v unshare >/dev/null || { echo "nss_check.sh: unshare (util-linux) is missing" >&2; exit 2; }
case $FORMAT in
  extrausers) LIB=libnss_extrausers.so.2 PKG=libnss-extrausers ;;
  cache) LIB=libnss_cache.so.2 PKG=libnss-cache ;;
  *) echo "nss_check.sh: format must be extrausers or cache" >&2; exit 2 ;;
esac
have_lib() { local f; for f in /usr/lib/"$1" /usr/lib/*/"$1" /lib/*/"$1"; do [ -e "$f" ] && return 0; done; return 1; }
have_lib "$LIB" || { echo "nss_check.sh: $LIB not found: apt-get install $PKG" >&2; exit 3; }

S=$(mktemp -d /tmp/nss-check.XXXXXX)
CREATED_EU=0
CREATED_SB=0
CREATED_RUN_MOUNT=0; [ -d /run/mount ] || CREATED_RUN_MOUNT=1   # libmount creates it on first mount
etc_fingerprint() { ls -la --time-style=full-iso /etc | sha256sum; sha256sum /etc/nsswitch.conf; }
ETC_BEFORE=$(etc_fingerprint)
cleanup() {
  set +e
  [ "$CREATED_EU" = 1 ] && rmdir /var/lib/extrausers
  [ "$CREATED_SB" = 1 ] && rmdir /var/lib/sunk-bridge
  [ "$CREATED_RUN_MOUNT" = 1 ] && rmdir /run/mount 2>/dev/null
  rm -rf "$S"
}
trap cleanup EXIT

printf 'passwd: files %s\ngroup: files %s\nshadow: files %s\nhosts: files\n' "$FORMAT" "$FORMAT" "$FORMAT" > "$S/nsswitch.conf"
mkdir -p "$S/upper" "$S/work"

cat > "$S/run_checks.sh" <<'INNER'
#!/bin/bash
# Runs each check of CHECKS; prints ok/FAIL lines; exits with the number of failures.
set -uo pipefail
fmt=$1 checks=$2 fails=0
while IFS=$'\t' read -r re cmd; do
  [ -z "$re" ] && continue
  out=$(bash -c "$cmd" 2>&1); rc=$?
  if [ "$re" = "!" ]; then
    if [ $rc != 0 ]; then printf 'ok   %-10s %-34s exit %s (not found, as expected)\n' "$fmt" "$cmd" "$rc"
    else printf 'FAIL %-10s %-34s expected not found, got: %s\n' "$fmt" "$cmd" "${out:0:200}"; fails=$((fails+1)); fi
  elif [ $rc = 0 ] && [[ $out =~ $re ]]; then printf 'ok   %-10s %-34s %s\n' "$fmt" "$cmd" "${out:0:120}"
  else printf 'FAIL %-10s %-34s rc=%s want /%s/ got: %s\n' "$fmt" "$cmd" "$rc" "$re" "${out:0:200}"; fails=$((fails+1)); fi
done < "$checks"
exit $fails
INNER
chmod 0755 "$S/run_checks.sh"

FAILS=0
[ -d "$ROOT/var/lib/sunk-bridge" ] || { echo "nss_check.sh: $ROOT/var/lib/sunk-bridge missing (run sync first)" >&2; exit 2; }
[ -d /var/lib/sunk-bridge ] || { mkdir -m 0755 /var/lib/sunk-bridge; CREATED_SB=1; }   # mount point only
if [ "$FORMAT" = extrausers ]; then
  [ -d "$ROOT/var/lib/extrausers" ] || { echo "nss_check.sh: $ROOT/var/lib/extrausers missing (run sync first)" >&2; exit 2; }
  [ -d /var/lib/extrausers ] || { mkdir -m 0755 /var/lib/extrausers; CREATED_EU=1; }   # mount point only
  unshare --mount --propagation private /bin/bash -c '
    set -e; S=$1; ROOT=$2; shift 2
    mount --bind "$S/nsswitch.conf" /etc/nsswitch.conf
    mount --bind "$ROOT/var/lib/extrausers" /var/lib/extrausers
    mount --bind "$ROOT/var/lib/sunk-bridge" /var/lib/sunk-bridge
    exec "$S/run_checks.sh" "$@"' _ "$S" "$ROOT" extrausers "$CHECKS" || FAILS=$?
else
  ls "$ROOT"/etc/passwd.cache.ixuid >/dev/null || { echo "nss_check.sh: $ROOT/etc/*.cache missing (run sync --nss-format cache first)" >&2; exit 2; }
  unshare --mount --propagation private /bin/bash -c '
    set -e; S=$1; ROOT=$2; shift 2
    mount --bind "$ROOT/var/lib/sunk-bridge" /var/lib/sunk-bridge
    mount -t overlay overlay -o "lowerdir=/etc,upperdir=$S/upper,workdir=$S/work" /etc
    cp "$S/nsswitch.conf" /etc/nsswitch.conf
    cp -Pp "$ROOT"/etc/*.cache /etc/        # data first ...
    cp -Pp "$ROOT"/etc/*.cache.ix* /etc/    # ... then indexes (index mtime >= data mtime)
    exec "$S/run_checks.sh" "$@"' _ "$S" "$ROOT" cache "$CHECKS" || FAILS=$?
fi

if [ "$ETC_BEFORE" = "$(etc_fingerprint)" ]; then echo "ok   host /etc listing and nsswitch.conf unchanged"
else echo "FAIL host /etc changed"; FAILS=$((FAILS + 1)); fi
if [ "$FAILS" = 0 ]; then echo "ALL CHECKS PASSED"; else echo "$FAILS CHECK(S) FAILED"; exit 1; fi
