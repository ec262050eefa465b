#!/bin/bash
# run.sh DEB - boot a real systemd as PID 1 of a throwaway container, install the sunk-bridge .deb
# there and drive the three units: sunk-bridge.service (serve, /healthz, database ownership, the
# process's uid, NoNewPrivs and capabilities, a SCIM user), sunk-bridge-sync.service (the oneshot
# writes /var/lib/extrausers and the keys cache), sunk-bridge-sync.timer (armed), then stop the
# receiver (SIGTERM -> exit 0) and power the container off. The host is never touched.
#
# How it isolates (no systemd-nspawn, no image):
#   - `script` gives the container a pty that becomes its /dev/console (console.log in the scratch dir);
#   - a fresh cgroup2 group CG (CG/payload, CG/supervisor) below the host's cgroup2 mount
#     (/sys/fs/cgroup or /sys/fs/cgroup/unified); from CG/payload, `unshare --mount --pid --fork
#     --net --uts --ipc --cgroup`: the container's cgroup namespace is rooted at CG/payload, and
#     unshare itself is then moved to CG/supervisor, so systemd (unified mode) owns its whole tree;
#   - inside: an overlayfs whose lower layer is the host's / (read-only use) and whose upper layer is
#     S/upper - every write of the container (dpkg database, /etc/passwd, /var/lib/...) lands there;
#     a fresh /proc (with /proc/sys read-only, so systemd-sysctl and binfmt skip), sysfs read-only
#     (udev skips), cgroup2 on /sys/fs/cgroup, a tmpfs /dev with the basic nodes and its own devpts,
#     tmpfs /run and /tmp, a private network namespace with only lo up, its own hostname;
#   - pivot_root into the overlay, drop CAP_SYS_MODULE, CAP_SYS_TIME, CAP_SYS_RAWIO, CAP_SYSLOG and
#     the other host-wide capabilities from the bounding set, exec /lib/systemd/systemd with
#     container=sunk-e2e and --unit=sunk-e2e.target (sysinit.target only: no getty, no network
#     services, masks for the host's enabled timers/daemons and the debugfs/tracefs/... mounts).
#   Commands run in the container with nsenter (all of its namespaces, its root).
#   Tear-down: SIGRTMIN+4 to its PID 1 (poweroff; SIGKILL to it if it is still there after 20 s):
#   every mount lived in the private mount namespace and disappears with it; then the cgroup and
#   the scratch directory are removed. Not a security boundary (the container keeps CAP_SYS_ADMIN,
#   CAP_MKNOD): it keeps the package and systemd from touching the host, nothing more.
#   A host fingerprint (accounts, dpkg status, package paths, mount table, hostname, links) taken
#   before and after must be identical.
#
# Needs: root, bash, util-linux (unshare, nsenter, mount, script, setpriv, findmnt), iproute2,
# coreutils, systemd (/lib/systemd/systemd, tested with 252), overlayfs and cgroup2 in the kernel.
# In the lower layer (the host /): dpkg, adduser, curl, python3, runuser, and the package's
# dependencies (libsqlite3-0, ...).
# Env: KEEP=1 keeps the scratch directory (upper layer, console.log, journal.txt). HOLD=SECONDS
# keeps the container running that long before the tear-down and prints the nsenter command.
# Exit status 0 = every check passed, 1 = a check failed, 2 = usage or a missing prerequisite;
# the last line says which.
set -uo pipefail

SELF=$(readlink -f "$0")
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH
CT_UNIT=sunk-e2e.target
# capabilities the container must not have: they act on the host kernel, not on a namespace
DROP_CAPS=-sys_module,-sys_time,-sys_rawio,-syslog,-wake_alarm,-block_suspend,-mac_admin,-mac_override,-sys_pacct,-perfmon,-bpf,-checkpoint_restore

# ---- stage 2 and 3: run by the script itself, in the new namespaces ----------------------------
if [ "${1:-}" = __enter ]; then
  # under `script` (stdin/stdout = the pty): move into the scratch cgroup, then unshare
  S=$2 CG=$3
  echo $$ > "$CG/payload/cgroup.procs" || { echo "cannot join cgroup $CG/payload"; exit 1; }
  exec unshare --mount --propagation private --pid --fork --kill-child --net --uts --ipc --cgroup \
    "$SELF" __init "$S" "$CG"
