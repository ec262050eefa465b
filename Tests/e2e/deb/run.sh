#!/bin/bash
# run.sh DEB - install the sunk-bridge .deb into a scratch root, check it, run `sunk-bridge doctor`
# against a good and a bad login-node set-up, then remove and purge it. The host is never touched.
#
# How: a scratch root S/root gets a copy of the host's /etc and an empty dpkg database. Real dpkg
# installs into it (--instdir/--admindir) with --force-script-chrootless, so the maintainer scripts
# run with DPKG_ROOT=S/root instead of chrooted - inside a private mount namespace
# (unshare --mount) where S/root/etc is bind-mounted over /etc, so adduser/deluser edit the scratch
# copy of passwd/group/shadow. Before and after, the host's account files, nsswitch.conf, sshd
# config and dpkg database are checksummed and must be unchanged.
#
# Needs: root, bash, dpkg, util-linux (unshare, mount), adduser (host), coreutils.
# Optional: /usr/sbin/sshd (the doctor's `sshd -T` path, with a generated host key; the file-text
# path always runs), systemd-analyze (verifies the installed units offline; SKIP_VERIFY=1 skips).
# Env: KEEP=1 keeps the scratch directory. SSHD=path overrides /usr/sbin/sshd.
# Exit status 0 = every check passed; the last line says so.
set -uo pipefail

DEB=${1:-}
[ -n "$DEB" ] && [ -f "$DEB" ] || { echo "usage: $0 path/to/sunk-bridge_VERSION_ARCH.deb" >&2; exit 2; }
DEB=$(readlink -f "$DEB")
[ "$(id -u)" = 0 ] || { echo "run.sh needs root (dpkg, chown, mount namespace)" >&2; exit 2; }
for t in dpkg dpkg-deb unshare mount adduser sha256sum stat; do
  command -v "$t" >/dev/null || { echo "missing tool: $t" >&2; exit 2; }
done
SSHD=${SSHD:-/usr/sbin/sshd}

FAILS=0
ok()   { echo "ok   $*"; }
bad()  { echo "FAIL $*"; FAILS=$((FAILS+1)); }
check() { # DESCRIPTION COMMAND... : ok when the command succeeds
  local what=$1; shift
  if "$@"; then ok "$what"; else bad "$what"; fi
}

S=$(mktemp -d /tmp/sunk-deb-e2e.XXXXXX)
chmod 0755 "$S"
R=$S/root
cleanup() {
  if [ "${KEEP:-0}" = 1 ]; then echo "scratch kept: $S"; else rm -rf "$S"; fi
}
trap cleanup EXIT

# ---- host fingerprint (must be identical at the end) ---------------------------------------
host_state() {
  for f in /etc/passwd /etc/group /etc/shadow /etc/gshadow /etc/nsswitch.conf /etc/ssh/sshd_config \
           /var/lib/dpkg/status; do
    if [ -e "$f" ]; then sha256sum "$f"; else echo "absent $f"; fi
  done
  for p in /usr/bin/sunk-bridge /usr/libexec/sunk-bridge /var/lib/sunk-bridge /etc/sunk-bridge \
           /etc/cron.d/sunk-bridge-sync /lib/systemd/system/sunk-bridge.service /etc/ssh/sshd_config.d/sunk-bridge.conf; do
    if [ -e "$p" ]; then echo "present $p"; else echo "absent $p"; fi
  done
}
host_state > "$S/host.before"

# ---- scratch root ---------------------------------------------------------------------------
mkdir -p "$R" "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates" "$R/var/lib/dpkg/triggers" "$R/var/log"
chmod 0755 "$R"
cp -a /etc "$R/etc"
: > "$R/var/lib/dpkg/status"; : > "$R/var/lib/dpkg/available"
rm -f "$R/etc/ssh/sshd_config.d/sunk-bridge.conf"
# what a login node has before the package: /usr/lib/TRIPLET with the NSS module (a placeholder:
# doctor checks presence), /home
ML=$R/usr/lib/$(dpkg --print-architecture | sed 's/amd64/x86_64/;s/arm64/aarch64/')-linux-gnu
mkdir -p "$ML" "$R/home"
: > "$ML/libnss_extrausers.so.2"
chmod 0755 "$R/usr" "$R/usr/lib" "$ML" "$R/home"
for f in passwd group shadow gshadow; do cp -a "$R/etc/$f" "$S/$f.before"; done
( cd "$R" && find . -path ./var/lib/dpkg -prune -o -path ./var/log -prune -o -print | sort ) > "$S/tree.before"
protected_sums() { # everything under the scratch /etc/ssh, nsswitch.conf, pam.d
  ( cd "$R/etc" && find ssh pam.d nsswitch.conf -type f -print0 2>/dev/null | sort -z | xargs -0 sha256sum )
}
protected_sums > "$S/protected.before"

