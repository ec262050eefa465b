#!/bin/bash
# Tests/e2e/sshd/run.sh - a real OpenSSH sshd on 127.0.0.1 using sunk-authorized-keys.
#
# Usage: run.sh HELPER NODE_ROOT CASES
#   HELPER     the built sunk-authorized-keys binary (static build for shipping; any build works here)
#   NODE_ROOT  a prepared node root, as `sunk-bridge sync --root NODE_ROOT` leaves it:
#                var/lib/extrausers/{passwd,group,shadow}   users sshd resolves (libnss-extrausers)
#                var/lib/sunk-bridge/keys.cache             the keys cache the helper reads
#              optionally etc/passwd, etc/group, etc/shadow: local account files, bind-mounted over
#              /etc/* inside the namespace (e.g. the host's files plus a local account that shares a
#              name with an IdP user); NSS order is "files extrausers".
#   CASES      one login per line: `ok|fail USER PRIVATE_KEY [description...]`; `#` starts a comment.
#              A line `run ok|fail COMMAND...` runs COMMAND with bash inside the same namespace (as
#              root, through the same NSS) and expects exit 0 (ok) or non-zero (fail); e.g.
#              `run fail su - ada -c true` (PAM account check), `run ok getent shadow ada | grep -q :1:$`.
#              `bg USER PRIVATE_KEY [description...]` opens a session running `sleep 600` and leaves it
#              open (passes once sshd accepted it); `bgend SECONDS [description...]` passes when that
#              session has ended within SECONDS (e.g. after `run ok sunk-bridge sync … --terminate-sessions`).
#
# What happens: sshd runs in the foreground (-D -e) on a free loopback port with its own config and
# host key, inside `unshare --mount` where a tmpfs covers /var/lib and holds only the node root's
# extrausers and sunk-bridge directories (bind mounts, the keys cache read-only), and a test
# nsswitch.conf covers /etc/nsswitch.conf. Nothing on the host is modified (only /run/sshd, sshd's
# privilege-separation directory, is created when missing and removed after). The helper is
# copied to a root-owned 0755 directory below /run (sshd refuses helpers below /tmp) and configured
#   AuthorizedKeysCommand <dir>/sunk-authorized-keys %u %U
#   AuthorizedKeysCommandUser nobody
# so it runs exactly as in production, with the default cache path /var/lib/sunk-bridge/keys.cache.
# Each case runs `ssh -i PRIVATE_KEY USER@127.0.0.1 -p PORT true` and compares the outcome.
#
# Output: one line per case (`ok   …` / `FAIL …`), then `ALL N CHECKS PASSED` or `N CHECK(S) FAILED`.
# Exit: 0 all passed, 1 a case failed or sshd did not start, 2 a prerequisite is missing.
# Needs: root, util-linux (unshare, mount), openssh-server (sshd), openssh-client, libnss-extrausers.
# Env: KEEP=1 keeps the scratch directory; PORT forces a port.
#      USE_PAM=1: `UsePAM yes` with the distribution's /etc/pam.d/sshd (pam_unix account checks the
#        shadow expiry); default `UsePAM no`.
#      AUTHORIZED_KEYS_FILE: sshd's AuthorizedKeysFile (default `none`), e.g. `.ssh/authorized_keys`.
#      HOMES_DIR: a directory bind-mounted over /home inside the namespace (users' homes, planted keys).
set -euo pipefail