fi
if [ "${1:-}" = __init ]; then
  # PID 1 of the new PID namespace, private mount namespace: build the root and exec systemd
  set -e
  S=$2 M=$2/merged CG=$3
  trap 'echo "container init failed at line $LINENO: $BASH_COMMAND" >&2' ERR
  CONSOLE=$(tty)
  read -r HOSTPID _ _ UNSHAREPID _ < /proc/self/stat   # the host's /proc is still mounted: host pids
  # the cgroup namespace is rooted at CG/payload (where unshare was when it called unshare(2)). The
  # host moves unshare itself out to CG/supervisor (a pid outside our PID namespace cannot be
  # written from here), so that systemd finds only its own processes in its root cgroup.
  echo "$HOSTPID $UNSHAREPID" > "$S/init.pids"
  for _ in $(seq 1 100); do [ -e "$S/supervisor.moved" ] && break; sleep 0.1; done
  [ -e "$S/supervisor.moved" ] || { echo "the host did not move unshare to $CG/supervisor" >&2; exit 1; }
  mount -t overlay sunk-e2e -o "lowerdir=/,upperdir=$S/upper,workdir=$S/work" "$M"
  mount -t proc -o nosuid,nodev,noexec proc "$M/proc"
  mount --bind "$M/proc/sys" "$M/proc/sys"
  mount -o remount,bind,ro,nosuid,nodev,noexec "$M/proc/sys"
  if [ -e "$M/proc/sysrq-trigger" ]; then
    mount --bind "$M/proc/sysrq-trigger" "$M/proc/sysrq-trigger"
    mount -o remount,bind,ro "$M/proc/sysrq-trigger"
  fi
  mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$M/sys"
  mount -t cgroup2 -o nosuid,nodev,noexec cgroup2 "$M/sys/fs/cgroup"
  mount -t tmpfs -o mode=0755,nosuid,size=4m sunk-dev "$M/dev"
  for d in null:1:3 zero:1:5 full:1:7 random:1:8 urandom:1:9 tty:5:0; do
    IFS=: read -r n ma mi <<< "$d"; mknod -m 0666 "$M/dev/$n" c "$ma" "$mi"
  done
  mkdir -m 0755 "$M/dev/pts"; mkdir -m 1777 "$M/dev/shm"
  mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5 devpts "$M/dev/pts"
  mount -t tmpfs -o mode=1777,nosuid,nodev sunk-shm "$M/dev/shm"
  ln -s pts/ptmx "$M/dev/ptmx"; ln -s /proc/self/fd "$M/dev/fd"
  ln -s /proc/self/fd/0 "$M/dev/stdin"; ln -s /proc/self/fd/1 "$M/dev/stdout"; ln -s /proc/self/fd/2 "$M/dev/stderr"
  : > "$M/dev/console"; mount --bind "$CONSOLE" "$M/dev/console"
  mount -t tmpfs -o mode=0755,nosuid,nodev sunk-run "$M/run"
  mount -t tmpfs -o mode=1777,nosuid,nodev sunk-tmp "$M/tmp"
  ip link set lo up
  hostname sunk-e2e
  mkdir "$M/run/oldroot"
  cd "$M"
  pivot_root . run/oldroot
  cd /
  umount -l /run/oldroot
  rmdir /run/oldroot
  exec setpriv --bounding-set "$DROP_CAPS" --inh-caps=-all \
    env -i container=sunk-e2e PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
    /lib/systemd/systemd --system --unit="$CT_UNIT" --show-status=yes
fi

# ---- stage 1: the test, on the host --------------------------------------------------------------
DEB=${1:-}
[ -n "$DEB" ] && [ -f "$DEB" ] || { echo "usage: $0 path/to/sunk-bridge_VERSION_ARCH.deb" >&2; exit 2; }
DEB=$(readlink -f "$DEB")
missing() { echo "missing prerequisite: $*" >&2; exit 2; }
[ "$(id -u)" = 0 ] || missing "root (mounts, namespaces, cgroups)"
for t in unshare nsenter mount umount mknod pivot_root script setpriv findmnt ip hostname tty timeout sha256sum stat; do
  command -v "$t" >/dev/null || missing "tool $t"
done
[ -x /lib/systemd/systemd ] || missing "/lib/systemd/systemd (apt-get install systemd)"
grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null; grep -qw overlay /proc/filesystems || missing "overlayfs in the kernel"
grep -qw cgroup2 /proc/filesystems || missing "cgroup2 in the kernel"
for t in /usr/bin/dpkg /usr/sbin/adduser /usr/bin/curl /usr/bin/python3 /usr/sbin/runuser /usr/bin/setpriv /usr/bin/env; do
  [ -x "$t" ] || missing "$t on the host (the container's lower layer)"
done
if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then CGROOT=/sys/fs/cgroup
else CGROOT=$(findmnt -rn -t cgroup2 -o TARGET | head -n1); fi
[ -n "$CGROOT" ] && [ -w "$CGROOT/cgroup.procs" ] || missing "a writable cgroup2 mount (/sys/fs/cgroup or /sys/fs/cgroup/unified)"
unshare --cgroup --net --uts --ipc --pid --fork --mount true 2>/dev/null || missing "namespaces (unshare --cgroup --net --uts --ipc --pid --mount failed)"

FAILS=0
ok()   { echo "ok   $*"; }
bad()  { echo "FAIL $*"; FAILS=$((FAILS+1)); }
check() { # DESCRIPTION COMMAND... : ok when the command succeeds; returns its verdict
  local what=$1; shift
  if "$@"; then ok "$what"; else bad "$what"; return 1; fi
}
T0=$SECONDS

S=$(mktemp -d /tmp/sunk-systemd-e2e.XXXXXX)
chmod 0755 "$S"
CG=$CGROOT/$(basename "$S")
CPID=""      # host pid of the container's PID 1 (systemd)
LAUNCHER=""  # pid of `script`
PIDNS=""; MNTNS=""

ct() { # COMMAND... : run in the container (all its namespaces, its root), clean environment
  timeout "${CT_TIMEOUT:-60}" nsenter -t "$CPID" -m -u -i -n -p -C -r -w \
    /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 SYSTEMD_PAGER= SYSTEMD_COLORS=0 "$@"
}
ct_write() { # PATH MODE : stdin -> file in the container, root-owned
  ct /bin/sh -c 'umask 077; cat > "$1" && chown root:root "$1" && chmod "$2" "$1"' _ "$1" "$2"
}
prop() { ct systemctl show -p "$2" --value "$1"; }
show_journal() { # UNIT : the unit's journal, indented
  ct journalctl --no-pager -o short-monotonic -u "$1" 2>&1 | tail -n 30 | sed 's/^/     | /'
}

