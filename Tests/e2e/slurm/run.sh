#!/bin/bash
# run.sh SUNK_BRIDGE_BIN - `sunk-bridge slurm sync` against the real Slurm 22.05 from Debian 12:
# MariaDB (scratch datadir, socket only), munged (scratch key and socket), slurmdbd, slurmctld and
# one slurmd, all as root inside private mount, network, PID and UTS namespaces (loopback only; a
# 10.253.0.1/32 on lo because Slurm resolves its listen address with AI_ADDRCONFIG, which ignores
# loopback addresses). The receiver (`sunk-bridge serve`) runs there too and gets an Okta-shaped
# push; `sunk-bridge sync` writes the NSS files (libnss-extrausers), so Slurm and sbatch resolve
# the IdP users through the bridge's own files; `slurm sync` then makes accounts and
# associations, and the checks submit real jobs.
#
# Isolation: every daemon lives in the PID namespace (they all die with it); /etc/slurm,
# /etc/hosts, /etc/nsswitch.conf, /run/munge, /run/mysqld, /var/lib/extrausers and
# /var/lib/sunk-bridge are bind mounts of scratch directories in the private mount namespace;
# the host's own /etc is never written. The scratch directory is removed at the end (KEEP=1 keeps it).
# Prints `ok …` / `FAIL …` / `obs …` lines and last `ALL CHECKS PASSED` or `N CHECKS FAILED`.
# Exit 0 = all passed, 1 = a check failed, 2 = a missing prerequisite.
set -uo pipefail
SELF=$(readlink -f "$0")
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

if [ "${1:-}" != __inside ]; then
  BIN=${1:-}
  [ -n "$BIN" ] && [ -x "$BIN" ] || { echo "usage: $0 path/to/sunk-bridge" >&2; exit 2; }
  missing() { echo "missing prerequisite: $*" >&2; exit 2; }
  [ "$(id -u)" = 0 ] || missing "root (namespaces, mounts, the Slurm daemons)"
  for t in unshare ip setpriv curl python3 getent mariadb-install-db mysqld munged munge slurmdbd slurmctld slurmd sacctmgr sbatch scontrol scancel sinfo; do
    command -v "$t" >/dev/null || missing "$t (bash scripts/install-deps.sh)"
  done
  { [ -e /usr/lib/libnss_extrausers.so.2 ] || [ -e /lib/x86_64-linux-gnu/libnss_extrausers.so.2 ] \
    || [ -e /usr/lib/x86_64-linux-gnu/libnss_extrausers.so.2 ]; } || missing "libnss-extrausers"
  S=$(mktemp -d /tmp/sunk-slurm-e2e.XXXXXX)
  chmod 0755 "$S"
  cleanup() { if [ "${KEEP:-0}" = 1 ]; then echo "scratch kept: $S"; else rm -rf "$S"; fi; }
  trap cleanup EXIT
  # --kill-child: if unshare dies, the namespace's init (and with it every daemon) is killed.
  unshare --mount --propagation private --net --pid --fork --kill-child --uts --mount-proc \
    "$SELF" __inside "$S" "$(readlink -f "$BIN")"
  rc=$?
  left=$(ps -eo pid=,args= | grep -E "$S" | grep -v -E "grep|run.sh" || true)
  [ -z "$left" ] || { echo "FAIL processes of the test left running: $left"; rc=1; }
  exit $rc
fi