# dpkg against the scratch root, maintainer scripts chrootless with the scratch /etc bind-mounted
in_ns() { # COMMAND... run in a private mount namespace where /etc is the scratch /etc
  unshare --mount --propagation private /bin/bash -c 'set -e; mount --bind "$1/etc" /etc; shift; exec "$@"' _ "$R" "$@"
}
scratch_dpkg() {
  in_ns dpkg --force-script-chrootless --force-depends --instdir="$R" --admindir="$R/var/lib/dpkg" \
    --log="$R/var/log/dpkg.log" "$@"
}

echo "== install $(basename "$DEB") into $R"
if scratch_dpkg -i "$DEB" > "$S/install.log" 2>&1; then ok "dpkg -i into the scratch root"
else bad "dpkg -i into the scratch root:"; sed 's/^/     /' "$S/install.log"; fi
status=$(dpkg-query --admindir="$R/var/lib/dpkg" -W -f='${Status}' sunk-bridge 2>/dev/null)
check "package state '$status'" test "$status" = "install ok installed"

# ---- shipped files: owners and modes --------------------------------------------------------
echo "== shipped files"
expected_mode() { # path inside the package -> expected octal mode
  case "$1" in
    /usr/bin/sunk-bridge|/usr/libexec/sunk-bridge/*) echo 755 ;;
    *) echo 644 ;;
  esac
}
mapfile -t SHIPPED < <(dpkg-query --admindir="$R/var/lib/dpkg" -L sunk-bridge | grep -v '^/\.$' | sort)
[ "${#SHIPPED[@]}" -gt 10 ] || bad "dpkg lists only ${#SHIPPED[@]} paths"
wrong=0
for p in "${SHIPPED[@]}"; do
  f="$R$p"
  if [ ! -e "$f" ]; then echo "     missing $p"; wrong=$((wrong+1)); continue; fi
  owner=$(stat -c '%U:%G' "$f")
  mode=$(stat -c '%a' "$f")
  if [ -d "$f" ]; then want=755; else want=$(expected_mode "$p"); fi
  if [ "$owner" != root:root ] || [ "$mode" != "$want" ]; then
    echo "     $p is $owner $mode, want root:root $want"; wrong=$((wrong+1))
  fi
  case "$p" in
    /etc/ssh|/etc/ssh/*|/etc/nsswitch.conf|/etc/pam.d/*) echo "     $p must not be shipped"; wrong=$((wrong+1)) ;;
  esac
done
check "all ${#SHIPPED[@]} shipped paths root:root, executables 0755, other files 0644, dirs 0755, none in /etc/ssh, /etc/nsswitch.conf, /etc/pam.d" test "$wrong" = 0
for p in /usr/bin/sunk-bridge /usr/libexec/sunk-bridge/sunk-authorized-keys /lib/systemd/system/sunk-bridge.service \
         /lib/systemd/system/sunk-bridge-sync.service /lib/systemd/system/sunk-bridge-sync.timer /etc/cron.d/sunk-bridge-sync \
         /lib/systemd/system/sunk-bridge-slurm-sync.service /lib/systemd/system/sunk-bridge-slurm-sync.timer \
         /usr/share/doc/sunk-bridge/examples/sshd_config.d/sunk-bridge.conf /usr/share/doc/sunk-bridge/examples/nsswitch.conf.snippet \
         /usr/share/doc/sunk-bridge/copyright; do
  check "ships $p" test -f "$R$p"
done
# helper: it and every parent up to the scratch root root-owned, not group/world-writable
parents_ok=1; d=$R/usr/libexec/sunk-bridge/sunk-authorized-keys
while :; do
  m=$(stat -c '%a %u' "$d"); perm=${m% *}; uid=${m#* }
  if [ "$uid" != 0 ] || [ $(( 8#$perm & 8#022 )) != 0 ]; then echo "     $d: mode $perm uid $uid"; parents_ok=0; fi
  [ "$d" = "$R" ] && break; d=$(dirname "$d")
done
check "helper and every parent directory root-owned and not group/world-writable" test "$parents_ok" = 1
conffiles=$(dpkg-query --admindir="$R/var/lib/dpkg" -W -f='${Conffiles}' sunk-bridge | awk '{print $1}' | sort | tr '\n' ' ')
check "conffiles: $conffiles" test "$conffiles" = "/etc/cron.d/sunk-bridge-sync /etc/default/sunk-bridge /etc/default/sunk-bridge-sync "
protected_sums > "$S/protected.after"
check "scratch /etc/ssh, /etc/nsswitch.conf and /etc/pam.d unchanged by installing" cmp -s "$S/protected.before" "$S/protected.after"
check "the sshd snippet is not active (no /etc/ssh/sshd_config.d/sunk-bridge.conf)" test ! -e "$R/etc/ssh/sshd_config.d/sunk-bridge.conf"
check "example sshd snippet has every directive commented out" \
  bash -c '! grep -qiE "^[[:space:]]*AuthorizedKeysCommand" "$1"' _ "$R/usr/share/doc/sunk-bridge/examples/sshd_config.d/sunk-bridge.conf"

# ---- users and directories made by postinst -------------------------------------------------
echo "== postinst"
keys=$(grep '^sunk-bridge-keys:' "$R/etc/passwd")
svc=$(grep '^sunk-bridge:' "$R/etc/passwd")
IFS=: read -r _ _ kuid _ _ khome kshell <<< "$keys"
IFS=: read -r _ _ suid sgid _ shome sshell <<< "$svc"
check "user sunk-bridge-keys: system uid ($kuid), home $khome, shell $kshell" \
  test -n "$keys" -a "${kuid:-0}" -gt 0 -a "${kuid:-1000}" -lt 1000 -a "$khome" = /nonexistent -a "$kshell" = /usr/sbin/nologin
check "home of sunk-bridge-keys not created" test ! -e "$R/nonexistent"
check "user sunk-bridge: system uid ($suid), home $shome, shell $sshell" \
  test -n "$svc" -a "${suid:-0}" -gt 0 -a "${suid:-1000}" -lt 1000 -a "$shome" = /var/lib/sunk-bridge/server -a "$sshell" = /usr/sbin/nologin
check "group sunk-bridge is the primary group of sunk-bridge" \
  test "$(awk -F: '$1=="sunk-bridge"{print $3}' "$R/etc/group")" = "${sgid:-x}"
check "/var/lib/sunk-bridge root:root 0755 (the key helper needs root-owned parents of its cache)" \
  test "$(stat -c '%U:%G %a' "$R/var/lib/sunk-bridge")" = "root:root 755"
check "/var/lib/sunk-bridge/server sunk-bridge:sunk-bridge 0750" \
  test "$(stat -c '%u %g %a' "$R/var/lib/sunk-bridge/server")" = "$suid $sgid 750"
check "no user added on the host" bash -c '! grep -q "^sunk-bridge" /etc/passwd'
out=$(in_ns "$R/usr/libexec/sunk-bridge/sunk-bridge-sync-cron" 2>&1); rc=$?
check "cron wrapper is inert before the node is configured (rc=$rc, output '${out}')" test "$rc" = 0 -a -z "$out"

# ---- systemd units, verified offline --------------------------------------------------------
if [ "${SKIP_VERIFY:-0}" = 1 ]; then
  echo "obs  systemd-analyze verify skipped (SKIP_VERIFY=1)"
elif command -v systemd-analyze >/dev/null && [ -d /lib/systemd/system ]; then
  V=$S/verify; mkdir -p "$V/lib/systemd" "$V/usr/bin"
  cp -a /lib/systemd/system "$V/lib/systemd/"
  cp "$R"/lib/systemd/system/sunk-bridge* "$V/lib/systemd/system/"
  cp "$R/usr/bin/sunk-bridge" "$V/usr/bin/"
  if systemd-analyze verify --man=no --root="$V" "$V"/lib/systemd/system/sunk-bridge.service \
       "$V"/lib/systemd/system/sunk-bridge-sync.service "$V"/lib/systemd/system/sunk-bridge-sync.timer \
       "$V"/lib/systemd/system/sunk-bridge-slurm-sync.service "$V"/lib/systemd/system/sunk-bridge-slurm-sync.timer > "$S/verify.log" 2>&1
  then ok "systemd-analyze verify: the five units"
  else bad "systemd-analyze verify:"; sed 's/^/     /' "$S/verify.log"; fi
else
  bad "systemd-analyze not available (apt-get install systemd, or SKIP_VERIFY=1)"
fi

# ---- doctor: good and bad node set-ups ------------------------------------------------------
echo "== doctor"
BIN=$R/usr/bin/sunk-bridge
mkdir -p "$S/good" "$S/bad"
STATE=$R/var/lib/sunk-bridge
echo "placeholder database, must survive purge" > "$STATE/server/sunk-bridge.sqlite"
echo "# keys cache placeholder" > "$STATE/keys.cache"; chmod 0644 "$STATE/keys.cache"
now=$(date -u +%Y-%m-%dT%H:%M:%SZ); old=$(date -u -d '-2 days' +%Y-%m-%dT%H:%M:%SZ)
write_state() { # LASTSUCCESS RESULT ERROR
  printf '{\n  "format" : "extrausers",\n  "lastAttempt" : "%s",\n  "lastError" : %s,\n  "lastResult" : "%s",\n  "lastSuccess" : "%s",\n  "serial" : 42,\n  "skipped" : [ ]\n}\n' \
    "$now" "$3" "$2" "$1" > "$STATE/state.json"
}
HOSTKEY=""
if [ -x "$SSHD" ] && command -v ssh-keygen >/dev/null; then
  ssh-keygen -q -t ed25519 -N '' -f "$S/hostkey" -C deb-e2e && HOSTKEY="HostKey $S/hostkey"
fi
printf 'passwd:   files extrausers systemd\ngroup:    files extrausers systemd\nshadow:   files extrausers\nhosts:    files dns\n' \
  > "$S/good/nsswitch.conf"
cat > "$S/good/sshd_config" <<CONF
$HOSTKEY
PidFile none
UsePAM no
# the packaged example, uncommented
AuthorizedKeysCommand /usr/libexec/sunk-bridge/sunk-authorized-keys %u %U
AuthorizedKeysCommandUser sunk-bridge-keys
CONF
printf 'alice:3000000000:65536\n' > "$R/etc/subuid"; printf 'alice:3000000000:65536\n' > "$R/etc/subgid"
write_state "$now" applied null
mkdir -p "$R/etc/sunk-bridge"
printf 'sunk-bridge-ed25519 %s default\n' "$(head -c 32 /dev/urandom | base64)" > "$R/etc/sunk-bridge/trust.pub"

run_doctor() { # NAME EXTRA-ARGS... ; output in $S/doctor-NAME.out, status in $DRC
  # sshd -T wants its privilege separation directory /run/sshd (made when the ssh service starts):
  # doctor runs in a private mount namespace with a fresh tmpfs on /run that has it.
  local name=$1; shift
  unshare --mount --propagation private /bin/bash -c \
    'mount -t tmpfs -o mode=0755 sunk-run /run && mkdir -m 0755 /run/sshd && exec "$@"' _ \
    "$BIN" doctor --root "$R" "$@" > "$S/doctor-$name.out" 2>&1; DRC=$?
  sed 's/^/     | /' "$S/doctor-$name.out"
}
expect_lines() { # NAME PATTERN... : each extended regexp must match a line of the output
  local name=$1 p; shift
  for p in "$@"; do
    if grep -qE -- "$p" "$S/doctor-$name.out"; then ok "doctor $name: /$p/"; else bad "doctor $name: no line matches /$p/"; fi
  done
}
GOOD_LINES=('^ok nsswitch: `passwd: files extrausers systemd`' '^ok nsswitch: `group:' '^ok nsswitch: `shadow:'
  '^ok nss-module: ' '^ok sshd-command: `AuthorizedKeysCommand /usr/libexec/sunk-bridge/sunk-authorized-keys %u %U`'
  '^ok sshd-command-user: AuthorizedKeysCommandUser sunk-bridge-keys' '^ok helper: ' '^ok keys-cache: '
  '^ok sync-state: last successful sync' '^ok trust-key: ' '^ok home-prefix: ' '^ok id-ranges: ' '^doctor: [0-9]+ ok, 0 warnings, 0 failures$')

echo "-- good set-up, configuration read as text (--sshd-binary none)"
run_doctor good-text --sshd-config "$S/good/sshd_config" --nsswitch "$S/good/nsswitch.conf" --sshd-binary none
check "doctor good (text): exit 0 (got $DRC)" test "$DRC" = 0
expect_lines good-text "${GOOD_LINES[@]}" 'sshd not run'
if [ -n "$HOSTKEY" ]; then
  echo "-- good set-up through \`$SSHD -T\`"
  run_doctor good-sshd --sshd-config "$S/good/sshd_config" --nsswitch "$S/good/nsswitch.conf" --sshd-binary "$SSHD"
  check "doctor good (sshd -T): exit 0 (got $DRC)" test "$DRC" = 0
  expect_lines good-sshd "${GOOD_LINES[@]}" 'sshd -T -C user=root'
else
  echo "obs  no $SSHD: the sshd -T path is not exercised"
fi

echo "-- bad set-up"
printf 'passwd: extrausers files\ngroup: files cache extrausers\nhosts: files\n' > "$S/bad/nsswitch.conf"
cat > "$S/bad/sshd_config" <<CONF
$HOSTKEY
PidFile none
AuthorizedKeysCommand /usr/libexec/sunk-bridge/sunk-authorized-keys %u
AuthorizedKeysCommandUser root
CONF
chmod 0775 "$R/usr/libexec/sunk-bridge"
chmod 0666 "$STATE/keys.cache"
chmod 0777 "$R/home"
printf 'bob:1500000:65536\n' > "$R/etc/subuid"
write_state "$old" failed '"server unreachable: connection refused"'
BAD_LINES=('^FAIL nsswitch: `passwd: extrausers files`: extrausers comes before `files`'
  '^FAIL nsswitch: `group: files cache extrausers`: stale cache module' '^FAIL nsswitch: .*no `shadow:` line'
  '^FAIL sshd-command: .*does not pass `%u %U`' '^FAIL sshd-command-user: AuthorizedKeysCommandUser is root'
  '^FAIL helper: directory .*/usr/libexec/sunk-bridge is writable by group or others \(mode 0775\)'
  '^FAIL keys-cache: .*writable by group or others \(mode 0666\)'
  '^FAIL sync-state: last successful sync .* older than --max-age 3600'
  '^WARN sync-state: the latest sync attempt failed: server unreachable'
  '^FAIL home-prefix: .*/home is writable by group or others \(mode 0777\)'
  '^WARN id-ranges: .*/etc/subuid entries bob:1500000–1565535 overlap the allocated uid range 1000000–1999999'
  '^  fix: ' '^doctor: [0-9]+ ok, [0-9]+ warnings, [0-9]+ failures$')