ns_members() { # NS-LINK : host pids whose namespace (pid or mnt) is NS-LINK
  local kind=${1%%:*} p
  for p in /proc/[0-9]*; do
    [ "$(readlink "$p/ns/$kind" 2>/dev/null)" = "$1" ] && echo "${p#/proc/}"
  done
}
stop_container() { # poweroff, then SIGKILL; waits until the launcher is gone
  [ -n "$CPID" ] && kill -0 "$CPID" 2>/dev/null && kill -s SIGRTMIN+4 "$CPID" 2>/dev/null
  local i
  for i in $(seq 1 200); do
    { [ -z "$LAUNCHER" ] || ! kill -0 "$LAUNCHER" 2>/dev/null; } && { [ -z "$CPID" ] || ! kill -0 "$CPID" 2>/dev/null; } && break
    [ "$i" = 100 ] && { echo "obs  container did not power off in 10 s: SIGKILL to its PID 1"; kill -KILL "$CPID" 2>/dev/null; }
    sleep 0.1
  done
  [ -n "$LAUNCHER" ] && wait "$LAUNCHER" 2>/dev/null
  [ -n "$CPID" ] && kill -0 "$CPID" 2>/dev/null && { kill -KILL "$CPID" 2>/dev/null; sleep 0.5; }
  return 0
}
remove_cgroup() {
  [ -d "$CG" ] || return 0
  local i
  for i in 1 2 3 4 5 6 7 8 9 10; do
    find "$CG" -depth -type d -exec rmdir {} \; 2>/dev/null
    [ -d "$CG" ] || return 0
    sleep 0.2
  done
  echo "obs  cgroup $CG could not be removed"
}
CLEANED=0
cleanup() {
  [ "$CLEANED" = 1 ] && return 0
  CLEANED=1
  stop_container
  remove_cgroup
  if [ "${KEEP:-0}" = 1 ]; then echo "scratch kept: $S (upper layer: $S/upper)"; else rm -rf "$S"; fi
}
trap cleanup EXIT
trap 'echo "interrupted"; exit 130' INT TERM

# ---- host fingerprint (must be identical at the end) ---------------------------------------
host_state() {
  for f in /etc/passwd /etc/group /etc/shadow /etc/gshadow /etc/hostname /etc/machine-id /etc/fstab \
           /var/lib/dpkg/status /etc/default/sunk-bridge /etc/default/sunk-bridge-sync; do
    if [ -e "$f" ]; then sha256sum "$f"; else echo "absent $f"; fi
  done
  for p in /usr/bin/sunk-bridge /usr/libexec/sunk-bridge /var/lib/sunk-bridge /var/lib/extrausers /etc/sunk-bridge \
           /etc/cron.d/sunk-bridge-sync /lib/systemd/system/sunk-bridge.service /etc/systemd/system/$CT_UNIT; do
    if [ -e "$p" ]; then echo "present $p"; else echo "absent $p"; fi
  done
  echo "etc/systemd/system: $(find /etc/systemd/system -printf '%p %l\n' | sort | sha256sum)"
  echo "hostname: $(hostname)"
  echo "links: $(ip -o link show | awk '{print $2, $3}' | tr '\n' ' ')"
  echo "lo: $(ip -o addr show dev lo | awk '{print $4}' | tr '\n' ' ')"
  echo "mounts:"; findmnt -rn -o TARGET,SOURCE,FSTYPE | sort
  if [ -e "$CG" ]; then echo "present $CG"; else echo "absent $CG"; fi
  # the top-level cgroups of every hierarchy (v1 and v2): a systemd that mounted the host's v1
  # hierarchies itself would leave init.scope, system.slice... there
  local depth=2; [ "$CGROOT" = /sys/fs/cgroup ] && depth=1
  echo "cgroups:"; find /sys/fs/cgroup -mindepth "$depth" -maxdepth "$depth" -type d ! -name "$(basename "$S")" | sort
}
host_state > "$S/host.before"

# ---- the container's upper layer, seeded before boot -----------------------------------------
echo "== container"
mkdir -p "$S/upper" "$S/work" "$S/merged"
chmod 0755 "$S/upper" "$S/merged"
U=$S/upper
install -d -m 0755 "$U/etc" "$U/etc/systemd" "$U/etc/systemd/system" "$U/etc/systemd/journald.conf.d" \
  "$U/var" "$U/var/tmp" "$U/var/tmp/sunk-e2e"
