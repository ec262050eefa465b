#!/bin/bash
# sudo_check.sh ROOT CHECKS
#
# Runs the real sudo against the files `sunk-bridge sync --root ROOT --sudo-group …` wrote, inside a
# private mount and PID namespace (`unshare --mount --pid --fork`). The host's /etc and /var/lib are
# never modified: every change is a bind mount that exists only inside the namespace.
#
#   NSS:     a test nsswitch.conf (passwd/group/shadow: files extrausers) over /etc/nsswitch.conf,
#            ROOT/var/lib/extrausers over /var/lib/extrausers and ROOT/var/lib/sunk-bridge over
#            /var/lib/sunk-bridge (the extrausers files are links into its current generation).
#   sudo:    a scratch /etc/sudoers like Debian's (root and %sudo, `@includedir /etc/sudoers.d`, plus
#            `Defaults !fqdn` so no DNS is asked) over /etc/sudoers, and ROOT/etc/sudoers.d (the
#            directory sync writes `sunk-bridge` into) over /etc/sudoers.d.
#
# Mount points that do not exist on the host (/var/lib/extrausers, /var/lib/sunk-bridge) are created
# empty for the mounts and removed afterwards.
#
# CHECKS is a file of lines `REGEX<TAB>COMMAND` run inside the namespace as root (use
# `setpriv --reuid=NAME --regid=GID --init-groups …` to become a user, as a fresh login would: its
# groups come from NSS). The command must exit 0 with output matching the extended regex; a REGEX of
# the form `!RE` expects a non-zero exit and output matching RE (`!` alone: any output).
#
# Exit: 0 all checks passed; 1 a check failed or the host files changed; 2 usage or not root;
# 3 sudo or libnss-extrausers missing (apt-get install sudo libnss-extrausers).
set -euo pipefail
ROOT=${1:-}; CHECKS=${2:-}
[ -d "$ROOT" ] && [ -f "$CHECKS" ] || { echo "usage: $0 ROOT CHECKS" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "sudo_check.sh: must run as root (mount namespaces need CAP_SYS_ADMIN)" >&2; exit 2; }
for tool in unshare setpriv; do
  command -v $tool >/dev/null || { echo "sudo_check.sh: $tool (util-linux) is missing" >&2; exit 2; }
done
[ -x /usr/bin/sudo ] && [ -d /etc/sudoers.d ] || { echo "sudo_check.sh: sudo is not installed: apt-get install sudo" >&2; exit 3; }
have_lib() { local f; for f in /usr/lib/"$1" /usr/lib/*/"$1" /lib/*/"$1"; do [ -e "$f" ] && return 0; done; return 1; }
have_lib libnss_extrausers.so.2 || { echo "sudo_check.sh: libnss_extrausers.so.2 not found: apt-get install libnss-extrausers" >&2; exit 3; }
[ -d "$ROOT/var/lib/extrausers" ] && [ -d "$ROOT/var/lib/sunk-bridge" ] || { echo "sudo_check.sh: run sync --root $ROOT first" >&2; exit 2; }
[ -d "$ROOT/etc/sudoers.d" ] || { echo "sudo_check.sh: $ROOT/etc/sudoers.d missing" >&2; exit 2; }

S=$(mktemp -d /tmp/sudo-check.XXXXXX)
CREATED_EU=0
CREATED_SB=0
CREATED_RUN_MOUNT=0; [ -d /run/mount ] || CREATED_RUN_MOUNT=1   # libmount creates it on first mount
host_fingerprint() {
  ls -la --time-style=full-iso /etc /etc/sudoers.d | sha256sum
  sha256sum /etc/nsswitch.conf /etc/sudoers /etc/passwd /etc/group
  find /etc/sudoers.d -type f -exec sha256sum {} +
}
BEFORE=$(host_fingerprint)
cleanup() {
  set +e
  [ "$CREATED_EU" = 1 ] && rmdir /var/lib/extrausers
  [ "$CREATED_SB" = 1 ] && rmdir /var/lib/sunk-bridge
  [ "$CREATED_RUN_MOUNT" = 1 ] && rmdir /run/mount 2>/dev/null
  rm -rf "$S"
}
trap cleanup EXIT

printf 'passwd: files extrausers\ngroup: files extrausers\nshadow: files extrausers\nhosts: files\n' > "$S/nsswitch.conf"
cat > "$S/sudoers" <<'SUDOERS'
# Scratch /etc/sudoers for sudo_check.sh: Debian's defaults, without DNS.
Defaults	env_reset
Defaults	!fqdn
Defaults	secure_path="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
root	ALL=(ALL:ALL) ALL
%sudo	ALL=(ALL:ALL) ALL
@includedir /etc/sudoers.d
SUDOERS
chmod 0440 "$S/sudoers"

cat > "$S/run_checks.sh" <<'INNER'
#!/bin/bash
# Runs each check of CHECKS; prints ok/FAIL lines; exits with the number of failures.
set -uo pipefail
checks=$1 fails=0
while IFS=$'\t' read -r re cmd; do
  [ -z "$re" ] && continue
  out=$(bash -c "$cmd" 2>&1 </dev/null); rc=$?
  if [ "${re:0:1}" = "!" ]; then
    want=${re:1}
    if [ $rc != 0 ] && { [ -z "$want" ] || [[ $out =~ $want ]]; }; then printf 'ok   %-70s exit %s: %s\n' "$cmd" "$rc" "${out:0:160}"
    else printf 'FAIL %-70s rc=%s want failure /%s/ got: %s\n' "$cmd" "$rc" "$want" "${out:0:300}"; fails=$((fails+1)); fi
  elif [ $rc = 0 ] && [[ $out =~ $re ]]; then printf 'ok   %-70s %s\n' "$cmd" "${out:0:160}"
  else printf 'FAIL %-70s rc=%s want /%s/ got: %s\n' "$cmd" "$rc" "$re" "${out:0:300}"; fails=$((fails+1)); fi
done < "$checks"
exit $fails
INNER
chmod 0755 "$S/run_checks.sh"

[ -d /var/lib/sunk-bridge ] || { mkdir -m 0755 /var/lib/sunk-bridge; CREATED_SB=1; }   # mount point only
[ -d /var/lib/extrausers ] || { mkdir -m 0755 /var/lib/extrausers; CREATED_EU=1; }     # mount point only
FAILS=0
unshare --mount --propagation private --pid --fork --mount-proc /bin/bash -c '
  set -e; S=$1; ROOT=$2; shift 2
  mount --bind "$S/nsswitch.conf" /etc/nsswitch.conf
  mount --bind "$ROOT/var/lib/extrausers" /var/lib/extrausers
  mount --bind "$ROOT/var/lib/sunk-bridge" /var/lib/sunk-bridge
  mount --bind "$S/sudoers" /etc/sudoers
  mount --bind "$ROOT/etc/sudoers.d" /etc/sudoers.d
  exec "$S/run_checks.sh" "$@"' _ "$S" "$ROOT" "$CHECKS" || FAILS=$?

if [ "$BEFORE" = "$(host_fingerprint)" ]; then echo "ok   host /etc (nsswitch.conf, sudoers, sudoers.d, passwd, group) unchanged"
else echo "FAIL host /etc changed"; FAILS=$((FAILS + 1)); fi
if [ "$FAILS" = 0 ]; then echo "ALL CHECKS PASSED"; else echo "$FAILS CHECK(S) FAILED"; exit 1; fi