run_doctor bad-text --sshd-config "$S/bad/sshd_config" --nsswitch "$S/bad/nsswitch.conf" --sshd-binary none
check "doctor bad (text): exit 1 (got $DRC)" test "$DRC" = 1
expect_lines bad-text "${BAD_LINES[@]}"
if [ -n "$HOSTKEY" ]; then
  run_doctor bad-sshd --sshd-config "$S/bad/sshd_config" --nsswitch "$S/bad/nsswitch.conf" --sshd-binary "$SSHD"
  check "doctor bad (sshd -T): exit 1 (got $DRC)" test "$DRC" = 1
  expect_lines bad-sshd '^FAIL sshd-command: .*does not pass `%u %U`' '^FAIL sshd-command-user: AuthorizedKeysCommandUser is root'
fi
chmod 0755 "$R/usr/libexec/sunk-bridge" "$R/home"; chmod 0644 "$STATE/keys.cache"

# ---- remove, then purge ---------------------------------------------------------------------
# The operator's own file (like the node token): not the package's to remove.
rm -f "$R/etc/sunk-bridge/trust.pub"
echo "== remove and purge"
if scratch_dpkg -r sunk-bridge > "$S/remove.log" 2>&1; then ok "dpkg -r"; else bad "dpkg -r:"; sed 's/^/     /' "$S/remove.log"; fi
check "remove: /usr/bin/sunk-bridge gone" test ! -e "$R/usr/bin/sunk-bridge"
check "remove: /usr/libexec/sunk-bridge gone" test ! -e "$R/usr/libexec/sunk-bridge"
check "remove: units gone" bash -c '! ls "$1"/lib/systemd/system/sunk-bridge* >/dev/null 2>&1' _ "$R"
check "remove: conffiles kept (/etc/cron.d/sunk-bridge-sync)" test -f "$R/etc/cron.d/sunk-bridge-sync"
check "remove: users kept" grep -q '^sunk-bridge-keys:' "$R/etc/passwd"
if scratch_dpkg --purge sunk-bridge > "$S/purge.log" 2>&1; then ok "dpkg --purge"; else bad "dpkg --purge:"; sed 's/^/     /' "$S/purge.log"; fi
# the scratch dpkg database knows no other package, so dpkg rightly keeps shared directories that
# existed before (/usr, /etc/default...) and says so; any other warning is a failure
warned=$(grep -i warning "$S/purge.log" "$S/remove.log" | while IFS= read -r line; do
  dir=$(sed -n "s/.*directory '\\(.*\\)' not empty so not removed.*/\\1/p" <<< "$line")
  if [ -n "$dir" ] && grep -qxF ".$dir" "$S/tree.before"; then continue; fi
  echo "$line"
done)
if [ -n "$warned" ]; then bad "remove/purge: dpkg warned:"; sed "s/^/     /" <<< "$warned"; else ok "remove/purge: no dpkg warning (beyond keeping pre-existing shared directories)"; fi
check "purge: conffiles gone" test ! -e "$R/etc/cron.d/sunk-bridge-sync" -a ! -e "$R/etc/default/sunk-bridge" -a ! -e "$R/etc/default/sunk-bridge-sync"
check "purge: package unknown to the scratch dpkg database" bash -c '! dpkg-query --admindir="$1/var/lib/dpkg" -W sunk-bridge >/dev/null 2>&1' _ "$R"
for f in passwd group shadow gshadow; do
  check "purge: scratch /etc/$f back to its pre-install content (users and group removed)" cmp -s "$S/$f.before" "$R/etc/$f"