chmod 1777 "$U/var/tmp"   # keep the lower layer's mode on the copied-up directory
cat > "$U/etc/systemd/system/$CT_UNIT" <<'UNIT'
[Unit]
Description=SUNK Bridge systemd e2e (sysinit only, no getty, no network services)
Requires=sysinit.target
After=sysinit.target
AllowIsolate=yes
# ordering only, never starts them: the reference keeps the package's units loaded after they
# stop (no garbage collection), so `systemctl show` reports their last run (Result, ExecMain*)
After=sunk-bridge.service sunk-bridge-sync.service sunk-bridge-sync.timer
UNIT
# the container boots the host's own units: mask what would touch hardware, the network, the
# clock, or just run the host's daemons and timers
for u in getty@.service serial-getty@.service console-getty.service container-getty@.service getty-static.service \
         systemd-networkd.service systemd-networkd.socket systemd-networkd-wait-online.service systemd-resolved.service \
         networking.service ifupdown-wait-online.service NetworkManager.service NetworkManager-wait-online.service \
         systemd-timesyncd.service ssh.service sshd.service ssh.socket nginx.service postgresql.service cron.service \
         apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer e2scrub_reap.service fstrim.timer \
         man-db.timer logrotate.timer systemd-pstore.service systemd-udevd.service systemd-udev-trigger.service \
         systemd-modules-load.service kmod-static-nodes.service systemd-sysctl.service systemd-binfmt.service \
         proc-sys-fs-binfmt_misc.automount sys-kernel-debug.mount sys-kernel-tracing.mount sys-kernel-config.mount \
         sys-fs-fuse-connections.mount dev-hugepages.mount systemd-hwdb-update.service remote-fs.target; do
  ln -sfn /dev/null "$U/etc/systemd/system/$u"
done
printf '[Journal]\nStorage=volatile\n' > "$U/etc/systemd/journald.conf.d/sunk-e2e.conf"
printf '# sunk-bridge systemd e2e: no mounts\n' > "$U/etc/fstab"
cp "$DEB" "$U/var/tmp/sunk-e2e/sunk-bridge.deb"
: > "$S/console.log"

mkdir "$CG" "$CG/payload" "$CG/supervisor" || { bad "cannot create cgroup $CG"; exit 1; }
script -q -e -f -c "exec $(printf '%q ' "$SELF" __enter "$S" "$CG")" "$S/console.log" < /dev/null > /dev/null 2>&1 &
LAUNCHER=$!

# wait for the container's PID 1, move unshare out of the container's cgroup, let PID 1 go on
for _ in $(seq 1 100); do
  [ -s "$S/init.pids" ] && break
  kill -0 "$LAUNCHER" 2>/dev/null || break
  sleep 0.1
done
read -r CPID UPID < "$S/init.pids" 2>/dev/null
if [ -n "${UPID:-}" ] && echo "$UPID" > "$CG/supervisor/cgroup.procs"; then touch "$S/supervisor.moved"; fi
boot_failed() { # WHAT : the container is not usable: say why, show its console, stop here
  local alive=no
  [ -n "$CPID" ] && kill -0 "$CPID" 2>/dev/null && alive=yes
  stop_container   # also lets `script` flush the console
  bad "$1 (PID 1 still running: $alive); console (systemd's status output and the container init's errors):"
  tr -d '\r' < "$S/console.log" | sed 's/^/     | /'
  echo "$FAILS CHECK(S) FAILED"; exit 1
}
if [ -z "$CPID" ] || ! kill -0 "$CPID" 2>/dev/null; then boot_failed "the container did not start"; fi
PIDNS=$(readlink "/proc/$CPID/ns/pid"); MNTNS=$(readlink "/proc/$CPID/ns/mnt")
up=0
for _ in $(seq 1 300); do
  kill -0 "$CPID" 2>/dev/null || break
  # PID 1 is systemd only after pivot_root: until then its root and /run are the host's, and the
  # host's own /run/systemd/private (on a systemd host) must not be mistaken for the container's
  if [ "$(cat "/proc/$CPID/comm" 2>/dev/null)" = systemd ] && ct test -S /run/systemd/private 2>/dev/null; then up=1; break; fi
  sleep 0.1
done
[ "$up" = 1 ] || boot_failed "systemd did not come up as the container's PID 1 (waited up to 30 s for /run/systemd/private)"
state=$(CT_TIMEOUT=60 ct systemctl is-system-running --wait 2>&1)
comm=$(ct cat /proc/1/comm 2>/dev/null)
check "systemd $(ct systemctl --version 2>/dev/null | awk 'NR==1{print $2}') booted as PID 1 (pid ns $PIDNS, host pid $CPID): /proc/1/comm=$comm, is-system-running=$state ($((SECONDS-T0)) s)" \
  test "$comm" = systemd -a "$state" = running
if [ "$state" != running ]; then
  ct systemctl --failed --no-pager 2>&1 | sed 's/^/     | /'
  echo "     console:"; tail -n 40 "$S/console.log" | tr -d '\r' | sed 's/^/     | /'
fi
virt=$(ct systemd-detect-virt 2>/dev/null)
cgfs=$(ct stat -f -c %T /sys/fs/cgroup 2>/dev/null)
root_fs=$(ct findmnt -rn -o FSTYPE / 2>/dev/null)
links=$(ct ip -o link show 2>/dev/null | awk '{print $2}' | tr -d ':' | tr '\n' ' ')
check "container: virt=$virt, / is $root_fs, /sys/fs/cgroup is $cgfs, network links: $links" \
  test "$virt" = container-other -a "$root_fs" = overlay -a "$cgfs" = cgroup2fs -a "$links" = "lo "
capbnd=$(ct awk '/^CapBnd/{print $2}' /proc/1/status 2>/dev/null)
check "container PID 1 has no CAP_SYS_MODULE (16) / CAP_SYS_TIME (25) in its bounding set (CapBnd=$capbnd)" \
  test -n "$capbnd" -a $(( 0x${capbnd:-0} & (1<<16 | 1<<25) )) = 0