die2() { echo "MISSING: $*" >&2; exit 2; }
[ $# -eq 3 ] || { echo "usage: $0 HELPER NODE_ROOT CASES" >&2; exit 2; }
HELPER=$1; NODE_ROOT=$(cd "$2" && pwd); CASES=$3
[ "$(id -u)" = 0 ] || die2 "root is required (unshare --mount, bind mounts, sshd)"
SSHD=/usr/sbin/sshd
[ -x "$SSHD" ] || die2 "$SSHD (apt-get install openssh-server)"
command -v ssh >/dev/null || die2 "ssh (apt-get install openssh-client)"
command -v ssh-keygen >/dev/null || die2 "ssh-keygen (apt-get install openssh-client)"
command -v unshare >/dev/null || die2 "unshare (util-linux)"
found=0; for f in /usr/lib/libnss_extrausers.so.2 /usr/lib/*/libnss_extrausers.so.2; do [ -e "$f" ] && found=1; done
[ "$found" = 1 ] || die2 "libnss_extrausers.so.2 (apt-get install libnss-extrausers)"
[ -x "$HELPER" ] || die2 "helper binary $HELPER is not executable"
[ -f "$CASES" ] || die2 "cases file $CASES"
for f in var/lib/extrausers/passwd var/lib/extrausers/group var/lib/extrausers/shadow var/lib/sunk-bridge/keys.cache; do
  [ -f "$NODE_ROOT/$f" ] || die2 "$NODE_ROOT/$f (node root not prepared)"
done

S=$(mktemp -d /tmp/sunk-sshd-e2e.XXXXXX)       # scratch: host key, config, logs, extrausers copy
H=$(mktemp -d /run/sunk-sshd-helper.XXXXXX)   # helper dir: root-owned, 0755, not below /tmp
chmod 0755 "$H"; chmod 0711 "$S"
SSHD_PID=""; CREATED_RUN_SSHD=0; FAILS=0; PASSES=0
CREATED_RUN_MOUNT=0; [ -d /run/mount ] || CREATED_RUN_MOUNT=1
cleanup() {
  set +e
  [ -n "${BG_PID:-}" ] && kill "$BG_PID" 2>/dev/null
  if [ -n "$SSHD_PID" ]; then kill "$SSHD_PID" 2>/dev/null; wait "$SSHD_PID" 2>/dev/null; fi
  [ "$CREATED_RUN_MOUNT" = 1 ] && rmdir /run/mount 2>/dev/null
  [ "$CREATED_RUN_SSHD" = 1 ] && rmdir /run/sshd
  rm -rf "$H"
  if [ "${KEEP:-0}" = 1 ]; then echo "scratch kept: $S"; else rm -rf "$S"; fi
}
trap cleanup EXIT

install -m 0755 -o root -g root "$HELPER" "$H/sunk-authorized-keys"
[ -d /run/sshd ] || { mkdir -m 0755 /run/sshd; CREATED_RUN_SSHD=1; }

# extrausers: a copy of the node root's files, plus sshd's privilege-separation user when the host
# does not have one (sshd refuses to start without it).
mkdir -m 0755 "$S/eu"
cp "$NODE_ROOT"/var/lib/extrausers/{passwd,group,shadow} "$S/eu/"
if ! getent passwd sshd >/dev/null && ! grep -q '^sshd:' "$S/eu/passwd" "$NODE_ROOT/etc/passwd" 2>/dev/null; then
  echo "sshd:x:60100:60100:sshd privsep:/run/sshd:/usr/sbin/nologin" >> "$S/eu/passwd"
  echo "sshd:x:60100:" >> "$S/eu/group"
  echo "sshd:*:::::::" >> "$S/eu/shadow"
fi
chmod 0644 "$S/eu/passwd" "$S/eu/group"; chmod 0640 "$S/eu/shadow"
printf 'passwd: files extrausers\ngroup: files extrausers\nshadow: files extrausers\nhosts: files\n' > "$S/nsswitch.conf"

ssh-keygen -q -t ed25519 -N '' -f "$S/hostkey" -C sunk-e2e-host

# A port below the kernel's ephemeral range: an outgoing connection of a parallel test can hold any
# port inside it without listening, which `ss -ltn` cannot see. sshd's start is retried on a collision.
pick_port() {
  local low; low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
  for _ in $(seq 50); do
    PORT=$(( 10000 + RANDOM % (low - 10000) ))
    ss -ltn "sport = :$PORT" | grep -q LISTEN || return 0
  done
}
FORCED_PORT=${PORT:-}
if [ -n "$FORCED_PORT" ]; then
  ss -ltn "sport = :$PORT" | grep -q LISTEN && die2 "port $PORT is busy"
else
  pick_port
fi

PENALTIES=""
ver=$(ssh -V 2>&1 | sed -n 's/^OpenSSH_\([0-9]*\)\.\([0-9]*\).*/\1 \2/p')
if [ -n "$ver" ] && [ "$(echo "$ver" | awk '{print ($1 > 9 || ($1 == 9 && $2 >= 8))}')" = 1 ]; then
  PENALTIES="PerSourcePenalties no"   # OpenSSH >= 9.8 would throttle the failing cases
fi
write_sshd_config() {
cat > "$S/sshd_config" <<EOF
ListenAddress 127.0.0.1:$PORT
HostKey $S/hostkey
PidFile none
UsePAM $([ "${USE_PAM:-0}" = 1 ] && echo yes || echo no)
PermitRootLogin no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
AuthenticationMethods publickey
AuthorizedKeysFile ${AUTHORIZED_KEYS_FILE:-none}
AuthorizedKeysCommand $H/sunk-authorized-keys %u %U
AuthorizedKeysCommandUser nobody
PrintMotd no
PrintLastLog no
X11Forwarding no
AllowTcpForwarding no
Subsystem sftp none
LogLevel VERBOSE
MaxStartups 100:30:200
$PENALTIES
EOF
}
write_sshd_config

# Runs "$@" in a private mount namespace that sees the node root through NSS and the default paths.
NS_SETUP='set -e
  S=$1; R=$2; shift 2
  mount -t tmpfs -o mode=0755,size=16m sunk-e2e-varlib /var/lib
  mkdir -m 0755 /var/lib/extrausers /var/lib/sunk-bridge
  mount --bind "$S/eu" /var/lib/extrausers
  mount --bind "$R/var/lib/sunk-bridge" /var/lib/sunk-bridge
  mount -o remount,bind,ro /var/lib/sunk-bridge
  mount --bind "$S/nsswitch.conf" /etc/nsswitch.conf
  for f in passwd group shadow; do
    if [ -f "$R/etc/$f" ]; then mount --bind "$R/etc/$f" /etc/$f; fi
  done
  if [ -n "$HOMES_DIR" ]; then mount --bind "$HOMES_DIR" /home; fi
  exec "$@"'
HOMES_DIR=${HOMES_DIR:-}
[ -z "$HOMES_DIR" ] || [ -d "$HOMES_DIR" ] || die2 "HOMES_DIR $HOMES_DIR is not a directory"
[ -z "$HOMES_DIR" ] || [ -d /home ] || die2 "/home (mount point for HOMES_DIR) is missing"
export HOMES_DIR
run_ns() { unshare --mount --propagation private /bin/bash -c "$NS_SETUP" _ "$S" "$NODE_ROOT" "$@"; }

run_ns "$SSHD" -t -f "$S/sshd_config" || { echo "sshd -t rejected the configuration"; exit 1; }

# Not through run_ns: a backgrounded function is a subshell, and $! must be sshd itself.
start_sshd() {
  unshare --mount --propagation private /bin/bash -c "$NS_SETUP" _ "$S" "$NODE_ROOT" \
    "$SSHD" -D -e -f "$S/sshd_config" 2> "$S/sshd.log" &
  SSHD_PID=$!        # unshare -> bash -> sshd all exec in place: this is sshd's pid
  for _ in $(seq 100); do
    ss -ltn "sport = :$PORT" | grep -q LISTEN && return 0
    kill -0 "$SSHD_PID" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}
for attempt in 1 2 3 4 5; do
  start_sshd && break
  kill "$SSHD_PID" 2>/dev/null || true; wait "$SSHD_PID" 2>/dev/null || true
  if [ -z "$FORCED_PORT" ] && [ "$attempt" -lt 5 ] && grep -q 'Address already in use' "$S/sshd.log"; then
    echo "port $PORT was taken between the check and sshd's bind; another port"
    pick_port; write_sshd_config; continue
  fi
  echo "sshd did not start:"; cat "$S/sshd.log"; exit 1
done
echo "[127.0.0.1]:$PORT $(cut -d' ' -f1,2 "$S/hostkey.pub")" > "$S/known_hosts"
echo "== sshd on 127.0.0.1:$PORT, helper $H/sunk-authorized-keys ($(file -b "$HELPER" | cut -d, -f1,4 | sed 's/ *$//')), $(grep -E '^(UsePAM|AuthorizedKeysFile) ' "$S/sshd_config" | tr '\n' ' ')"

SSH_OPTS=(-F /dev/null -p "$PORT" -o BatchMode=yes -o IdentitiesOnly=yes -o IdentityAgent=none
  -o UserKnownHostsFile="$S/known_hosts" -o GlobalKnownHostsFile=/dev/null
  -o StrictHostKeyChecking=yes -o UpdateHostKeys=no -o PreferredAuthentications=publickey
  -o ControlMaster=no -o ControlPath=none -o LogLevel=ERROR -o ConnectTimeout=5)

while read -r expect user key why || [ -n "${expect:-}" ]; do
  if [ "$expect" = run ]; then   # `run ok|fail COMMAND...` inside the namespace
    want=$user; cmd="$key${why:+ $why}"; rc=0
    run_ns /bin/bash -c "$cmd" > "$S/run.out" 2>&1 < /dev/null || rc=$?
    said=$(tr '\n' ' ' < "$S/run.out" | cut -c1-200)
    if { [ "$want" = ok ] && [ $rc = 0 ]; } || { [ "$want" = fail ] && [ $rc != 0 ]; }; then
      printf 'ok   run  %-4s rc=%-3s %s | output: %s\n' "$want" "$rc" "$cmd" "$said"; PASSES=$((PASSES+1))
    else
      printf 'FAIL run  %-4s rc=%-3s %s | output: %s\n' "$want" "$rc" "$cmd" "$said"; FAILS=$((FAILS+1))
    fi
    continue
  fi
  if [ "$expect" = bg ]; then   # `bg USER KEY [why]`: a session left open
    before=$(wc -l < "$S/sshd.log")
    ssh -n "${SSH_OPTS[@]}" -i "$key" "$user@127.0.0.1" sleep 600 > "$S/bg.out" 2>&1 &
    BG_PID=$!
    accepted=0
    for _ in $(seq 100); do
      tail -n +"$((before+1))" "$S/sshd.log" | grep -q "Accepted publickey for $user" && { accepted=1; break; }
      kill -0 "$BG_PID" 2>/dev/null || break; sleep 0.05
    done
    sleep 0.3
    if [ $accepted = 1 ] && kill -0 "$BG_PID" 2>/dev/null; then
      printf 'ok   bg   %-10s session open (ssh pid %s) %s\n' "$user" "$BG_PID" "$why"; PASSES=$((PASSES+1))
    else
      printf 'FAIL bg   %-10s no open session: %s\n' "$user" "$(head -c 200 "$S/bg.out" | tr '\n' ' ')"; FAILS=$((FAILS+1))
    fi
    continue
  fi
  if [ "$expect" = bgend ]; then   # `bgend SECONDS [why]`: the open session has ended
    seconds=$user; why="$key${why:+ $why}"; ended=0
    for _ in $(seq $((seconds * 20))); do kill -0 "${BG_PID:-0}" 2>/dev/null || { ended=1; break; }; sleep 0.05; done
    if [ $ended = 1 ]; then
      rc=0; wait "$BG_PID" 2>/dev/null || rc=$?
      printf 'ok   bgend session ended (ssh exit %s) %s\n' "$rc" "$why"; PASSES=$((PASSES+1))
    else
      kill "${BG_PID:-0}" 2>/dev/null
      printf 'FAIL bgend session still open after %s s %s\n' "$seconds" "$why"; FAILS=$((FAILS+1))
    fi
    continue
  fi
  case "$expect" in ''|'#'*) continue ;; ok|fail) ;; *) echo "bad case line: $expect $user $key $why"; FAILS=$((FAILS+1)); continue ;; esac
  before=$(wc -l < "$S/sshd.log")
  rc=0
  ssh -n "${SSH_OPTS[@]}" -i "$key" "$user@127.0.0.1" true > "$S/client.out" 2>&1 || rc=$?
  sleep 0.1
  sshd_says=$(tail -n +"$((before+1))" "$S/sshd.log" | grep -E 'Accepted|Failed|Invalid user|authenticating user|AuthorizedKeysCommand|error|PAM|expired|locked' \
    | tr -d '\r' | head -4 | tr '\n' ' ' | cut -c1-700)
  if { [ "$expect" = ok ] && [ $rc = 0 ]; } || { [ "$expect" = fail ] && [ $rc != 0 ]; }; then
    printf 'ok   %-4s %-10s rc=%-3s %s | sshd: %s\n' "$expect" "$user" "$rc" "$why" "$sshd_says"
    PASSES=$((PASSES+1))
  else
    printf 'FAIL %-4s %-10s rc=%-3s %s | sshd: %s | client: %s\n' "$expect" "$user" "$rc" "$why" "$sshd_says" "$(head -c 200 "$S/client.out" | tr '\n' ' ')"
    FAILS=$((FAILS+1))
  fi
done < "$CASES"

kill "$SSHD_PID"; wait "$SSHD_PID" 2>/dev/null || true; SSHD_PID=""
if [ "$FAILS" = 0 ] && [ "$PASSES" -gt 0 ]; then
  echo "ALL $PASSES CHECKS PASSED"
else
  echo "$FAILS CHECK(S) FAILED ($PASSES passed)"
  echo "--- sshd log (last 40 lines)"; tail -40 "$S/sshd.log"
  exit 1
fi