# ---- inside the namespaces ------------------------------------------------------------------
S=$2 BIN=$3
FAILS=0
ok()  { echo "ok   $*"; }
bad() { echo "FAIL $*"; FAILS=$((FAILS+1)); }
obs() { echo "obs  $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; return 1; fi; }
indent() { sed 's/^/     | /'; }
finish() {
  # daemons first (they write into S), then the verdict
  for p in slurmd slurmctld slurmdbd; do [ -f "$S/run/$p.pid" ] && kill "$(cat "$S/run/$p.pid")" 2>/dev/null; done
  [ -n "${SERVE_PID:-}" ] && kill "$SERVE_PID" 2>/dev/null
  [ -f /run/mysqld/mysqld.pid ] && kill "$(cat /run/mysqld/mysqld.pid)" 2>/dev/null
  [ -f /run/munge/munged.pid ] && kill "$(cat /run/munge/munged.pid)" 2>/dev/null
  sleep 0.5
  if [ "$FAILS" = 0 ]; then echo "ALL CHECKS PASSED"; exit 0; fi
  for f in slurmctld slurmdbd slurmd; do echo "obs  last lines of $f.log:"; tail -n 8 "$S/log/$f.log" 2>/dev/null | indent; done
  echo "$FAILS CHECKS FAILED"; exit 1
}
trap finish EXIT
T0=$SECONDS

ip link set lo up && ip addr add 10.253.0.1/32 dev lo && hostname sunkctl || { bad "network namespace set-up"; exit 1; }
mkdir -p "$S"/{etc-slurm,run-munge,run-mysqld,mysql,munge,log,run,spool/ctld,spool/d,extrausers,state,server}
chmod 1777 "$S/log"
chown mysql:mysql "$S/mysql" "$S/run-mysqld"
chown munge:munge "$S/munge" "$S/run-munge"; chmod 0700 "$S/munge"; chmod 0755 "$S/run-munge"
mkdir -p /run/munge /run/mysqld
printf '127.0.0.1 localhost sunkctl sunknode\n' > "$S/hosts"
printf 'passwd: files extrausers\ngroup: files extrausers\nshadow: files extrausers\nhosts: files\n' > "$S/nsswitch.conf"
for m in "etc-slurm:/etc/slurm" "run-munge:/run/munge" "run-mysqld:/run/mysqld" "hosts:/etc/hosts" \
         "nsswitch.conf:/etc/nsswitch.conf" "extrausers:/var/lib/extrausers" "state:/var/lib/sunk-bridge"; do
  src=$S/${m%%:*} dst=${m#*:}
  [ -e "$dst" ] || mkdir -p "$dst"
  mount --bind "$src" "$dst" || { bad "bind mount $dst"; exit 1; }
done
ok "private namespaces: loopback network, hostname sunkctl, scratch /etc/slurm, /etc/hosts, nsswitch (files extrausers)"

# ---- the receiver and an Okta-shaped push --------------------------------------------------------
DB=$S/server/sunk-bridge.sqlite
"$BIN" serve --db "$DB" --listen 127.0.0.1:8080 > "$S/log/serve.log" 2>&1 &
SERVE_PID=$!
for _ in $(seq 1 100); do curl -sf -o /dev/null http://127.0.0.1:8080/healthz && break; sleep 0.1; done
check "sunk-bridge serve on 127.0.0.1:8080" curl -sf -o /dev/null http://127.0.0.1:8080/healthz || exit 1
TOKEN=$(cat "$S/server/bootstrap-token")
BASE=http://127.0.0.1:8080/scim/default
scim() { # METHOD PATH [JSON] -> body in S/resp, status on stdout
  curl -s -o "$S/resp" -w '%{http_code}' -X "$1" -H "Authorization: Bearer $TOKEN" \
    -H 'Content-Type: application/scim+json' ${3:+--data-binary "$3"} "$BASE$2"
}
jid() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$S/resp"; }
declare -A ID
for u in ada bob cy dan eve; do
  code=$(scim POST /Users '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:coreweave:params:scim:schemas:extension:coreweave:2.0:CoreWeaveUser"],"userName":"'$u'@example.org","name":{"givenName":"'$u'","familyName":"Test"},"emails":[{"primary":true,"value":"'$u'@example.org","type":"work"}],"displayName":"'$u' Test","active":true,"urn:coreweave:params:scim:schemas:extension:coreweave:2.0:CoreWeaveUser":{"sunkPosixUsername":"'$u'"}}')
  check "Okta push: POST /Users $u -> $code" test "$code" = 201 && ID[$u]=$(jid)
done
group() { # DISPLAYNAME MEMBER... : Okta's Group Push: POST the group, then PATCH its members in
  local code gid members=""
  code=$(scim POST /Groups '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"'"$1"'","members":[]}')
  check "Okta push: POST /Groups \"$1\" -> $code" test "$code" = 201 || return 1
  gid=$(jid); shift
  for m in "$@"; do members+="${members:+,}{\"value\":\"${ID[$m]}\",\"display\":\"$m@example.org\"}"; done
  code=$(scim PATCH "/Groups/$gid" '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members","value":['"$members"']}]}')
  check "Okta push: PATCH members of the group ($*) -> $code" test "$code" = 200 -o "$code" = 204
  echo "$gid" > "$S/group-$(echo "$1" | tr -c 'a-z' _)"
  GROUP_ID=$gid
}
group slurm-physics ada bob cy eve; PHYSICS=$GROUP_ID
group "HPC Research (EU)" ada

"$BIN" token create --db "$DB" --org default --name controller --scope node --quiet > "$S/node-token" 2> "$S/log/token.err"
chmod 0600 "$S/node-token"
"$BIN" org trust-key --db "$DB" default > "$S/trust.pub" 2>> "$S/log/token.err"
check "node token and trust key from the receiver" test -s "$S/node-token" -a -s "$S/trust.pub" || cat "$S/log/token.err" | indent
FROM=(--from "$BASE/export/v1/snapshot" --token-file "$S/node-token" --trust-key "$S/trust.pub")
"$BIN" sync "${FROM[@]}" --quiet > "$S/log/sync.log" 2>&1
check "sunk-bridge sync wrote the NSS files (exit $?)" grep -q '^ada:' /var/lib/extrausers/passwd || indent < "$S/log/sync.log"
check "getent passwd ada resolves through libnss-extrausers: $(getent passwd ada)" getent passwd ada >/dev/null

# ---- the real Slurm -----------------------------------------------------------------------------
mariadb-install-db --datadir="$S/mysql" --user=mysql --skip-test-db --auth-root-authentication-method=socket \
  > "$S/log/install-db.log" 2>&1 || { bad "mariadb-install-db"; indent < "$S/log/install-db.log"; exit 1; }
mysqld --no-defaults --datadir="$S/mysql" --user=mysql --socket=/run/mysqld/mysqld.sock --skip-networking \
  --pid-file=/run/mysqld/mysqld.pid --log-error="$S/log/mysqld.log" --innodb-buffer-pool-size=32M > /dev/null 2>&1 &
dd if=/dev/urandom of="$S/munge/munge.key" bs=128 count=1 status=none
chown munge:munge "$S/munge/munge.key"; chmod 0400 "$S/munge/munge.key"
setpriv --reuid=munge --regid=munge --clear-groups munged --key-file="$S/munge/munge.key" \
  --pid-file=/run/munge/munged.pid --log-file="$S/log/munged.log" --seed-file="$S/munge/seed"
check "munged with a scratch key on /run/munge (private)" bash -c 'munge -n | unmunge >/dev/null'
cat > /etc/slurm/slurmdbd.conf <<C
AuthType=auth/munge
DbdHost=sunkctl
DbdAddr=127.0.0.1
SlurmUser=root
LogFile=$S/log/slurmdbd.log
PidFile=$S/run/slurmdbd.pid
StorageType=accounting_storage/mysql
StorageHost=localhost
StorageUser=root
StorageLoc=slurm_acct_db
C
chmod 0600 /etc/slurm/slurmdbd.conf
cat > /etc/slurm/slurm.conf <<C
ClusterName=sunk
SlurmctldHost=sunkctl(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$S/spool/ctld
SlurmdSpoolDir=$S/spool/d
SlurmctldPidFile=$S/run/slurmctld.pid
SlurmdPidFile=$S/run/slurmd.pid
SlurmctldLogFile=$S/log/slurmctld.log
SlurmdLogFile=$S/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/builtin
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=127.0.0.1
AccountingStorageEnforce=associations,limits
MpiDefault=none
ReturnToService=2
SlurmdParameters=config_overrides
NodeName=sunknode NodeAddr=127.0.0.1 CPUs=4 State=UNKNOWN
PartitionName=debug Nodes=sunknode Default=YES MaxTime=INFINITE State=UP
C
for _ in $(seq 1 100); do [ -S /run/mysqld/mysqld.sock ] && break; sleep 0.1; done
check "MariaDB on a private socket ($(($SECONDS - T0)) s)" test -S /run/mysqld/mysqld.sock || exit 1
slurmdbd
for _ in $(seq 1 100); do sacctmgr -n -P show cluster > /dev/null 2>&1 && break; sleep 0.2; done
check "slurmdbd answers sacctmgr" sacctmgr -n -P show cluster || exit 1
sacctmgr -i add cluster sunk > /dev/null
slurmctld && slurmd -N sunknode
for _ in $(seq 1 150); do [ "$(sinfo -h -o %T 2>/dev/null)" = idle ] && break; sleep 0.2; done
check "slurmctld and slurmd up, node idle ($(($SECONDS - T0)) s): $(sinfo -h -o '%N %T' 2>&1)" test "$(sinfo -h -o %T)" = idle || exit 1

# an account and an association made by hand, which slurm sync must never touch
sacctmgr -i add account handmade "Description=made by hand" Organization=ops > /dev/null
sacctmgr -i add user dan Account=handmade > /dev/null
HAND_BEFORE=$(sacctmgr -n -P show account handmade format=Account,Descr,Org; sacctmgr -n -P show assoc where account=handmade format=Account,User,MaxSubmit,ParentName)

SLURM=(slurm sync "${FROM[@]}" --account-group-prefix slurm- --map-account hpc-research-eu=research)
"$BIN" "${SLURM[@]}" --dry-run > "$S/log/dry.out" 2>&1
indent < "$S/log/dry.out"
check "--dry-run prints the sacctmgr commands" grep -qx "sacctmgr -i add account physics Parent=root 'Description=sunk-bridge: managed' Organization=sunk-bridge" "$S/log/dry.out"
check "--dry-run changed nothing (no account physics)" test -z "$(sacctmgr -n -P show account physics format=Account)"

"$BIN" "${SLURM[@]}" > "$S/log/slurm1.out" 2>&1; rc=$?
indent < "$S/log/slurm1.out"
check "slurm sync (exit $rc)" test $rc = 0
check "every change logged" test "$(grep -c '^slurm sync: .*: sacctmgr -i ' "$S/log/slurm1.out")" = 7
echo "obs  sacctmgr -n -P show account format=Account,Descr,Org:"; sacctmgr -n -P show account format=Account,Descr,Org | indent
echo "obs  sacctmgr -n -P show association format=Cluster,Account,User,Partition,MaxSubmit:"
sacctmgr -n -P show association format=Cluster,Account,User,Partition,MaxSubmit | indent
echo "obs  sacctmgr -n -P show user format=User,DefaultAccount:"; sacctmgr -n -P show user format=User,DefaultAccount | indent
check "accounts physics and research marked Organization=sunk-bridge" \
  test "$(sacctmgr -n -P show account physics,research format=Account,Org | sort | tr '\n' ' ')" = "physics|sunk-bridge research|sunk-bridge "
check "associations ada/bob/cy/eve in physics, ada in research" \
  test "$(sacctmgr -n -P show assoc where account=physics,research format=Account,User | grep -v '|$' | sort | tr '\n' ' ')" = "physics|ada physics|bob physics|cy physics|eve research|ada "
check "default account of ada is physics" test "$(sacctmgr -n -P show user ada format=DefaultAccount)" = physics

as_user() { # NAME COMMAND... : run as the IdP user, ids from NSS (the bridge's files)
  local u=$1; shift
  setpriv --reuid="$(id -u "$u")" --regid="$(id -g "$u")" --clear-groups "$@"
}
submit() { # NAME ACCOUNT -> job id on stdout, sbatch's error in S/sbatch.err
  as_user "$1" sbatch --parsable --account="$2" --chdir=/tmp --output=/dev/null --wrap=true 2> "$S/sbatch.err"
}
JOB=$(submit ada physics)
check "ada: sbatch --account=physics --wrap=true accepted (job ${JOB:-none})" test -n "$JOB" || indent < "$S/sbatch.err"
state=""
for _ in $(seq 1 100); do
  state=$(scontrol show job "$JOB" -o 2>/dev/null | grep -o 'JobState=[A-Z_]*' | cut -d= -f2)
  [ "$state" = COMPLETED ] || [ "$state" = FAILED ] && break; sleep 0.2
done
check "ada's job ran: JobState=$state" test "$state" = COMPLETED
job_state() { scontrol show job "$1" -o 2>/dev/null | grep -o 'JobState=[A-Z_]*' | cut -d= -f2; }
long_job() { as_user "$1" sbatch --parsable --account=physics --chdir=/tmp --output=/dev/null --wrap='sleep 300' 2> "$S/sbatch.err"; }
CYJOB=$(long_job cy); EVEJOB=$(long_job eve)
for _ in $(seq 1 100); do [ "$(job_state "$CYJOB")$(job_state "$EVEJOB")" = RUNNINGRUNNING ] && break; sleep 0.2; done
check "cy and eve each have a running job (${CYJOB:-none}, ${EVEJOB:-none})" test "$(job_state "$CYJOB")$(job_state "$EVEJOB")" = RUNNINGRUNNING
JOB=$(submit bob chemistry)
check "bob: sbatch --account=chemistry (no such association) refused" test -z "$JOB"

# ---- Okta: bob leaves the group, cy is deactivated ------------------------------------------------
code=$(scim PATCH "/Groups/$PHYSICS" '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"members[value eq \"'"${ID[bob]}"'\"]"}]}')
check "Okta push: remove bob from slurm-physics -> $code" test "$code" = 200 -o "$code" = 204
code=$(scim PATCH "/Users/${ID[cy]}" '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}')
check "Okta push: deactivate cy -> $code" test "$code" = 200 -o "$code" = 204
"$BIN" "${SLURM[@]}" > "$S/log/slurm2.out" 2>&1; rc=$?
indent < "$S/log/slurm2.out"
check "slurm sync after the changes (exit $rc)" test $rc = 0
check "bob's association with physics removed" test -z "$(sacctmgr -n -P show assoc where account=physics user=bob format=User)"
check "cy blocked: MaxSubmit=0 on cy/physics" test "$(sacctmgr -n -P show assoc where account=physics user=cy format=MaxSubmit)" = 0
JOB=$(submit bob physics)
check "bob (left the group): sbatch --account=physics refused: $(head -c 150 "$S/sbatch.err" | tr '\n' ' ')" test -z "$JOB"
JOB=$(submit cy physics)
check "cy (locked): sbatch --account=physics refused: $(head -c 150 "$S/sbatch.err" | tr '\n' ' ')" test -z "$JOB"
JOB=$(submit ada physics)
check "ada still accepted (job ${JOB:-none})" test -n "$JOB"
check "cy's running job left alone by the block (--on-remove block without --cancel-jobs): $(job_state "$CYJOB")" \
  test "$(job_state "$CYJOB")" = RUNNING

code=$(scim PATCH "/Users/${ID[eve]}" '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}')
check "Okta push: deactivate eve -> $code" test "$code" = 200 -o "$code" = 204
SLURM+=(--cancel-jobs)
"$BIN" "${SLURM[@]}" > "$S/log/slurm2b.out" 2>&1; rc=$?
indent < "$S/log/slurm2b.out"
check "slurm sync --cancel-jobs (exit $rc)" test $rc = 0
check "eve blocked: MaxSubmit=0 on eve/physics" test "$(sacctmgr -n -P show assoc where account=physics user=eve format=MaxSubmit)" = 0
for _ in $(seq 1 50); do [ "$(job_state "$EVEJOB")" = CANCELLED ] && break; sleep 0.2; done
check "eve's running job cancelled (--cancel-jobs): $(job_state "$EVEJOB")" test "$(job_state "$EVEJOB")" = CANCELLED
check "cy's job (blocked earlier) still running: $(job_state "$CYJOB")" test "$(job_state "$CYJOB")" = RUNNING

"$BIN" "${SLURM[@]}" > "$S/log/slurm3.out" 2>&1; rc=$?
indent < "$S/log/slurm3.out"
check "a second slurm sync reports no change (exit $rc)" grep -q ': no change (' "$S/log/slurm3.out"
check "… and ran no command" test $rc = 0 -a "$(grep -c 'sacctmgr -i' "$S/log/slurm3.out")" = 0
HAND_AFTER=$(sacctmgr -n -P show account handmade format=Account,Descr,Org; sacctmgr -n -P show assoc where account=handmade format=Account,User,MaxSubmit,ParentName)
check "the account made by hand and its association are untouched" test "$HAND_BEFORE" = "$HAND_AFTER"
JOB=$(submit dan handmade)
check "dan (hand-made association) still accepted (job ${JOB:-none})" test -n "$JOB"
obs "elapsed $((SECONDS - T0)) s"