# ---- 1. install the package in the running system -------------------------------------------
echo "== dpkg -i (inside the container)"
if ct dpkg -i /var/tmp/sunk-e2e/sunk-bridge.deb > "$S/install.log" 2>&1; then ok "dpkg -i $(basename "$DEB")"
else bad "dpkg -i:"; sed 's/^/     | /' "$S/install.log"; fi
status=$(ct dpkg-query -W -f='${Status} ${Version}' sunk-bridge 2>/dev/null)
check "package state in the container: '$status'" bash -c '[[ $1 == "install ok installed "* ]]' _ "$status"
for u in sunk-bridge.service:disabled sunk-bridge-sync.service:static sunk-bridge-sync.timer:disabled sunk-bridge-watch.service:disabled; do
  st=$(ct systemctl show -p LoadState -p UnitFileState -p NeedDaemonReload --value "${u%:*}" 2>/dev/null | tr '\n' ' ')
  check "${u%:*} loaded, not enabled by installing, no daemon-reload pending (LoadState UnitFileState NeedDaemonReload: $st)" \
    test "$st" = "loaded ${u#*:} no "
done
SB_UID=$(ct id -u sunk-bridge 2>/dev/null); SB_GID=$(ct id -g sunk-bridge 2>/dev/null)
check "user sunk-bridge exists in the container (uid ${SB_UID:-none})" test -n "$SB_UID"