done
check "purge: the database survives (/var/lib/sunk-bridge/server/sunk-bridge.sqlite)" \
  grep -q 'must survive purge' "$STATE/server/sunk-bridge.sqlite"
( cd "$R" && find . -path ./var/lib/dpkg -prune -o -path ./var/log -prune -o -print | sort ) > "$S/tree.after"
# what may remain: the state directory (database, node state), and what this script prepared
left=$(comm -13 "$S/tree.before" "$S/tree.after" | grep -vE '^\./var/lib/sunk-bridge(/|$)|^\./etc/sub[ug]id$|^\./etc/(passwd|group|shadow|gshadow)-$' || true)
check "purge: nothing else left behind${left:+: $(echo $left)}" test -z "$left"
gone=$(comm -23 "$S/tree.before" "$S/tree.after" | grep -vE '^\./etc/sub[ug]id$' || true)
check "purge: nothing of the scratch root removed${gone:+: $(echo $gone)}" test -z "$gone"

# ---- the host ------------------------------------------------------------------------------
host_state > "$S/host.after"
if cmp -s "$S/host.before" "$S/host.after"; then ok "host untouched (accounts, nsswitch.conf, sshd_config, dpkg status, no package path)"
else bad "host changed:"; diff "$S/host.before" "$S/host.after" | sed 's/^/     /'; fi

if [ "$FAILS" = 0 ]; then echo "ALL CHECKS PASSED"; else echo "$FAILS CHECK(S) FAILED"; exit 1; fi