# ---- 2. the receiver -----------------------------------------------------------------------
echo "== sunk-bridge.service"
PORT=$(ct /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null)
check "free loopback port in the container's network namespace: ${PORT:-none}" test -n "$PORT"
printf 'SUNK_BRIDGE_LISTEN=127.0.0.1:%s\n' "$PORT" | ct_write /etc/default/sunk-bridge 0644
if ct systemctl start sunk-bridge.service 2> "$S/start.err"; then ok "systemctl start sunk-bridge.service"
else bad "systemctl start sunk-bridge.service: $(cat "$S/start.err")"; show_journal sunk-bridge.service; fi
code=000
for _ in $(seq 1 100); do
  code=$(ct curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$PORT/healthz" 2>/dev/null)
  [ "$code" = 200 ] && break
  sleep 0.1
done
check "GET http://127.0.0.1:$PORT/healthz -> $code" test "$code" = 200
st=$(prop sunk-bridge.service ActiveState)/$(prop sunk-bridge.service SubState)
check "sunk-bridge.service $st" test "$st" = active/running
[ "$code" = 200 ] && [ "$st" = active/running ] || show_journal sunk-bridge.service
DB=/var/lib/sunk-bridge/server/sunk-bridge.sqlite
dbst=$(ct stat -c '%U:%G %a' "$DB" 2>/dev/null)
check "database $DB exists, owned by sunk-bridge ($dbst)" test "${dbst% *}" = sunk-bridge:sunk-bridge
dirst=$(ct stat -c '%U:%G %a' /var/lib/sunk-bridge/server 2>/dev/null)
check "/var/lib/sunk-bridge/server is sunk-bridge:sunk-bridge 750 ($dirst)" test "$dirst" = "sunk-bridge:sunk-bridge 750"
topst=$(ct stat -c '%U:%G %a' /var/lib/sunk-bridge 2>/dev/null)
check "/var/lib/sunk-bridge stays root:root 755 ($topst)" test "$topst" = "root:root 755"
MAINPID=$(prop sunk-bridge.service MainPID)
pstatus=$(ct cat "/proc/$MAINPID/status" 2>/dev/null)
field() { awk -v k="$1:" '$1==k{$1=""; sub(/^ /,""); print}' <<< "$pstatus"; }
uids=$(field Uid | tr -s '\t ' ' '); gids=$(field Gid | tr -s '\t ' ' ')
check "serve (pid $MAINPID) runs as sunk-bridge: Uid $uids, Gid $gids" \
  test -n "$SB_UID" -a "$uids" = "$SB_UID $SB_UID $SB_UID $SB_UID" -a "$gids" = "$SB_GID $SB_GID $SB_GID $SB_GID"
check "serve: NoNewPrivs $(field NoNewPrivs)" test "$(field NoNewPrivs)" = 1
check "serve: CapEff $(field CapEff), CapPrm $(field CapPrm), CapBnd $(field CapBnd), CapAmb $(field CapAmb) (all empty)" \
  test "$(field CapEff)$(field CapPrm)$(field CapBnd)$(field CapAmb)" = 0000000000000000000000000000000000000000000000000000000000000000
check "serve: seccomp filter on (Seccomp $(field Seccomp))" test "$(field Seccomp)" = 2
svc_ns=$(ct readlink "/proc/$MAINPID/ns/user" 2>/dev/null); init_ns=$(ct readlink /proc/1/ns/user 2>/dev/null)
check "serve: own user namespace (PrivateUsers=yes: $svc_ns vs PID 1's $init_ns)" test -n "$svc_ns" -a "$svc_ns" != "$init_ns"
# the mount namespace systemd built for it: the last mount on each path is the one it sees
mi=$(ct cat "/proc/$MAINPID/mountinfo" 2>/dev/null)
mnt() { awk -v m="$1" '$5==m {print $6 " " $NF}' <<< "$mi" | tail -n 1; }   # per-mount and superblock options
m_root=$(mnt /); m_db=$(mnt /var/lib/sunk-bridge/server); m_proc=$(mnt /proc); m_home=$(mnt /home)
check "serve's mounts: / read-only (ProtectSystem=strict: ${m_root%% *}), /var/lib/sunk-bridge/server writable (${m_db%% *})" \
  bash -c '[[ $1 == ro,* && $2 == rw,* ]]' _ "$m_root" "$m_db"
check "serve's mounts: /proc ${m_proc#* } (ProtectProc=invisible, ProcSubset=pid), /home ${m_home%% *} (ProtectHome=yes)" \
  bash -c '[[ $1 == *hidepid=invisible* && $1 == *subset=pid* && $2 == ro,* ]]' _ "$m_proc" "$m_home"

# ---- 3. tokens and a SCIM user -------------------------------------------------------------------
echo "== tokens and SCIM"
NODE_TOKEN=$(ct runuser -u sunk-bridge -- /usr/bin/sunk-bridge token create --db "$DB" --scope node --name node1 --quiet 2> "$S/token.err")
check "token create --scope node (as sunk-bridge): ${#NODE_TOKEN} characters" test -n "$NODE_TOKEN" || sed 's/^/     | /' "$S/token.err"
SCIM_TOKEN=$(ct runuser -u sunk-bridge -- /usr/bin/sunk-bridge token create --db "$DB" --scope scim --name e2e-idp --quiet 2> "$S/token.err")
check "token create --scope scim (as sunk-bridge): ${#SCIM_TOKEN} characters" test -n "$SCIM_TOKEN" || sed 's/^/     | /' "$S/token.err"
others=$(ct find /var/lib/sunk-bridge/server ! -user sunk-bridge -printf '%p %u\n' 2>/dev/null)
check "every file in /var/lib/sunk-bridge/server still owned by sunk-bridge${others:+: $others}" test -z "$others"
KEY='ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl alice@example'
scim_user() { # KEY -> JSON
  printf '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:coreweave:params:scim:schemas:extension:coreweave:2.0:CoreWeaveUser"],"userName":"alice@example.org","active":true,"urn:coreweave:params:scim:schemas:extension:coreweave:2.0:CoreWeaveUser":{"sunkPosixUsername":"alice","sunkSshKeys":["%s"]}}' "$1"
}
post_user() { # KEY : POST, body in S/post.out, status on stdout
  scim_user "$1" | ct curl -s -w '\n%{http_code}' --max-time 10 -X POST \
    -H "Authorization: Bearer $SCIM_TOKEN" -H 'Content-Type: application/scim+json' --data-binary @- \
    "http://127.0.0.1:$PORT/scim/default/Users" > "$S/post.out" 2>&1
  tail -n 1 "$S/post.out"
}
code=$(post_user "$KEY")
if [ "$code" = 400 ] && command -v ssh-keygen >/dev/null; then
  echo "obs  the sample key was refused ($(head -c 200 "$S/post.out")); retrying with a fresh ssh-keygen key"
  ssh-keygen -q -t ed25519 -N '' -C alice@example -f "$S/alice" && KEY=$(cat "$S/alice.pub")
  code=$(post_user "$KEY")
fi
check "POST /scim/default/Users (alice) -> $code" test "$code" = 201 || sed '$d; s/^/     | /' "$S/post.out"
code=$(ct curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H "Authorization: Bearer $NODE_TOKEN" \
  "http://127.0.0.1:$PORT/scim/default/export/v1/snapshot")
check "GET /scim/default/export/v1/snapshot with the node token -> $code" test "$code" = 200

# ---- 4. the node sync ---------------------------------------------------------------------------
echo "== sunk-bridge-sync.service and .timer"
ct systemctl start sunk-bridge-sync.service 2> "$S/sync.err" || bad "systemctl start sunk-bridge-sync.service (no token): $(cat "$S/sync.err")"
cond="$(prop sunk-bridge-sync.service ConditionResult) $(prop sunk-bridge-sync.service Result) [$(prop sunk-bridge-sync.service ConditionTimestamp)] [$(prop sunk-bridge-sync.service ExecMainStartTimestamp)]"
check "without /etc/sunk-bridge/node-token the sync is skipped, not failed: ConditionResult Result [ConditionTimestamp] [ExecMainStartTimestamp] = $cond" \
  bash -c '[[ $1 == "no success ["?*"] []" ]]' _ "$cond"
printf '%s\n' "$NODE_TOKEN" | ct_write /etc/sunk-bridge/node-token 0600
TRUST=$(ct runuser -u sunk-bridge -- /usr/bin/sunk-bridge org trust-key --db "$DB" default 2> "$S/trust.err")
check "org trust-key (as sunk-bridge): $TRUST" bash -c '[[ $1 == "sunk-bridge-ed25519 "*" default" ]]' _ "$TRUST" \
  || sed 's/^/     | /' "$S/trust.err"
printf '%s\n' "$TRUST" | ct_write /etc/sunk-bridge/trust.pub 0644
printf 'SUNK_BRIDGE_SNAPSHOT_URL=http://127.0.0.1:%s/scim/default/export/v1/snapshot\nSUNK_BRIDGE_SYNC_ARGS=--max-delete-percent 10\n' "$PORT" \
  | ct_write /etc/default/sunk-bridge-sync 0644
tokst=$(ct stat -c '%U:%G %a' /etc/sunk-bridge/node-token)
check "/etc/sunk-bridge/node-token is $tokst" test "$tokst" = "root:root 600"
if ct systemctl start sunk-bridge-sync.service 2> "$S/sync.err"; then ok "systemctl start sunk-bridge-sync.service"
else bad "systemctl start sunk-bridge-sync.service: $(cat "$S/sync.err")"; fi
res="$(prop sunk-bridge-sync.service ConditionResult) $(prop sunk-bridge-sync.service Result) $(prop sunk-bridge-sync.service ExecMainCode) $(prop sunk-bridge-sync.service ExecMainStatus) $(prop sunk-bridge-sync.service ActiveState) [$(prop sunk-bridge-sync.service ExecMainExitTimestamp)]"
check "sunk-bridge-sync.service ran: ConditionResult Result ExecMainCode ExecMainStatus ActiveState [ExecMainExitTimestamp] = $res" \
  bash -c '[[ $1 == "yes success 1 0 inactive ["?*"]" ]]' _ "$res" || show_journal sunk-bridge-sync.service
pw=$(ct grep '^alice:' /var/lib/extrausers/passwd 2>/dev/null)
check "/var/lib/extrausers/passwd has alice: $pw" test -n "$pw"
kc=$(ct stat -L -c '%U:%G %a %s' /var/lib/sunk-bridge/keys.cache 2>/dev/null)
check "keys cache /var/lib/sunk-bridge/keys.cache exists ($kc)" bash -c '[[ $1 == "root:root 644 "* ]]' _ "$kc"
kl=$(ct readlink /var/lib/sunk-bridge/keys.cache /var/lib/extrausers/passwd /var/lib/sunk-bridge/current 2>/dev/null | tr '\n' ' ')
check "node files are links into the current generation ($kl)" \
  bash -c '[[ $1 == "current/keys.cache ../sunk-bridge/current/passwd generations/"[0-9]*" " ]]' _ "$kl"
alice_uid=$(cut -d: -f3 <<< "$pw")
served=$(ct runuser -u sunk-bridge-keys -- /usr/libexec/sunk-bridge/sunk-authorized-keys alice "${alice_uid:-0}" 2>/dev/null)
check "sunk-authorized-keys alice $alice_uid (as sunk-bridge-keys) serves the key" \
  bash -c '[[ $1 == *"${2#ssh-ed25519 }"* ]]' _ "$served" "$(awk '{print $1, $2}' <<< "$KEY")"
topst=$(ct stat -c '%U:%G %a' /var/lib/sunk-bridge 2>/dev/null); dirst=$(ct stat -c '%U:%G %a' /var/lib/sunk-bridge/server 2>/dev/null)
check "after the sync: /var/lib/sunk-bridge $topst, /var/lib/sunk-bridge/server $dirst (StateDirectory= chowned nothing)" \
  test "$topst" = "root:root 755" -a "$dirst" = "sunk-bridge:sunk-bridge 750"
if ct systemctl start sunk-bridge-sync.timer 2> "$S/timer.err"; then ok "systemctl start sunk-bridge-sync.timer"
else bad "systemctl start sunk-bridge-sync.timer: $(cat "$S/timer.err")"; fi
tst=$(prop sunk-bridge-sync.timer ActiveState)/$(prop sunk-bridge-sync.timer SubState)
nm=$(prop sunk-bridge-sync.timer NextElapseUSecMonotonic); nr=$(prop sunk-bridge-sync.timer NextElapseUSecRealtime)
next=$(ct systemctl list-timers --no-pager --no-legend sunk-bridge-sync.timer 2>/dev/null | head -n1 | awk '{$NF=""; $(NF-1)=""; print}' | sed 's/ *$//')
check "sunk-bridge-sync.timer $tst, next elapse set (list-timers: $next)" \
  bash -c '[ "$1" = active/waiting ] && { [ -n "$2" ] && [ "$2" != 0 ] || [ -n "$3" ] && [ "$3" != 0 ]; }' _ "$tst" "$nm" "$nr"

# ---- 4b. the watch service: a deactivation reaches the node within seconds ------------------------
echo "== sunk-bridge-watch.service"
if ct systemctl start sunk-bridge-watch.service 2> "$S/watch.err"; then ok "systemctl start sunk-bridge-watch.service"
else bad "systemctl start sunk-bridge-watch.service: $(cat "$S/watch.err")"; fi
for _ in $(seq 1 100); do ct /usr/bin/sunk-bridge status 2>/dev/null | grep -q '^watch: waiting' && break; sleep 0.1; done
wl=$(ct /usr/bin/sunk-bridge status 2>/dev/null | grep '^watch:')
check "status: ${wl:-no watch line}" bash -c '[[ $1 == "watch: waiting at serial "* ]]' _ "$wl" || show_journal sunk-bridge-watch.service
ALICE_ID=$(sed '$d' "$S/post.out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])' 2>/dev/null)
t=$SECONDS
code=$(printf '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}' \
  | ct curl -s -o /dev/null -w '%{http_code}' --max-time 10 -X PATCH -H "Authorization: Bearer $SCIM_TOKEN" \
    -H 'Content-Type: application/scim+json' --data-binary @- "http://127.0.0.1:$PORT/scim/default/Users/$ALICE_ID")
check "PATCH alice active=false -> $code" test "$code" = 200
for _ in $(seq 1 100); do ct grep -q '^alice:!\*:' /var/lib/extrausers/shadow 2>/dev/null && break; sleep 0.1; done
sh=$(ct grep '^alice:' /var/lib/extrausers/shadow 2>/dev/null)
check "the watcher locked alice within $((SECONDS-t)) s, no timer involved (shadow: $sh)" bash -c '[[ $1 == "alice:!*:"* ]]' _ "$sh" \
  || show_journal sunk-bridge-watch.service
wst="$(prop sunk-bridge-watch.service ActiveState)/$(prop sunk-bridge-watch.service SubState) $(prop sunk-bridge-watch.service NRestarts)"
check "sunk-bridge-watch.service still running, never restarted (ActiveState/SubState NRestarts = $wst)" test "$wst" = "active/running 0"
ct systemctl stop sunk-bridge-watch.service 2> "$S/watch.err" || bad "systemctl stop sunk-bridge-watch.service: $(cat "$S/watch.err")"
res="$(prop sunk-bridge-watch.service ActiveState) $(prop sunk-bridge-watch.service Result)"
check "sunk-bridge-watch.service stopped cleanly (ActiveState Result = $res)" test "$res" = "inactive success"

# ---- 5. stop the receiver: SIGTERM handled, exit 0 ----------------------------------------------
echo "== stop"
t=$SECONDS
ct systemctl stop sunk-bridge.service 2> "$S/stop.err" || bad "systemctl stop sunk-bridge.service: $(cat "$S/stop.err")"
res="$(prop sunk-bridge.service ActiveState) $(prop sunk-bridge.service Result) $(prop sunk-bridge.service ExecMainCode) $(prop sunk-bridge.service ExecMainStatus)"
check "sunk-bridge.service stopped in $((SECONDS-t)) s: ActiveState Result ExecMainCode ExecMainStatus = $res (1 = exited)" \
  test "$res" = "inactive success 1 0"
[ "$res" = "inactive success 1 0" ] || show_journal sunk-bridge.service
code=$(ct curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$PORT/healthz" 2>/dev/null)
check "nothing listens on 127.0.0.1:$PORT any more (curl: $code)" test "$code" = 000
failed=$(ct systemctl list-units --failed --no-legend --plain --no-pager 2>/dev/null | awk '{print $1}' | tr '\n' ' ')
check "no failed unit in the container${failed:+: $failed}" test -z "$failed"
ct journalctl --no-pager -o short-monotonic > "$S/journal.txt" 2>&1
# the units set LIBDISPATCH_LOG=NO: the runtime's refused thread-priority request stays out of the journal
noise=$(ct journalctl --no-pager -o cat -u sunk-bridge.service -u sunk-bridge-sync.service -u sunk-bridge-watch.service 2>/dev/null | grep -c 'thread priority')
check "no 'Failed to set thread priority' noise from the units in the journal (${noise:-?} lines)" test "${noise:-1}" = 0

# ---- 6. tear down ---------------------------------------------------------------------------
if [ -n "${HOLD:-}" ]; then
  echo "obs  HOLD=$HOLD: the container stays up for $HOLD s; enter it with:"
  echo "     nsenter -t $CPID -m -u -i -n -p -C -r -w /bin/bash"
  sleep "$HOLD"
fi
echo "== tear down"
t=$SECONDS
kill -s SIGRTMIN+4 "$CPID" 2>/dev/null   # what `machinectl poweroff` sends: systemd powers off and exits
for _ in $(seq 1 200); do kill -0 "$LAUNCHER" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$LAUNCHER" 2>/dev/null; then bad "the container did not power off within 20 s"; else
  wait "$LAUNCHER"; lrc=$?
  # systemd-shutdown calls reboot(POWER_OFF); in a PID namespace that kills its init with SIGINT
  # (reboot(2)), so unshare and script report 128+2
  check "container powered off in $((SECONDS-t)) s (exit status $lrc = SIGINT, reboot(2)'s power-off in a PID namespace)" test "$lrc" = 130
fi
stop_container
left_pid=$(ns_members "$PIDNS" | tr '\n' ' '); left_mnt=$(ns_members "$MNTNS" | tr '\n' ' ')
check "no process left in the container's pid or mount namespace${left_pid:+ pids: $left_pid}${left_mnt:+ mnt: $left_mnt}" \
  test -z "$left_pid$left_mnt"
smounts=$(findmnt -rn -o TARGET | grep -F "$S" || true)
check "no host mount below $S${smounts:+: $smounts}" test -z "$smounts"
remove_cgroup
check "cgroup $CG removed" test ! -e "$CG"
host_state > "$S/host.after"
if cmp -s "$S/host.before" "$S/host.after"; then ok "host untouched (accounts, dpkg status, package paths, systemd config, mounts, hostname, links, top-level cgroups)"
else bad "host changed:"; diff "$S/host.before" "$S/host.after" | sed 's/^/     /'; fi
upper_sz=$(du -sh "$S/upper" 2>/dev/null | cut -f1)
cleanup
[ "${KEEP:-0}" = 1 ] || check "scratch directory removed (its upper layer held $upper_sz)" test ! -e "$S"

echo "runtime $((SECONDS-T0)) s"
if [ "$FAILS" = 0 ]; then echo "ALL CHECKS PASSED"; else echo "$FAILS CHECK(S) FAILED"; exit 1; fi
