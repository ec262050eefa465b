#!/usr/bin/env python3
"""run.py - the SUNK Bridge benchmark suite (issue 12): one table, every figure a ratio to a
reference measured in the same run.

Usage:
  Benchmarks/run.py --bridge .build/release/sunk-bridge --helper .build/static/release/sunk-authorized-keys \
      [--out docs/benchmarks.md] [--smoke] [--sizes 1000,10000,100000] [--only ingest,snapshot,...]
  Benchmarks/run.py --list-rows        # the row ids the table always has (the smoke test checks them)

`make bench` runs it at full size (release build); `make bench-smoke` runs every benchmark with tiny
sizes in seconds (the Swift test `BenchmarkSmokeTests` does the same inside `make test`).
Env: BENCH_SIZES=1000,10000,100000 (users of the three datasets), BENCH_ROUNDS, BENCH_LOAD_SECONDS.

Everything talks to 127.0.0.1 only. Needs root (root-owned keys cache, mount namespaces for NSS,
chown for homes), cc and libsqlite3-dev (the C references), python3, PostgreSQL 15 (`make deps`; the
ingest rows on PostgreSQL run `serve` on a scratch cluster made as the tests make theirs,
Benchmarks/pgcluster.py, with durable settings). Optional: eatmydata (fast
seeding of the datasets through the real API), wrk (not used), a venv with `scim2-server` from PyPI
(the peer; created under .build/bench/venv on a full run; a row says so when it cannot be).

How the datasets are made: each dataset (N users with 2 ed25519 keys each, G groups of 10 members)
is created through the real SCIM API by 32 concurrent clients against `serve` started under
`eatmydata` (fsync made a no-op, so seeding takes seconds, not the ~5 minutes that 100k durable
commits take here); the server is then restarted normally on that database for the measurements.
The SCIM ingest figures themselves always come from real HTTP against a normal, durable server.
"""
import argparse
import asyncio
import base64
import json
import os
import platform
import random
import re
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from httpclient import Conn  # noqa: E402
import push  # noqa: E402
from pgcluster import PostgresCluster  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
EXT = "urn:coreweave:params:scim:schemas:extension:coreweave:2.0:CoreWeaveUser"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"

# Every row the table has, in order: (id, section, label). A row that could not be measured still
# appears, with the reason in place of the figure.
ROWS = [
    ("ingest-seq-rate", "SCIM ingest", "sequential durable creates/s"),
    ("ingest-seq-peer", "SCIM ingest", "sequential creates/s vs scim2-server (PyPI peer, same client)"),
    ("ingest-seq-p50", "SCIM ingest", "sequential create latency p50"),
    ("ingest-seq-p99", "SCIM ingest", "sequential create latency p99"),
    ("ingest-c8", "SCIM ingest", "8-way concurrent creates/s"),
    ("ingest-c32", "SCIM ingest", "32-way concurrent creates/s"),
    ("ingest-c8-peer", "SCIM ingest", "8-way concurrent creates/s vs scim2-server"),
    ("ingest-pg-seq-rate", "SCIM ingest", "sequential durable creates/s on PostgreSQL vs SQLite"),
    ("ingest-pg-c8", "SCIM ingest", "8-way concurrent creates/s on PostgreSQL vs SQLite"),
    ("filter-username-p50", "SCIM ingest", "filter userName eq p50, large vs small"),
    ("filter-username-p99", "SCIM ingest", "filter userName eq p99, large vs small"),
    ("filter-externalid-p50", "SCIM ingest", "filter externalId eq p50, large vs small"),
    ("filter-externalid-p99", "SCIM ingest", "filter externalId eq p99, large vs small"),
    ("group-patch-1000", "SCIM ingest", "group PATCH adding 1,000 members to the large all-users group"),
    ("rss-large", "SCIM ingest", "server RSS with the large dataset loaded"),
    ("snapshot-gen", "Snapshot", "snapshot generation (GET after a change), large"),
    ("snapshot-size", "Snapshot", "snapshot size, large"),
    ("snapshot-304-burst", "Snapshot", "conditional GET (304) p50, 200 nodes at once, large"),
    ("snapshot-304-single", "Snapshot", "conditional GET (304) p50, one node, large"),
    ("sync-full-extrausers", "Node", "full sync, large, extrausers"),
    ("sync-full-cache", "Node", "full sync, large, libnss-cache"),
    ("sync-unchanged", "Node", "unchanged sync (304), large"),
    ("sync-one-changed", "Node", "one-user-changed sync, large"),
    ("homes", "Node", "home creations by sync --create-homes, mid dataset"),
    ("helper-small", "Lookups", "key helper, small cache"),
    ("helper-large", "Lookups", "key helper, large cache"),
    ("helper-huge", "Lookups", "key helper, huge cache"),
    ("helper-flat", "Lookups", "key helper, huge vs small cache"),
    ("helper-vs-c", "Lookups", "key helper vs static C one-line reader, huge cache"),
    ("nss-extrausers-passwd-name", "Lookups", "getent passwd NAME, extrausers, large vs small"),
    ("nss-extrausers-passwd-uid", "Lookups", "getent passwd UID, extrausers, large vs small"),
    ("nss-extrausers-group", "Lookups", "getent group NAME, extrausers, large vs small"),
    ("nss-extrausers-id", "Lookups", "id NAME, extrausers, large vs small"),
    ("nss-cache-passwd-name", "Lookups", "getent passwd NAME, libnss-cache, large vs small"),
    ("nss-cache-passwd-uid", "Lookups", "getent passwd UID, libnss-cache, large vs small"),
    ("nss-cache-group", "Lookups", "getent group NAME, libnss-cache, large vs small"),
    ("nss-cache-id", "Lookups", "id NAME, libnss-cache, large vs small"),
    ("bridge-getent", "Lookups", "sunk-bridge getent passwd NAME, large, vs the bare CLI start-up"),
    ("bridge-getent-flat", "Lookups", "sunk-bridge getent passwd NAME, large vs small"),
    ("inproc-snapshot-open", "In-process", "open the large signed snapshot (verify + decode), ordo-one/benchmark"),
    ("inproc-snapshot-encode", "In-process", "canonical encoding of the large snapshot body (digest, publication), ordo-one/benchmark"),
    ("inproc-keys-lookup", "In-process", "keys cache lookup, large vs small cache, ordo-one/benchmark"),
    ("load-5xx", "Load", "32 clients mixing Okta reads and writes: 5xx answers"),
    ("load-locked", "Load", "32 clients: `database is locked` seen"),
    ("load-rss", "Load", "32 clients: RSS growth, second half vs first half"),
    ("load-throughput", "Load", "32 clients: requests/s"),
    ("load-304", "Load", "200 concurrent conditional snapshot requests answered 304"),
] + push.ROWS
ROW_IDS = [r[0] for r in ROWS]


# ---------------------------------------------------------------------------------------------
# Results


class Table:
    def __init__(self):
        self.rows = {}

    def put(self, rid, figure, reference="", ref_figure="", ratio=None, target="", met=None, note=""):
        """figure/ref_figure are display strings; ratio a float or None; met True/False/None."""
        assert rid in ROW_IDS, rid
        self.rows[rid] = dict(figure=figure, reference=reference, ref_figure=ref_figure, ratio=ratio,
                              target=target, met=met, note=note)
        r = self.rows[rid]
        print(f"  {rid}: {figure} | {reference} {ref_figure} | ratio {fmt_ratio(ratio)} | {target} "
              f"{'' if met is None else ('met' if met else 'MISSED')} {note}", flush=True)

    def missing(self, rid, reason):
        self.rows[rid] = dict(figure="not measured", reference="", ref_figure="", ratio=None, target="",
                              met=None, note=reason)
        print(f"  {rid}: not measured: {reason}", flush=True)

    def markdown(self):
        out = ["| # | Section | Benchmark | Figure (median; best) | Reference | Reference figure | Ratio | "
               "Target | Result |", "|---|---|---|---|---|---|---|---|---|"]
        for i, (rid, section, label) in enumerate(ROWS, 1):
            r = self.rows.get(rid) or dict(figure="not measured", reference="", ref_figure="", ratio=None,
                                           target="", met=None, note="section not run")
            result = "" if r["met"] is None else ("met" if r["met"] else "**missed**")
            note = r["note"]
            if note:
                result = (result + " " if result else "") + f"({note})"
            out.append(f"| {i} | {section} | {label} `{rid}` | {r['figure']} | {r['reference']} | "
                       f"{r['ref_figure']} | {fmt_ratio(r['ratio'])} | {r['target']} | {result} |")
        return "\n".join(out)


def fmt_ratio(r):
    if r is None:
        return "—"
    return f"{r:.3f}×" if r < 0.1 else f"{r:.2f}×"


def ms(s):
    return f"{s * 1000:.2f} ms" if s < 1 else f"{s:.2f} s"


def pct(values, p):
    v = sorted(values)
    if not v:
        return float("nan")
    k = min(len(v) - 1, max(0, int(round(p / 100 * (len(v) - 1)))))
    return v[k]


def med(values):
    return statistics.median(values)


# ---------------------------------------------------------------------------------------------
# Data


def ed25519_key(rng, comment=""):
    blob = struct.pack(">I", 11) + b"ssh-ed25519" + struct.pack(">I", 32) + rng.randbytes(32)
    return "ssh-ed25519 " + base64.b64encode(blob).decode() + (" " + comment if comment else "")


def user_doc(i, rng, prefix="u"):
    name = f"{prefix}{i:07d}"
    return {"schemas": [USER_SCHEMA, EXT], "userName": f"{name}@example.com", "externalId": f"ext-{name}",
            "name": {"givenName": "Bench", "familyName": f"User {i}"}, "displayName": f"Bench User {i}",
            "emails": [{"value": f"{name}@example.com", "type": "work", "primary": True}],
            "active": True, "password": "not-stored", "groups": [],
            EXT: {"sunkSshKeys": [ed25519_key(rng), ed25519_key(rng, "laptop")]}}


# ---------------------------------------------------------------------------------------------
# Processes


def sh(args, check=True, **kw):
    return subprocess.run(args, check=check, text=True, capture_output=True, **kw)


def rss_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class Bridge:
    """`sunk-bridge serve` on DB, on a free loopback port."""

    def __init__(self, binary, db, work, eat=False, token_dir=None):
        """`db` is a file (SQLite) or a postgresql:// URL; the SCIM token is read from
        `bootstrap-token` in `token_dir` (default: the database file's folder)."""
        self.binary, self.db, self.work, self.eat = binary, db, work, eat
        self.token_dir = token_dir or os.path.dirname(db)
        self.proc = None

    def start(self):
        cmd = [self.binary, "serve", "--db", self.db, "--listen", "127.0.0.1:0", "--max-body-bytes", str(64 << 20)]
        if self.eat:
            cmd = [shutil.which("eatmydata")] + cmd
        self.errlog = open(os.path.join(self.work, "serve.stderr"), "a")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self.errlog, text=True,
                                     env={**os.environ, "LIBDISPATCH_LOG": "NO"})
        base = None
        for line in self.proc.stdout:
            if line.startswith("SCIM base URL for org default: "):
                base = line.split(": ", 1)[1].strip()
                break
        if base is None:
            raise RuntimeError("serve did not print its base URL (see serve.stderr)")
        threading.Thread(target=lambda: [None for _ in self.proc.stdout], daemon=True).start()
        m = re.match(r"http://127\.0\.0\.1:(\d+)(/scim/default)$", base)
        if not m:
            raise RuntimeError(f"unexpected base URL {base}")
        self.port, self.prefix = int(m.group(1)), m.group(2)
        self.token = open(os.path.join(self.token_dir, "bootstrap-token")).read().strip()
        return self

    def stop(self):
        if self.proc:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None
            self.errlog.close()

    def conn(self):
        return Conn(self.port, headers={"Authorization": f"Bearer {self.token}",
                                        "Content-Type": "application/scim+json", "Accept": "application/scim+json"})

    def rss_mb(self):
        return rss_kb(self.proc.pid) / 1024

    def cli(self, *args):
        return sh([self.binary, *args, "--db", self.db]).stdout


async def run_pool(conns, jobs):
    """Runs coroutine factories `jobs` (callables taking a Conn) over the connections, each
    connection one request at a time. Returns results in job order."""
    queue = asyncio.Queue()
    for i, job in enumerate(jobs):
        queue.put_nowait((i, job))
    results = [None] * len(jobs)

    async def worker(c):
        while True:
            try:
                i, job = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            results[i] = await job(c)

    await asyncio.gather(*(worker(c) for c in conns))
    return results


def create_job(path, doc):
    body = json.dumps(doc)

    async def job(c):
        status, _, payload, secs = await c.request("POST", path, body)
        return status, payload, secs
    return job


async def seed(bridge, users, groups, rng, first=0, concurrency=32):
    """Creates users [first, users) and `groups` groups of 10 members through the API. Returns ids."""
    conns = [bridge.conn() for _ in range(concurrency)]
    jobs = [create_job(bridge.prefix + "/Users", user_doc(i, rng)) for i in range(first, users)]
    res = await run_pool(conns, jobs)
    ids = []
    for status, payload, _ in res:
        if status != 201:
            raise RuntimeError(f"seeding a user failed: {status} {payload[:300]!r}")
        ids.append(json.loads(payload)["id"])
    gids = []
    if groups:
        gjobs = []
        for j in range(groups):
            members = [{"value": ids[(j * 7 + k * 13) % len(ids)]} for k in range(min(10, len(ids)))]
            gjobs.append(create_job(bridge.prefix + "/Groups", {"schemas": [GROUP_SCHEMA],
                                                                "displayName": f"Bench Group {first}-{j}",
                                                                "members": members}))
        for status, payload, _ in await run_pool(conns, gjobs):
            if status != 201:
                raise RuntimeError(f"seeding a group failed: {status} {payload[:300]!r}")
            gids.append(json.loads(payload)["id"])
    for c in conns:
        c.close()
    return ids, gids


def copy_db(src, dst):
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(src + suffix):
            shutil.copy2(src + suffix, dst + suffix)
    tok = os.path.join(os.path.dirname(src), "bootstrap-token")
    shutil.copy2(tok, os.path.join(os.path.dirname(dst), "bootstrap-token"))


# ---------------------------------------------------------------------------------------------
# The suite


def wall_clock_p50(text):
    """The p50 of each benchmark's "Time (wall clock)" row in ordo-one/benchmark's text table, in seconds.

    A benchmark's name is the line before its table; the row reads
    `│ Time (wall clock) (ms) *  │ p0 │ p25 │ p50 │ …`."""
    units = {"ns": 1e-9, "μs": 1e-6, "us": 1e-6, "ms": 1e-3, "s": 1.0}
    result, name = {}, None
    for line in text.splitlines():
        if line.strip() and line.strip()[0] not in "│╒╞╘├":   # a table's borders and rows start so
            name = line.strip()
            continue
        m = re.match(r"\s*│\s*Time \(wall clock\) \((\S+)\)\s*\*?\s*│([^│]*)│([^│]*)│([^│]*)│", line)
        if m and name and m.group(1) in units:
            result[name] = float(m.group(4).replace(",", "").strip()) * units[m.group(1)]
    return result


class Suite:
    def __init__(self, args):
        self.args = args
        self.smoke = args.smoke
        sizes = [int(x) for x in (args.sizes or os.environ.get("BENCH_SIZES") or
                                  ("40,80,160" if self.smoke else "1000,10000,100000")).split(",")]
        self.small, self.mid, self.large = sizes
        self.huge = self.large * 10                     # the key helper's third cache size
        self.groups_small = max(2, self.small) if not self.smoke else 10
        self.groups_large = max(2, self.large // 20) if not self.smoke else 20
        self.rounds = int(os.environ.get("BENCH_ROUNDS") or (1 if self.smoke else 3))
        self.exec_rounds = 21 if self.smoke else 301
        self.seq_creates = 20 if self.smoke else 500
        self.conc_creates = 40 if self.smoke else 1000
        self.filter_queries = 30 if self.smoke else 1000
        self.homes = 30 if self.smoke else 10000
        self.load_seconds = float(os.environ.get("BENCH_LOAD_SECONDS") or (3 if self.smoke else 60))
        self.burst = 20 if self.smoke else 200
        self.table = Table()
        self.on_section = None      # called after each section (writes the report so far)
        self.work = tempfile.mkdtemp(prefix="sunk-bench-", dir="/var/tmp")
        self.run_dir = tempfile.mkdtemp(prefix="sunk-bench-", dir="/run")   # root-owned 0755 path
        os.chmod(self.run_dir, 0o755)
        self.tools = os.path.join(self.work, "tools")
        self.rng = random.Random(12)
        self.load_before = os.getloadavg()
        self.started = time.time()

    def log(self, msg):
        print(f"[{time.time() - self.started:7.1f}s] {msg}", flush=True)

    def want(self, section):
        return not self.args.only or section in self.args.only.split(",")

    # -- setup --------------------------------------------------------------------------------
    def build_tools(self):
        os.makedirs(self.tools, exist_ok=True)
        src = os.path.join(HERE, "tools")
        for name, extra in [("spawntime", []), ("sqlite_commit_loop", ["-lsqlite3"]), ("homes_loop", []),
                            ("keys_reader", ["-static"])]:
            sh(["cc", "-O2", "-o", os.path.join(self.tools, name), os.path.join(src, name + ".c")] + extra)

    def tool(self, name):
        return os.path.join(self.tools, name)

    def spawntime(self, commands, rounds=None, warm=5, ns_prefix=None):
        """Interleaved start-up times of commands (lists). Returns per-command list of seconds."""
        argv = [self.tool("spawntime"), str(rounds or self.exec_rounds), str(warm)]
        for i, c in enumerate(commands):
            if i:
                argv.append(";;")
            argv += c
        out = sh((ns_prefix or []) + argv).stdout
        samples = [[] for _ in commands]
        codes = [set() for _ in commands]
        for line in out.splitlines():
            i, ns, code = line.split()
            samples[int(i)].append(int(ns) / 1e9)
            codes[int(i)].add(int(code))
        return samples, codes

    def peer_python(self):
        """The venv python with scim2-server, or None with a reason."""
        venv = os.path.join(REPO, ".build", "bench", "venv")
        py = os.path.join(venv, "bin", "python")
        if os.path.exists(os.path.join(venv, "bin", "scim2-server")):
            return py, None
        if self.smoke:
            return None, "scim2-server not installed (make bench installs it)"
        try:
            sh([sys.executable, "-m", "venv", venv])
            sh([py, "-m", "pip", "install", "-q", "scim2-server"], timeout=600)
            return py, None
        except Exception as e:   # noqa: BLE001
            return None, f"could not install scim2-server from PyPI: {e}"

    # -- datasets -----------------------------------------------------------------------------
    def make_datasets(self):
        """Seeds small, mid and large databases through the API (eatmydata when available).
        The large one also gets an all-users group with large-1000 members and 1000 spare users."""
        eat = shutil.which("eatmydata") is not None
        seed_dir = os.path.join(self.work, "seed")
        os.makedirs(seed_dir)
        db = os.path.join(seed_dir, "sunk.sqlite")
        self.db = {}
        self.ids = {}
        done = 0
        ids = []
        for label, n, g in [("small", self.small, self.groups_small), ("mid", self.mid, self.groups_small),
                            ("large", self.large, self.groups_large)]:
            b = Bridge(self.args.bridge, db, seed_dir, eat=eat).start()
            t0 = time.time()
            new, _ = asyncio.run(seed(b, n, g, self.rng, first=done))
            ids += new
            done = n
            self.log(f"seeded {label}: {n} users (+{g} groups) in {time.time() - t0:.1f} s"
                     f"{' under eatmydata' if eat else ''}")
            if label == "small":
                self.node_token = b.cli("token", "create", "--org", "default", "--name", "bench-nodes",
                                        "--scope", "node", "--quiet").strip()
                self.trust = os.path.join(self.work, "trust.pub")
                with open(self.trust, "w") as f:
                    f.write(b.cli("org", "trust-key", "default"))
            b.stop()
            self.db[label] = os.path.join(self.work, label, "sunk.sqlite")
            copy_db(db, self.db[label])
            self.ids[label] = list(ids)
        self.seeded_with_eatmydata = eat

    # -- SCIM ingest --------------------------------------------------------------------------
    def bench_ingest(self):
        self.log("ingest: bare SQLite loop, sunk-bridge on SQLite and PostgreSQL, scim2-server, sequential and concurrent")
        peer_py, peer_reason = self.peer_python()
        res = {k: [] for k in ["ref_rate", "ref_p50", "ref_p99", "seq_rate", "seq_p50", "seq_p99", "c8", "c32",
                               "peer_seq", "peer_c8"]}
        for r in range(self.rounds):
            d = os.path.join(self.work, f"ingest{r}")
            os.makedirs(d)
            out = sh([self.tool("sqlite_commit_loop"), os.path.join(d, "ref.sqlite"), str(self.seq_creates)]).stdout
            lat = [int(l.split()[1]) / 1e9 for l in out.splitlines() if l.startswith("lat ")]
            res["ref_rate"].append(float(out.splitlines()[0].split()[1]))
            res["ref_p50"].append(pct(lat, 50))
            res["ref_p99"].append(pct(lat, 99))

            copy_db(self.db["small"], os.path.join(d, "b", "sunk.sqlite"))
            b = Bridge(self.args.bridge, os.path.join(d, "b", "sunk.sqlite"), d).start()
            rate, lats, conc = self.receiver_creates(b, str(r), [8, 32])
            res["seq_rate"].append(rate)
            res["seq_p50"].append(pct(lats, 50))
            res["seq_p99"].append(pct(lats, 99))
            res["c8"].append(conc[8])
            res["c32"].append(conc[32])
            if peer_py:
                peer = self.start_peer(peer_py, d)
                try:
                    mk = lambda: Conn(peer[1], headers={"Content-Type": "application/scim+json"})  # noqa: E731
                    # a quarter of the creates: the peer is slow, and a rate needs no more
                    rate, _ = asyncio.run(self.creates(peer[1], "", mk, max(20, self.seq_creates // 4), 1,
                                                       f"p{r}x", peer=True))
                    res["peer_seq"].append(rate)
                    rate, _ = asyncio.run(self.creates(peer[1], "", mk, max(40, self.conc_creates // 4), 8,
                                                       f"q{r}x", peer=True))
                    res["peer_c8"].append(rate)
                finally:
                    peer[0].terminate()
                    peer[0].wait()
        self.ingest_postgres(res)
        self.ingest = res
        T = self.table
        ref = f"bare SQLite commit loop (C, WAL, synchronous=FULL, {self.seq_creates} rows)"
        rates = lambda k: f"{med(res[k]):.0f}/s; {max(res[k]):.0f}/s"  # noqa: E731
        lats = lambda k: f"{ms(med(res[k]))}; {ms(min(res[k]))}"  # noqa: E731
        ratio = med(res["seq_rate"]) / med(res["ref_rate"])
        T.put("ingest-seq-rate", rates("seq_rate"), ref, rates("ref_rate"), ratio, "≥ 0.5×", ratio >= 0.5,
              note="" if ratio >= 0.5 else f"a create takes {ms(med(res['seq_p50']))} at p50 against "
              f"{ms(med(res['ref_p50']))} for the bare commit: the rest is request work, not the fsync")
        if res["peer_seq"]:
            ratio = med(res["seq_rate"]) / med(res["peer_seq"])
            T.put("ingest-seq-peer", rates("seq_rate"), "scim2-server 0.8 (in memory, not durable)",
                  rates("peer_seq"), ratio, "≥ 5×", ratio >= 5,
                  note="" if ratio >= 5 else "the peer keeps users in memory; ours commits each to disk")
            ratio = med(res["c8"]) / med(res["peer_c8"])
            T.put("ingest-c8-peer", rates("c8"), "scim2-server 8-way", rates("peer_c8"), ratio)
        else:
            T.missing("ingest-seq-peer", peer_reason)
            T.missing("ingest-c8-peer", peer_reason)
        T.put("ingest-seq-p50", lats("seq_p50"), "bare loop commit p50", lats("ref_p50"),
              med(res["seq_p50"]) / med(res["ref_p50"]))
        T.put("ingest-seq-p99", lats("seq_p99"), "bare loop commit p99", lats("ref_p99"),
              med(res["seq_p99"]) / med(res["ref_p99"]))
        ratio = med(res["c8"]) / med(res["ref_rate"])
        scale = med(res["c8"]) / med(res["seq_rate"])
        T.put("ingest-c8", rates("c8"), "bare loop (sequential)", rates("ref_rate"), ratio, "≥ 2×", ratio >= 2,
              note="" if ratio >= 2 else f"8 clients get {scale:.2f}× the sequential rate"
              + (": creates are committed one by one (no group commit)" if scale < 1.5 else ""))
        T.put("ingest-c32", rates("c32"), "bare loop (sequential)", rates("ref_rate"),
              med(res["c32"]) / med(res["ref_rate"]))
        if res["pg_seq"]:
            T.put("ingest-pg-seq-rate", rates("pg_seq"), "SQLite, sequential (ingest-seq-rate)", rates("seq_rate"),
                  med(res["pg_seq"]) / med(res["seq_rate"]))
            T.put("ingest-pg-c8", rates("pg_c8"), "SQLite, 8-way (ingest-c8)", rates("c8"),
                  med(res["pg_c8"]) / med(res["c8"]))
        else:
            T.missing("ingest-pg-seq-rate", res["pg_reason"])
            T.missing("ingest-pg-c8", res["pg_reason"])

    def ingest_postgres(self, res):
        """The same creates, same client, against `serve` on PostgreSQL: a scratch cluster made
        here (Benchmarks/pgcluster.py), one database per round holding the small dataset (copied
        in by `migrate-store`, so both engines start from the same store)."""
        res["pg_seq"], res["pg_c8"], res["pg_reason"] = [], [], ""
        try:
            pg = PostgresCluster()
        except Exception as e:   # noqa: BLE001
            res["pg_reason"] = f"no PostgreSQL: {e}"
            return
        try:
            for r in range(self.rounds):
                d = os.path.join(self.work, f"ingest{r}", "pg")
                copy_db(self.db["small"], os.path.join(d, "sunk.sqlite"))
                url = pg.create_database(f"ingest{r}")
                sh([self.args.bridge, "migrate-store", "--from", os.path.join(d, "sunk.sqlite"), "--to", url])
                b = Bridge(self.args.bridge, url, d, token_dir=d).start()
                rate, _, conc = self.receiver_creates(b, f"p{r}", [8])
                res["pg_seq"].append(rate)
                res["pg_c8"].append(conc[8])
        finally:
            pg.stop()

    def receiver_creates(self, b, tag, ways):
        """The ingest measurement of one started receiver `b` (stopped after), the same client
        whatever its engine: sequential creates (rate, latencies), then one concurrent run per
        count of clients in `ways` (rate each)."""
        try:
            rate, lats = asyncio.run(self.creates(b.port, b.prefix, b.conn, self.seq_creates, 1, f"s{tag}x"))
            conc = {n: asyncio.run(self.creates(b.port, b.prefix, b.conn, self.conc_creates, n, f"c{n}t{tag}x"))[0]
                    for n in ways}
        finally:
            b.stop()
        return rate, lats, conc

    def start_peer(self, py, d):
        port = free_port()
        p = subprocess.Popen([os.path.join(os.path.dirname(py), "scim2-server"), "--hostname", "127.0.0.1",
                              "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(200):
            try:
                import socket
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        return p, port

    async def creates(self, port, prefix, mkconn, count, concurrency, tag, peer=False):
        rng = random.Random(tag)
        docs = []
        for i in range(count):
            d = user_doc(i, rng, prefix=tag)
            if peer:   # the peer knows only RFC 7643 schemas: the same user without our extension
                d = {k: v for k, v in d.items() if k != EXT}
                d["schemas"] = [USER_SCHEMA]
            docs.append(d)
        conns = [mkconn() for _ in range(concurrency)]
        for c in conns:   # connect first: the rate is of requests, not of TCP handshakes
            await c.request("GET", prefix + "/ServiceProviderConfig")
        t0 = time.perf_counter()
        res = await run_pool(conns, [create_job(prefix + "/Users", doc) for doc in docs])
        secs = time.perf_counter() - t0
        for c in conns:
            c.close()
        bad = [s for s, _, _ in res if s != 201]
        if bad:
            raise RuntimeError(f"{len(bad)} creates failed ({tag}): {res[0][1][:200]!r}")
        return count / secs, [x for _, _, x in res]

    # -- filters, RSS, group PATCH, snapshot (one server per dataset) ------------------------
    async def filters(self, b, label):
        ids = self.ids[label]
        c = b.conn()
        picks = [self.rng.randrange(len(ids)) for _ in range(self.filter_queries)]
        out = {}
        for attr, value in [("userName", lambda i: f"u{i:07d}@example.com"), ("externalId", lambda i: f"ext-u{i:07d}")]:
            lat = []
            for i in picks:
                q = f'{attr} eq "{value(i)}"'.replace(" ", "%20").replace('"', "%22").replace("@", "%40")
                status, _, body, secs = await c.request("GET", f"{b.prefix}/Users?filter={q}&startIndex=1&count=100")
                if status != 200 or b'"totalResults":1' not in body.replace(b" ", b""):
                    raise RuntimeError(f"filter {attr} failed: {status} {body[:200]!r}")
                lat.append(secs)
            out[attr] = lat
        c.close()
        return out

    def bench_server(self):
        self.log("filters at small and large; RSS; snapshot; group PATCH")
        fl = {"small": [], "large": []}
        gen = {"small": [], "large": []}
        d = os.path.join(self.work, "server")
        os.makedirs(d)
        for r in range(self.rounds):
            for label in ("small", "large"):
                b = Bridge(self.args.bridge, self.db[label], d).start()
                try:
                    fl[label].append(asyncio.run(self.filters(b, label)))
                    gen[label] += asyncio.run(self.snapshot_gen(b, label))
                finally:
                    b.stop()
        T = self.table
        for attr, key in [("userName", "username"), ("externalId", "externalid")]:
            for p in (50, 99):
                big = [pct(x[attr], p) for x in fl["large"]]
                small = [pct(x[attr], p) for x in fl["small"]]
                ratio = med(big) / med(small)
                target = "≤ 1.5×" if p == 99 else ""
                T.put(f"filter-{key}-p{p}", f"{ms(med(big))}; {ms(min(big))} ({self.large} users)",
                      f"same at {self.small} users", f"{ms(med(small))}; {ms(min(small))}", ratio, target,
                      (ratio <= 1.5) if p == 99 else None,
                      note=f"p50 grows {med([pct(x[attr], 50) for x in fl['large']]) / med([pct(x[attr], 50) for x in fl['small']]):.2f}×"
                      if p == 99 and ratio > 1.5 else "")

        # The large server: RSS, snapshot generation and size, 304s, then the group PATCH.
        b = Bridge(self.args.bridge, self.db["large"], d).start()
        idle = Bridge(self.args.bridge, os.path.join(d, "empty", "sunk.sqlite"), d)
        os.makedirs(os.path.dirname(idle.db))
        try:
            idle.start()
            asyncio.run(self.touch(idle))
            idle_rss = idle.rss_mb()
            idle.stop()
            asyncio.run(self.filters(b, "large"))          # warm, as a live server is
            snap = asyncio.run(self.snapshot_bench(b))
            rss = b.rss_mb()
            T.put("rss-large", f"{rss:.0f} MB ({self.large} users)", "same server, empty database",
                  f"{idle_rss:.0f} MB", rss / idle_rss, "≤ 150 MB", rss <= 150)
            self.snapshot_results = snap
            big, small = [g for g, _ in gen["large"]], [g for g, _ in gen["small"]]
            size = gen["large"][-1][1]
            growth = med(big) / med(small)
            self.large_gen = med(big)
            T.put("snapshot-gen", f"{ms(med(big))}; {ms(min(big))} ({self.large} users)",
                  f"same at {self.small} users", f"{ms(med(small))}; {ms(min(small))}", growth,
                  "≤ 1 s", med(big) <= 1.0,
                  note="" if med(big) <= 1.0 else f"the first GET after a change builds and signs it (concurrent and later GETs share that one); "
                  f"{growth:.0f}× the time for {self.large / self.small:.0f}× the users")
            burst, hz_burst = snap["burst"], snap["hz_burst"]
            T.put("snapshot-304-burst", f"{ms(med(burst))}; {ms(min(burst))}",
                  f"GET /healthz, {self.burst} at once", f"{ms(med(hz_burst))}; {ms(min(hz_burst))}",
                  med(burst) / med(hz_burst), "≤ 2 ms", med(burst) <= 0.002,
                  note="" if med(burst) <= 0.002 else
                  ("the same burst to /healthz is over 2 ms too: the burst queues in the client and on 2 cores"
                   if med(hz_burst) > 0.002 else "slower than /healthz under the same burst"))
            one, hz_one = snap["single"], snap["hz_single"]
            T.put("snapshot-304-single", f"{ms(med(one))}; {ms(min(one))}", "GET /healthz, one client",
                  f"{ms(med(hz_one))}; {ms(min(hz_one))}", med(one) / med(hz_one), "≤ 2 ms", med(one) <= 0.002,
                  note="" if med(one) <= 0.002 else "token check and ETag read per request")
            self.etag = snap["etag"]
            self.large_server = b
            self.sizes_snapshot = size
        except BaseException:
            b.stop()
            raise

    async def touch(self, b):
        c = b.conn()
        await c.request("GET", b.prefix + "/Users?count=1")
        c.close()

    async def snapshot_bench(self, b):
        path = b.prefix + "/export/v1/snapshot"
        node = lambda: Conn(b.port, headers={"Authorization": f"Bearer {self.node_token}"})  # noqa: E731
        c, admin = node(), b.conn()
        s, h, body, _ = await c.request("GET", path)
        if s != 200:
            raise RuntimeError(f"snapshot GET {s} {body[:200]!r}")
        etag = h.get("etag")
        self.snapshot_file = os.path.join(self.work, "large.snapshot")
        with open(self.snapshot_file, "wb") as f:
            f.write(body)
        # conditional GETs: one node, then bursts of `burst` nodes at once; /healthz the same way
        single, hz_single = [], []
        for _ in range(10 if self.smoke else 200):
            s, _, _, secs = await c.request("GET", path, headers={"If-None-Match": etag})
            if s != 304:
                raise RuntimeError(f"conditional GET answered {s}")
            single.append(secs)
            s, _, _, secs = await c.request("GET", "/healthz")
            hz_single.append(secs)
        conns = [node() for _ in range(self.burst)]
        for x in conns:
            await x.request("GET", "/healthz")
        burst, hz_burst, codes = [], [], []
        for _ in range(3 if self.smoke else 10):
            for target, sink in [(path, burst), ("/healthz", hz_burst)]:
                hdr = {"If-None-Match": etag} if target == path else None
                t0 = time.perf_counter()

                async def one(x):
                    s, _, _, _ = await x.request("GET", target, headers=hdr)
                    return s, time.perf_counter() - t0
                res = await asyncio.gather(*(one(x) for x in conns))
                sink.append(med([t for _, t in res]))
                if target == path:
                    codes.append(sum(1 for s, _ in res if s == 304))
        for x in conns + [c, admin]:
            x.close()
        return dict(etag=etag, single=single, hz_single=hz_single,
                    burst=burst, hz_burst=hz_burst, codes=codes)

    async def snapshot_gen(self, b, label):
        """Snapshot generation: one user deactivated and reactivated (a new serial), then a GET of the
        snapshot; twice (the first warms). Returns [(seconds, bytes)]."""
        path = b.prefix + "/export/v1/snapshot"
        c = Conn(b.port, headers={"Authorization": f"Bearer {self.node_token}"})
        admin = b.conn()
        ids = self.ids[label]
        out = []
        # each GET at the large size costs seconds: one per round there, a warm-up first elsewhere
        gets = 1 if label == "large" else 2
        for r in range(gets):
            uid = ids[self.rng.randrange(len(ids))]
            for active in (False, True):
                s, _, body, _ = await admin.request("PATCH", f"{b.prefix}/Users/{uid}", json.dumps(
                    {"schemas": [PATCH_SCHEMA], "Operations": [{"op": "replace", "value": {"active": active}}]}))
                if s not in (200, 204):
                    raise RuntimeError(f"PATCH failed {s} {body[:200]!r}")
            s, h, body, secs = await c.request("GET", path)
            if s != 200:
                raise RuntimeError(f"snapshot GET {s} {body[:200]!r}")
            if r == gets - 1:
                out.append((secs, len(body)))
        c.close()
        admin.close()
        return out

    def bench_group_patch(self):
        b = self.large_server
        self.log("group PATCH: 1,000 members into the all-users group")
        ids = self.ids["large"]
        add = min(1000, len(ids) // 10)

        async def go():
            c = b.conn()
            base = ids[: len(ids) - add]
            s, _, body, secs_post = await c.request("POST", b.prefix + "/Groups", json.dumps(
                {"schemas": [GROUP_SCHEMA], "displayName": "All Bench Users", "members": [{"value": i} for i in base]}))
            if s != 201:
                raise RuntimeError(f"POST big group {s} {body[:200]!r}")
            gid = json.loads(body)["id"]
            s, _, body, secs = await c.request("PATCH", f"{b.prefix}/Groups/{gid}", json.dumps(
                {"schemas": [PATCH_SCHEMA], "Operations": [{"op": "add", "path": "members",
                                                            "value": [{"value": i} for i in ids[-add:]]}]}))
            if s not in (200, 204):
                raise RuntimeError(f"PATCH big group {s} {body[:200]!r}")
            c.close()
            return secs
        secs = asyncio.run(go())
        ref = self.ingest["seq_p50"] if hasattr(self, "ingest") else None
        if ref:
            self.table.put("group-patch-1000", f"{ms(secs)} (+{add} → {len(ids)} members)",
                           "one sequential user create (p50)", ms(med(ref)), secs / med(ref))
        else:
            self.table.put("group-patch-1000", f"{ms(secs)} (+{add} → {len(ids)} members)")

    # -- node: sync ------------------------------------------------------------------------------
    def sync(self, root, fmt, extra=(), check=True):
        b = self.large_server
        tok = os.path.join(self.work, "node-token")
        if not os.path.exists(tok):
            with open(tok, "w") as f:
                f.write(self.node_token + "\n")
            os.chmod(tok, 0o600)
        url = f"http://127.0.0.1:{b.port}{b.prefix}/export/v1/snapshot"
        t0 = time.perf_counter()
        p = subprocess.run([self.args.bridge, "sync", "--from", url, "--token-file", tok, "--trust-key", self.trust,
                            "--root", root, "--nss-format", fmt, "--quiet", "--accept-changes", *extra],
                           capture_output=True, text=True)
        secs = time.perf_counter() - t0
        if check and p.returncode != 0:
            raise RuntimeError(f"sync failed: {p.stdout}{p.stderr}")
        return secs

    def node_root(self, name):
        root = os.path.join(self.work, "nodes", name)
        if os.path.exists(root):
            shutil.rmtree(root)
        for sub in ("etc", "var/lib", "home", "etc/skel"):
            os.makedirs(os.path.join(root, sub), exist_ok=True)
        return root

    def write_floor_files(self, root):
        """A minimal node /etc (the node floor reads passwd/group/shadows)."""
        for f in ("passwd", "group", "shells"):
            shutil.copy2(os.path.join("/etc", f), os.path.join(root, "etc", f))

    def bench_sync(self):
        """Node sync of the large dataset. The server builds a snapshot on every full GET (row
        snapshot-gen), so the full and one-changed figures apply a signed snapshot fetched once
        (`sync --snapshot FILE --trust-key`: the node's own work); the unchanged figure is a real
        `sync --from` answered 304; one full `sync --from` (fetch + build + apply) is shown in the note."""
        self.log("sync: full (both formats), unchanged, one user changed; the I/O floor reference")
        T = self.table
        full = {"extrausers": [], "cache": []}
        unchanged, one, floor = [], [], []
        snap_file = self.snapshot_file
        for r in range(self.rounds):
            for fmt in ("extrausers", "cache"):
                root = self.node_root(f"sync-{fmt}")
                self.write_floor_files(root)
                full[fmt].append(self.sync_file(root, fmt, snap_file))
                if fmt == "extrausers":
                    floor.append(io_floor(root, os.path.join(self.work, "floor")))
                    if r == 0:
                        cur = os.path.join(root, "var/lib/sunk-bridge/current")
                        files = ["passwd", "group", "shadow", "keys.cache"]
                        node_bytes = sum(os.path.getsize(os.path.join(cur, f)) for f in files)
                        snap = self.sizes_snapshot
                        T.put("snapshot-size", f"{snap / 1e6:.2f} MB ({self.large} users)",
                              "the node files it becomes (passwd, group, shadow, keys.cache)",
                              f"{node_bytes / 1e6:.2f} MB", snap / node_bytes)
        # over HTTP: one full sync (fetch, server build, apply), then unchanged runs (304)
        root = self.node_root("sync-http")
        self.write_floor_files(root)
        http_error = None
        try:
            http_full = self.sync(root, "extrausers")
            for r in range(self.rounds):
                unchanged.append(self.sync(root, "extrausers"))
        except RuntimeError as e:
            http_full, http_error = float("nan"), str(e).strip().splitlines()[-1][:300]
        # one user changed: the new snapshot fetched once, applied to nodes that hold the old one
        asyncio.run(self.change_one_user(0))
        changed_file, self.current_etag = asyncio.run(self.fetch_snapshot("changed.snapshot"))
        for r in range(self.rounds):
            root = self.node_root("sync-one")
            self.write_floor_files(root)
            self.sync_file(root, "extrausers", snap_file)
            one.append(self.sync_file(root, "extrausers", changed_file))
        f_eu, f_c = full["extrausers"], full["cache"]
        why = (f"`sync --from` over HTTP failed: {http_error}" if http_error else
               f"`sync --from` over HTTP, server build included: {ms(http_full)}")
        T.put("sync-full-extrausers", f"{ms(med(f_eu))}; {ms(min(f_eu))} ({self.large} users)",
              "write+fsync+rename of the same files (Python)", f"{ms(med(floor))}; {ms(min(floor))}",
              med(f_eu) / med(floor), "≤ 3 s", med(f_eu) <= 3.0, note=why)
        T.put("sync-full-cache", f"{ms(med(f_c))}; {ms(min(f_c))} ({self.large} users)",
              "write+fsync+rename of the extrausers files", f"{ms(med(floor))}; {ms(min(floor))}",
              med(f_c) / med(floor), "≤ 3 s", med(f_c) <= 3.0)
        if not unchanged:
            T.missing("sync-unchanged", f"sync --from failed: {http_error}")
        else:
            ratio = med(unchanged) / med(f_eu)
            T.put("sync-unchanged", f"{ms(med(unchanged))}; {ms(min(unchanged))} (304)", "full sync (extrausers)",
                  ms(med(f_eu)), ratio, "≤ 5%", ratio <= 0.05,
                  note="" if ratio <= 0.05 else "the server answers the 304 in about a millisecond (row snapshot-304-single): the rest is the node's own work after it")
        T.put("sync-one-changed", f"{ms(med(one))}; {ms(min(one))}", "full sync (extrausers)", ms(med(f_eu)),
              med(one) / med(f_eu))
        # node roots of the large dataset for the NSS lookups
        self.nss_roots = {}
        for fmt in ("extrausers", "cache"):
            root = self.node_root(f"nss-large-{fmt}")
            self.write_floor_files(root)
            self.sync_file(root, fmt, snap_file)
            self.nss_roots[("large", fmt)] = root

    def sync_file(self, root, fmt, path):
        t0 = time.perf_counter()
        p = subprocess.run([self.args.bridge, "sync", "--snapshot", path, "--trust-key", self.trust, "--root", root,
                            "--nss-format", fmt, "--quiet", "--accept-changes"], capture_output=True, text=True)
        secs = time.perf_counter() - t0
        if p.returncode != 0:
            raise RuntimeError(f"sync --snapshot failed: {p.stdout}{p.stderr}")
        return secs

    async def fetch_snapshot(self, name):
        b = self.large_server
        c = Conn(b.port, headers={"Authorization": f"Bearer {self.node_token}"})
        s, h, body, _ = await c.request("GET", b.prefix + "/export/v1/snapshot")
        c.close()
        if s != 200:
            raise RuntimeError(f"snapshot GET {s}")
        path = os.path.join(self.work, name)
        with open(path, "wb") as f:
            f.write(body)
        return path, h.get("etag")

    async def change_one_user(self, r):
        b = self.large_server
        c = b.conn()
        uid = self.ids["large"][len(self.ids["large"]) // 3 + r]
        s, _, body, _ = await c.request("PATCH", f"{b.prefix}/Users/{uid}", json.dumps(
            {"schemas": [PATCH_SCHEMA], "Operations": [{"op": "replace", "path": "displayName", "value": f"Changed {r}"}]}))
        if s not in (200, 204):
            raise RuntimeError(f"PATCH {s} {body[:200]!r}")
        c.close()

    def bench_homes(self):
        """Homes for every user of the mid dataset (10k at full size): the time --create-homes adds to
        an unchanged `sync --db` (the local source: no server in the way), against the C loop."""
        self.log("homes: sync --create-homes vs the C loop of the same syscalls")
        with_h, without, ref = [], [], []
        root = self.node_root("homes")
        self.write_floor_files(root)
        for f in (".bashrc", ".profile", ".bash_logout"):
            if os.path.exists(os.path.join("/etc/skel", f)):
                shutil.copy2(os.path.join("/etc/skel", f), os.path.join(root, "etc/skel", f))
        db = self.db["mid"]
        self.sync_local(root, "extrausers", db)
        made = 0
        for r in range(self.rounds):
            shutil.rmtree(os.path.join(root, "home"))
            os.makedirs(os.path.join(root, "home"))
            t0 = time.perf_counter()
            self.sync_local(root, "extrausers", db)
            without.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            self.sync_local(root, "extrausers", db, ["--create-homes", "--home-prefix", "/home"])
            with_h.append(time.perf_counter() - t0)
            made = len(os.listdir(os.path.join(root, "home")))
            d = os.path.join(self.work, f"homes-ref{r}")
            os.makedirs(d)
            t0 = time.perf_counter()
            sh([self.tool("homes_loop"), d, os.path.join(root, "etc/skel"), str(made), "5000000"])
            ref.append(time.perf_counter() - t0)
            shutil.rmtree(d)
        if made < self.mid:
            raise RuntimeError(f"sync --create-homes made {made} homes for {self.mid} users")
        cost = [w - o for w, o in zip(with_h, without)]
        self.table.put("homes", f"{ms(med(cost))}; {ms(min(cost))} ({made} homes)",
                       f"C loop, same syscalls, {made} homes", f"{ms(med(ref))}; {ms(min(ref))}",
                       med(cost) / med(ref), note="sync with minus without --create-homes")

    # -- lookups --------------------------------------------------------------------------------
    def write_keys_cache(self, path, n):
        rng = random.Random(n)
        lines = []
        for i in range(n):
            name = f"user{i:07d}"
            lines.append(f"{name}:{1000000 + i}:{ed25519_key(rng)}\t{ed25519_key(rng, 'laptop')}\n")
        lines.sort(key=lambda s: s.split(":", 1)[0].encode())
        data = "".join(lines).encode()
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path + ".tmp", "wb") as f:
            f.write(f"sunk-keys-cache\t1\t{n}\t{len(data)}\t\n".encode() + data)
        os.chmod(path + ".tmp", 0o644)
        os.rename(path + ".tmp", path)

    def bench_inprocess(self):
        """ordo-one/benchmark (Benchmarks/InProcess): inputs from this run, results from its JMH export."""
        self.log("in-process benchmarks (ordo-one/benchmark)")
        T = self.table
        if not self.args.inprocess:
            reason = "needs the Benchmarks/InProcess build (make bench; --inprocess)"
            T.missing("inproc-snapshot-open", reason)
            T.missing("inproc-snapshot-encode", reason)
            T.missing("inproc-keys-lookup", reason)
            return
        d = os.path.join(self.work, "inprocess")
        os.makedirs(d)
        env = {**os.environ}
        if getattr(self, "snapshot_file", None):
            env["SUNK_BENCH_SNAPSHOT"] = self.snapshot_file
            env["SUNK_BENCH_TRUST"] = self.trust
        for label in ("small", "large"):
            if label in getattr(self, "keys_roots", {}):
                root, n = self.keys_roots[label]
                env[f"SUNK_BENCH_KEYS_{label.upper()}"] = os.path.join(root, "var/lib/sunk-bridge/keys.cache")
                env[f"SUNK_BENCH_KEYS_NAME_{label.upper()}"] = f"user{n // 2:07d}"
        pkg = os.path.join(HERE, "InProcess")
        # The text table, not the JMH export: the export leaves out a benchmark whose throughput
        # rounds to 0 operations/s (anything over a second, as the 100k snapshot is on a loaded machine).
        p = subprocess.run(["swift", "package", "--package-path", pkg, "--scratch-path", self.args.inprocess,
                            "benchmark", "--no-progress"], capture_output=True, text=True, env=env)
        p50 = wall_clock_p50(p.stdout)   # seconds per operation, by benchmark name
        if p.returncode != 0 or not p50:
            raise RuntimeError(f"swift package benchmark failed: {p.stdout[-1500:]}{p.stderr[-1500:]}")

        def find(prefix):
            for k, v in p50.items():
                if prefix in k:
                    return v
            return None
        o, j = find("snapshot open"), find("JSONSerialization")
        if o and j:
            T.put("inproc-snapshot-open", f"{ms(o)} p50 ({self.large} users)",
                  "JSONSerialization of the same document", ms(j), o / j)
        else:
            T.missing("inproc-snapshot-open", f"no result (have {sorted(p50)})")
        e, je = find("snapshot encode"), find("JSONEncoder")
        if e and je:
            T.put("inproc-snapshot-encode", f"{ms(e)} p50 ({self.large} users)",
                  "JSONEncoder writing the same bytes", ms(je), e / je)
        else:
            T.missing("inproc-snapshot-encode", f"no result (have {sorted(p50)})")
        l, s_ = find("lookup, large"), find("lookup, small")
        if l and s_:
            T.put("inproc-keys-lookup", f"{l * 1e6:.2f} µs p50 ({self.large} users)", f"same at {self.small} users",
                  f"{s_ * 1e6:.2f} µs", l / s_, "flat: ≤ 1.2×", l / s_ <= 1.2)
        else:
            T.missing("inproc-keys-lookup", f"no result (have {sorted(p50)})")

    def bench_helper(self):
        self.log("key helper vs /bin/true and the static C reader at three cache sizes")
        T = self.table
        roots = {}
        for label, n in [("small", self.small), ("large", self.large), ("huge", self.huge)]:
            root = os.path.join(self.run_dir, f"keys-{label}")
            for sub in ("", "/var", "/var/lib", "/var/lib/sunk-bridge"):
                os.makedirs(root + sub, exist_ok=True)
                os.chmod(root + sub, 0o755)
            self.write_keys_cache(os.path.join(root, "var/lib/sunk-bridge/keys.cache"), n)
            roots[label] = (root, n)
        self.keys_roots = roots
        cmds = [["/bin/true"]]
        for label, (root, n) in roots.items():
            i = n // 2
            cache = os.path.join(root, "var/lib/sunk-bridge/keys.cache")
            out = sh([self.args.helper, "--root", root, f"user{i:07d}", str(1000000 + i)]).stdout
            if out.count("ssh-ed25519 ") != 2:
                raise RuntimeError(f"helper printed {out!r}")
            cmds.append([self.args.helper, "--root", root, f"user{i:07d}", str(1000000 + i)])
            cmds.append([self.tool("keys_reader"), cache, f"user{i:07d}", str(1000000 + i)])
        samples, codes = self.spawntime(cmds)
        if any(c != {0} for c in codes):
            raise RuntimeError(f"a lookup command failed: {codes}")
        t = samples[0]
        h = {"small": samples[1], "large": samples[3], "huge": samples[5]}
        c = {"small": samples[2], "large": samples[4], "huge": samples[6]}
        for label in ("small", "large", "huge"):
            ratio = med(h[label]) / med(t)
            T.put(f"helper-{label}", f"{ms(med(h[label]))}; {ms(min(h[label]))} ({roots[label][1]} users)",
                  "/bin/true", f"{ms(med(t))}; {ms(min(t))}", ratio, "≤ 1.5×", ratio <= 1.5)
        ratio = med(h["huge"]) / med(h["small"])
        T.put("helper-flat", f"{ms(med(h['huge']))} ({self.huge} users)", f"helper at {self.small} users",
              ms(med(h["small"])), ratio, "flat: ≤ 1.2×", ratio <= 1.2)
        ratio = med(h["huge"]) / med(c["huge"])
        T.put("helper-vs-c", f"{ms(med(h['huge']))}", "static C mmap + binary search",
              f"{ms(med(c['huge']))}; {ms(min(c['huge']))}", ratio)

    def nss_inner_script(self):
        return r'''
set -e
FMT=$1; S=$2; SMALL=$3; LARGE=$4; OUT=$5; shift 5
mount --bind "$S/nsswitch.conf" /etc/nsswitch.conf
mount_root() {   # the node files of ROOT where the NSS module reads them
  R=$1
  if [ "$FMT" = extrausers ]; then
    mount --bind "$R/var/lib/extrausers" /var/lib/extrausers
    mount --bind "$R/var/lib/sunk-bridge" /var/lib/sunk-bridge
  else
    mount --bind "$R/var/lib/sunk-bridge" /var/lib/sunk-bridge
    for f in "$S"/cachefiles/*; do mount --bind "$R/etc/$(basename "$f")" "/etc/$(basename "$f")"; done
  fi
}
umount_root() {
  if [ "$FMT" = extrausers ]; then umount /var/lib/extrausers; umount /var/lib/sunk-bridge
  else for f in "$S"/cachefiles/*; do umount "/etc/$(basename "$f")"; done; umount /var/lib/sunk-bridge; fi
}
if [ "$FMT" = cache ]; then
  mount -t overlay overlay -o "lowerdir=/etc,upperdir=$S/upper,workdir=$S/work" /etc
  mount --bind "$S/nsswitch.conf" /etc/nsswitch.conf
  for f in "$S"/cachefiles/*; do : > "/etc/$(basename "$f")"; done   # mount points in the overlay
fi
: > "$OUT"
for block in $(seq "$BLOCKS"); do
  for which in small large; do
    if [ $which = small ]; then R=$SMALL; else R=$LARGE; fi
    mount_root "$R"
    CMDS=$(cat "$S/cmds.$which")
    eval "$SPAWNTIME $ROUNDS 3 $CMDS" | sed "s/^/$which /" >> "$OUT"
    umount_root
  done
done
'''

    def bench_nss(self):
        """getent/id through libnss-extrausers and libnss-cache, small vs large dataset, inside a
        private mount namespace (the host's /etc is never touched)."""
        self.log("NSS lookups through libnss-extrausers and libnss-cache, small vs large")
        T = self.table
        for fmt in ("extrausers", "cache"):
            root = self.node_root(f"nss-small-{fmt}")
            self.write_floor_files(root)
            self.sync_local(root, fmt, self.db["small"])
            self.nss_roots[("small", fmt)] = root
        created = []
        for mp in ("/var/lib/extrausers", "/var/lib/sunk-bridge"):
            if not os.path.isdir(mp):
                os.makedirs(mp)
                created.append(mp)
        try:
            for fmt in ("extrausers", "cache"):
                S = os.path.join(self.work, f"nss-{fmt}")
                os.makedirs(os.path.join(S, "upper"))
                os.makedirs(os.path.join(S, "work"))
                os.makedirs(os.path.join(S, "cachefiles"))
                with open(os.path.join(S, "nsswitch.conf"), "w") as f:
                    f.write(f"passwd: files {fmt}\ngroup: files {fmt}\nshadow: files {fmt}\nhosts: files\n")
                if fmt == "cache":
                    for name in sorted(os.listdir(os.path.join(self.nss_roots[("large", fmt)], "etc"))):
                        if ".cache" in name:
                            open(os.path.join(S, "cachefiles", name), "w").close()
                picks = {}
                for which in ("small", "large"):
                    root = self.nss_roots[(which, fmt)]
                    pw = read_lines(node_file(root, fmt, "passwd"))
                    gr = read_lines(node_file(root, fmt, "group"))
                    u = pw[len(pw) // 2].split(":")
                    g = [l for l in gr if l.startswith("bench-group")]
                    g = (g or gr)[len(g or gr) // 2].split(":")
                    picks[which] = (u[0], u[2], g[0])
                    cmds = [["/bin/true"], ["/usr/bin/getent", "passwd", u[0]], ["/usr/bin/getent", "passwd", u[2]],
                            ["/usr/bin/getent", "group", g[0]], ["/usr/bin/id", u[0]]]
                    with open(os.path.join(S, f"cmds.{which}"), "w") as f:
                        f.write(" ';;' ".join(" ".join(c) for c in cmds))
                out = os.path.join(S, "samples")
                script = os.path.join(S, "inner.sh")
                with open(script, "w") as f:
                    f.write(self.nss_inner_script())
                env = {**os.environ, "SPAWNTIME": self.tool("spawntime"), "BLOCKS": "3",
                       "ROUNDS": str(max(5, self.exec_rounds // 3))}
                p = subprocess.run(["unshare", "--mount", "--propagation", "private", "bash", script, fmt, S,
                                    self.nss_roots[("small", fmt)], self.nss_roots[("large", fmt)], out],
                                   capture_output=True, text=True, env=env)
                if p.returncode != 0:
                    raise RuntimeError(f"NSS namespace run failed: {p.stderr[-2000:]}")
                samples = {(w, i): [] for w in ("small", "large") for i in range(5)}
                codes = set()
                for line in open(out):
                    w, i, ns, code = line.split()
                    samples[(w, int(i))].append(int(ns) / 1e9)
                    codes.add((int(i), int(code)))
                if any(code != 0 for _, code in codes):
                    raise RuntimeError(f"an NSS lookup failed inside the namespace ({fmt}): {sorted(codes)} "
                                       f"picks {picks}")
                for i, key in [(1, "passwd-name"), (2, "passwd-uid"), (3, "group"), (4, "id")]:
                    big, small = samples[("large", i)], samples[("small", i)]
                    ratio = med(big) / med(small)
                    target = "≤ 1.3×" if fmt == "cache" else ""
                    T.put(f"nss-{fmt}-{key}", f"{ms(med(big))}; {ms(min(big))} ({self.large} users)",
                          f"same at {self.small} users", f"{ms(med(small))}; {ms(min(small))}", ratio, target,
                          (ratio <= 1.3) if fmt == "cache" else None)
        finally:
            for mp in created:
                os.rmdir(mp)

    def sync_local(self, root, fmt, db, extra=()):
        p = subprocess.run([self.args.bridge, "sync", "--db", db, "--root", root, "--nss-format", fmt, "--quiet",
                            "--accept-changes", *extra], capture_output=True, text=True)
        if p.returncode != 0:
            raise RuntimeError(f"sync --db failed: {p.stdout}{p.stderr}")

    def bench_bridge_getent(self):
        self.log("sunk-bridge getent vs sunk-bridge --version")
        T = self.table
        small, large = self.nss_roots[("small", "cache")], self.nss_roots[("large", "cache")]
        name_s = read_lines(node_file(small, "cache", "passwd"))[self.small // 2].split(":")[0]
        name_l = read_lines(node_file(large, "cache", "passwd"))[self.large // 2].split(":")[0]
        bridge = self.args.bridge
        samples, codes = self.spawntime([[bridge, "--version"],
                                         [bridge, "getent", "passwd", name_s, "--root", small, "--nss-format", "cache"],
                                         [bridge, "getent", "passwd", name_l, "--root", large, "--nss-format", "cache"]],
                                        rounds=max(5, self.exec_rounds // 3))
        if any(c != {0} for c in codes):
            raise RuntimeError(f"sunk-bridge getent failed: {codes}")
        v, s, l = samples
        ratio = med(l) / med(v)
        T.put("bridge-getent", f"{ms(med(l))}; {ms(min(l))} ({self.large} users)",
              "sunk-bridge --version",
              f"{ms(med(v))}; {ms(min(v))}", ratio, "≤ 1.5×", ratio <= 1.5)
        ratio = med(l) / med(s)
        T.put("bridge-getent-flat", f"{ms(med(l))}", f"same at {self.small} users", f"{ms(med(s))}; {ms(min(s))}",
              ratio, "flat: ≤ 1.2×", ratio <= 1.2)

    # -- load -----------------------------------------------------------------------------------
    def bench_load(self):
        b = self.large_server
        self.log(f"load: 32 clients for {self.load_seconds:.0f} s, Okta-like mix; then {self.burst} "
                 "conditional snapshot requests")
        codes = asyncio.run(self.burst_304(b))
        self.table.put("load-304", f"{codes} of {self.burst}", "", "", None, f"all {self.burst}", codes == self.burst)
        err_before = os.path.getsize(os.path.join(b.work, "serve.stderr"))
        samples = []
        stop = threading.Event()

        def sampler():
            while not stop.is_set():
                samples.append((time.time(), b.rss_mb()))
                time.sleep(0.5)
        th = threading.Thread(target=sampler)
        th.start()
        try:
            stats = asyncio.run(self.load_mix(b))
        finally:
            stop.set()
            th.join()
        with open(os.path.join(b.work, "serve.stderr"), errors="replace") as f:
            f.seek(err_before)
            locked_log = f.read().count("database is locked")
        T = self.table
        T.put("load-5xx", f"{stats['5xx']} of {stats['total']}", "", "", None, "0", stats["5xx"] == 0,
              note=f"other non-2xx: {stats['other']}" if stats["other"] else "")
        locked = stats["locked"] + locked_log
        T.put("load-locked", f"{locked}", "", "", None, "0", locked == 0)
        half = samples[0][0] + (samples[-1][0] - samples[0][0]) / 2
        first = max(r for t, r in samples if t <= half)
        second = max(r for t, r in samples if t > half) if any(t > half for t, _ in samples) else first
        ratio = second / first
        T.put("load-rss", f"max {second:.0f} MB", "max RSS, first half", f"{first:.0f} MB", ratio,
              "bounded: ≤ 1.25×", ratio <= 1.25)
        T.put("load-throughput", f"{stats['total'] / stats['secs']:.0f} req/s",
              "sequential durable creates/s (above)", f"{med(self.ingest['seq_rate']):.0f}/s" if hasattr(self, "ingest") else "",
              (stats['total'] / stats['secs']) / med(self.ingest['seq_rate']) if hasattr(self, "ingest") else None,
              note=", ".join(f"{k} {v}" for k, v in sorted(stats["kinds"].items())))

    async def burst_304(self, b):
        path = b.prefix + "/export/v1/snapshot"
        etag = self.current_etag
        conns = [Conn(b.port, headers={"Authorization": f"Bearer {self.node_token}"}) for _ in range(self.burst)]
        res = await asyncio.gather(*(x.request("GET", path, headers={"If-None-Match": etag}) for x in conns))
        for x in conns:
            x.close()
        return sum(1 for r in res if r[0] == 304)

    async def load_mix(self, b):
        ids = list(self.ids["large"])
        groups_resp = None
        c0 = b.conn()
        s, _, body, _ = await c0.request("GET", b.prefix + "/Groups?excludedAttributes=members&count=50")
        groups_resp = [g["id"] for g in json.loads(body).get("Resources", [])]
        c0.close()
        rng = random.Random(7)
        deadline = time.perf_counter() + self.load_seconds
        stats = {"total": 0, "5xx": 0, "other": 0, "locked": 0, "kinds": {}}
        created = []

        def count(kind, status, body):
            stats["total"] += 1
            stats["kinds"][kind] = stats["kinds"].get(kind, 0) + 1
            if status >= 500:
                stats["5xx"] += 1
            elif status >= 400 and status != 409:
                stats["other"] += 1
            if b"database is locked" in body:
                stats["locked"] += 1

        async def client(k):
            c = b.conn()
            n = 0
            while time.perf_counter() < deadline:
                x = rng.random()
                uid = rng.choice(ids)
                if x < 0.30:       # Okta's existence check before a create
                    i = rng.randrange(len(ids))
                    q = f"userName%20eq%20%22u{i:07d}%40example.com%22&startIndex=1&count=100"
                    s, _, body, _ = await c.request("GET", f"{b.prefix}/Users?filter={q}")
                    count("filter", s, body)
                elif x < 0.50:     # profile read
                    s, _, body, _ = await c.request("GET", f"{b.prefix}/Users/{uid}")
                    count("get", s, body)
                elif x < 0.65:     # profile push: GET then PUT the whole object back
                    s, _, body, _ = await c.request("GET", f"{b.prefix}/Users/{uid}")
                    count("get", s, body)
                    if s == 200:
                        doc = json.loads(body)
                        doc["displayName"] = f"Pushed {k}-{n}"
                        s, _, body, _ = await c.request("PUT", f"{b.prefix}/Users/{uid}", json.dumps(doc))
                        count("put", s, body)
                elif x < 0.75:     # create
                    doc = user_doc(n, rng, prefix=f"L{k:02d}x")
                    s, _, body, _ = await c.request("POST", f"{b.prefix}/Users", json.dumps(doc))
                    count("post", s, body)
                    if s == 201:
                        created.append(json.loads(body)["id"])
                elif x < 0.85:     # deactivate then reactivate
                    for active in (False, True):
                        s, _, body, _ = await c.request("PATCH", f"{b.prefix}/Users/{uid}", json.dumps(
                            {"schemas": [PATCH_SCHEMA], "Operations": [{"op": "replace", "value": {"active": active}}]}))
                        count("patch-user", s, body)
                elif x < 0.95 and groups_resp:   # Group Push membership: remove + add in one request
                    gid = rng.choice(groups_resp)
                    other = rng.choice(ids)
                    s, _, body, _ = await c.request("PATCH", f"{b.prefix}/Groups/{gid}?excludedAttributes=members",
                                                    json.dumps({"schemas": [PATCH_SCHEMA], "Operations": [
                                                        {"op": "remove", "path": f'members[value eq "{other}"]'},
                                                        {"op": "add", "path": "members", "value": [{"value": other}]}]}))
                    count("patch-group", s, body)
                else:
                    s, _, body, _ = await c.request(
                        "GET", f"{b.prefix}/Groups?excludedAttributes=members&filter=displayName%20eq%20%22Bench%20Group%200-1%22")
                    count("filter-group", s, body)
                n += 1
            c.close()

        t0 = time.perf_counter()
        await asyncio.gather(*(client(k) for k in range(32)))
        stats["secs"] = time.perf_counter() - t0
        return stats

    # -- run --------------------------------------------------------------------------------------
    def run(self):
        self.build_tools()
        need_large = any(self.want(s) for s in ("server", "sync", "homes", "nss", "load", "ingest", "push"))
        errors = []
        if need_large:
            self.make_datasets()
        try:
            for name, fn in [("ingest", self.bench_ingest), ("server", self.bench_server),
                             ("helper", self.bench_helper)]:
                if self.want(name):
                    self.guard(name, fn, errors)
            if self.want("push") and not self.want("server") and not hasattr(self, "large_server"):
                # `--only push`: the large server without the server section's measurements
                os.makedirs(os.path.join(self.work, "server"), exist_ok=True)
                self.large_server = Bridge(self.args.bridge, self.db["large"], os.path.join(self.work, "server")).start()
            if hasattr(self, "large_server"):
                for name, fn in [("sync", self.bench_sync), ("homes", self.bench_homes),
                                 ("nss", self.bench_nss), ("nss", self.bench_bridge_getent),
                                 ("inprocess", self.bench_inprocess), ("load", self.bench_load),
                                 ("push", self.bench_push), ("server", self.bench_group_patch)]:
                    if self.want(name):
                        self.guard(name, fn, errors)
        finally:
            if hasattr(self, "large_server"):
                self.large_server.stop()
        return errors

    def bench_push(self):
        self.log(f"push: delta size, held watches, a burst, {'5' if self.smoke else '200'} sync --watch nodes")
        push.Push(self, Bridge, copy_db).run()

    def guard(self, name, fn, errors):
        try:
            fn()
        except Exception as e:   # noqa: BLE001 - a failed section is reported, the rest still runs
            import traceback
            traceback.print_exc()
            errors.append(f"{name}/{fn.__name__}: {e}")
        if self.on_section:
            self.on_section(errors + [f"run in progress: last section finished {fn.__name__}"])

    def cleanup(self):
        if not self.args.keep:
            shutil.rmtree(self.work, ignore_errors=True)
            shutil.rmtree(self.run_dir, ignore_errors=True)

    def header(self, errors):
        commit = sh(["git", "-C", REPO, "rev-parse", "--short", "HEAD"], check=False).stdout.strip() or "unknown"
        # The report itself (written section by section) and the in-process package's lock file
        # (resolved by this run) do not make the measured code uncommitted.
        dirty = sh(["git", "-C", REPO, "status", "--porcelain", "--untracked-files=no", "--", ".",
                    ":!docs/benchmarks.md", ":!Benchmarks/InProcess/Package.resolved"], check=False).stdout.strip()
        mem = open("/proc/meminfo").readline().split()[1]
        cpu = ""
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        load_after = os.getloadavg()
        binfo = sh(["file", "-b", self.args.bridge], check=False).stdout.split(",")[0:2]
        lines = [
            f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(self.started))}; run took "
            f"{time.time() - self.started:.0f} s",
            f"- commit: {commit}{' (with uncommitted changes)' if dirty else ''}",
            f"- machine: {os.cpu_count()} cores ({cpu}), {int(mem) // 1024} MiB memory, {platform.platform()}",
            f"- load average (1/5/15 min) at start {fmt_load(self.load_before)}, at end {fmt_load(load_after)} "
            "(the machine is shared: compare ratios, not absolute figures)",
            f"- binaries: `{os.path.relpath(self.args.bridge, REPO)}` ({','.join(binfo).strip()}), "
            f"`{os.path.relpath(self.args.helper, REPO)}`",
            f"- sizes: small {self.small}, mid {self.mid}, large {self.large} users (2 ed25519 keys each), "
            f"{self.groups_small}/{self.groups_large} groups of 10; key helper caches {self.small}/{self.large}/"
            f"{self.huge}; {self.rounds} rounds, {self.exec_rounds} start-ups per command"
            f"{' — SMOKE RUN (tiny sizes), not a measurement' if self.smoke else ''}",
        ]
        if errors:
            lines.append("- sections that failed: " + "; ".join(errors))
        return "\n".join(lines)


def fmt_load(l):
    return "/".join(f"{x:.1f}" for x in l)


def node_file(root, fmt, name):
    """The passwd/group data file `sync` wrote in ROOT's current generation."""
    return os.path.join(root, "var/lib/sunk-bridge/current", name + (".cache" if fmt == "cache" else ""))


def read_lines(path):
    with open(path) as f:
        return f.read().splitlines()


def free_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def io_floor(root, scratch):
    """The I/O floor of a full sync: write the files it wrote (same bytes), fsync, rename, fsync dir."""
    os.makedirs(scratch, exist_ok=True)
    src = os.path.join(root, "var/lib/sunk-bridge/current")
    blobs = []
    for name in sorted(os.listdir(src)):
        p = os.path.join(src, name)
        if os.path.isfile(p):
            with open(p, "rb") as f:
                blobs.append((name, f.read()))
    t0 = time.perf_counter()
    for name, data in blobs:
        tmp = os.path.join(scratch, name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.write(fd, data)
        os.fsync(fd)
        os.close(fd)
        os.rename(tmp, os.path.join(scratch, name))
    dfd = os.open(scratch, os.O_RDONLY)
    os.fsync(dfd)
    os.close(dfd)
    return time.perf_counter() - t0


DOC_HEAD = """# Benchmarks

Produced by `make bench` (release build; `Benchmarks/run.py --out docs/benchmarks.md`). Every figure is a
ratio to a reference measured in the same run, because these machines are shared and noisy: read the
Ratio column. Figures are the median over the rounds, then the best round. Loopback (127.0.0.1) only.
`make bench-smoke` runs the same benchmarks with tiny sizes (seconds); the test suite runs it too
(`BenchmarkSmokeTests`) and checks that this table has every row.

"""

DOC_NOTES = """
## How each figure is made

- **Datasets.** N users (userName `uNNNNNNN@example.com`, externalId, name, email, two ed25519 keys in the
  CoreWeave extension) and groups of 10 members, created through the real SCIM API by 32 concurrent clients
  against `serve` started under `eatmydata` (fsync off, seeding only); measurements restart `serve` normally
  (WAL, `synchronous=FULL`) on the seeded database. The large dataset also gets an all-users group for the
  PATCH benchmark, created after the snapshot and sync figures.
- **HTTP client.** `Benchmarks/httpclient.py`: raw keep-alive HTTP/1.1 over asyncio, one request in flight per
  connection; the same client drives `sunk-bridge serve` and the peer.
- **Ingest.** Sequential: one connection, one POST /Users after another, into the small dataset.
  Concurrent: 8 or 32 connections. The bare reference is `Benchmarks/tools/sqlite_commit_loop.c`: one
  user-shaped row per transaction, WAL + `synchronous=FULL`, on the same disk. The peer is `scim2-server` from
  PyPI (in-memory storage, werkzeug, no durability: the comparison favours it), sent the same users without
  the CoreWeave extension (it serves only RFC 7643 schemas), a quarter as many (it is slow; a rate needs no more).
- **Filters.** `GET /Users?filter=userName eq "…"&startIndex=1&count=100` (Okta's existence check) and
  `externalId eq`, random existing users, at the small and the large dataset (fresh server each round).
- **RSS.** VmRSS of `serve` with the large dataset after the filters and snapshot builds; reference: a server
  on an empty database after one request.
- **Snapshot.** One user deactivated and reactivated, then `GET /export/v1/snapshot` (builds and signs a new
  snapshot), then the same GET again (the reference). 304: `If-None-Match` with the current ETag, from one
  node, and from 200 connections at once (one request each, 10 bursts) (time from the burst's start to each answer; the reference is the
  same burst to /healthz, so the client's own queueing is in both).
- **Sync.** `sunk-bridge sync --from http://127.0.0.1:…/export/v1/snapshot` into a scratch `--root` (signature
  checked with the org's trust key). Full = first sync of an empty node; unchanged = the next run (304);
  one changed = after a PATCH of one user's displayName. The reference writes the same files with
  write + fsync + rename + directory fsync from Python.
- **Homes.** The time `--create-homes` adds to an unchanged `sync --db` of the mid dataset (every active user's
  home below `ROOT/home`, a 3-file skeleton), against `Benchmarks/tools/homes_loop.c` making the same directories
  with the same system calls (mkdirat, openat O_NOFOLLOW, fstat, skeleton copy, fchown, fchmod).
- **Key helper.** `Benchmarks/tools/spawntime.c` posix_spawns each command in turn (interleaved rounds) and
  times fork+exec+wait: `/bin/true`, the static helper for a user in the middle of a keys cache (2 keys), and
  `Benchmarks/tools/keys_reader.c` (static, mmap + binary search, no safety checks: the floor).
- **NSS.** `getent passwd NAME`, `getent passwd UID`, `getent group NAME`, `id NAME` inside
  `unshare --mount` with a private nsswitch.conf (`files extrausers` or `files cache`) and the node files of
  a real `sync` bind-mounted where the modules read them; small and large alternate in blocks.
- **Load.** 32 connections for the stated time on the large dataset: 30% existence-check filters, 20%
  GET /Users/{id}, 15% GET + PUT (profile push), 10% creates, 10% deactivate + reactivate, 10% Group Push
  membership PATCH (remove + add in one request), 5% group filters. 409s are not errors. RSS sampled every
  0.5 s. Then 200 connections send one conditional snapshot request each, at once.
- **Push.** The delta: the node token GETs the snapshot of the large dataset, one user is deactivated, and
  `GET …/export/v1/changes?since=S&instance=I` answers with the signed delta (its size against the snapshot's).
  Held watches: 2,000 raw connections each hold `changes?since=S&wait=120` on a receiver of the small dataset;
  RSS 10 s later against the same receiver before. The burst: 32 connections send 1,000 PATCHes while the 2,000
  watchers follow the feed as nodes do (each answer's serial is the next `since`); the figure is the time from
  the last write answered to every watcher holding the final serial. Nodes: real `sync --watch` processes (own
  `--root` each) on the small dataset; a user made active first, then deactivated; the time from the PATCH
  answered to each node's `state.json` moving to the new serial — one node alone, then 200 at once.
"""


# Text after this marker in the --out file is kept when the file is written again: hand-written
# observations about a run (what was measured by hand, what limited a figure) survive `make bench`.
OBS_MARK = "<!-- observations: kept by run.py -->"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bridge", default=os.path.join(REPO, ".build/release/sunk-bridge"))
    ap.add_argument("--helper", default=os.path.join(REPO, ".build/static/release/sunk-authorized-keys"))
    ap.add_argument("--out", help="write the markdown report here (e.g. docs/benchmarks.md)")
    ap.add_argument("--smoke", action="store_true", help="tiny sizes, one round (seconds)")
    ap.add_argument("--sizes", help="small,mid,large users (default 1000,10000,100000; env BENCH_SIZES)")
    ap.add_argument("--only", help="comma list of sections: ingest,server,helper,sync,homes,nss,inprocess,load,push")
    ap.add_argument("--inprocess", metavar="SCRATCH",
                    help="run the ordo-one/benchmark package Benchmarks/InProcess with this scratch path")
    ap.add_argument("--keep", action="store_true", help="keep the scratch directories")
    ap.add_argument("--list-rows", action="store_true", help="print the row ids and exit")
    args = ap.parse_args()
    if args.list_rows:
        print("\n".join(ROW_IDS))
        return 0
    # 2,000 held watches: as many client sockets here and server sockets in `serve` (inherits it)
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 65536)), hard))
    if os.geteuid() != 0:
        sys.exit("run.py needs root (root-owned keys cache, mount namespaces, chown of homes)")
    for p in (args.bridge, args.helper):
        if not os.access(p, os.X_OK):
            sys.exit(f"not executable: {p} (make bench builds them)")
    args.bridge, args.helper = os.path.abspath(args.bridge), os.path.abspath(args.helper)
    suite = Suite(args)
    kept = ""
    if args.out and os.path.exists(args.out):
        old = open(args.out).read()
        if OBS_MARK in old:
            kept = old[old.index(OBS_MARK):]

    def write(errors):
        report = (DOC_HEAD + suite.header(errors) + "\n\n" + suite.table.markdown() + "\n" + DOC_NOTES
                  + ("\n" + kept if kept else ""))
        if args.out:
            with open(args.out + ".tmp", "w") as f:
                f.write(report)
            os.rename(args.out + ".tmp", args.out)
    suite.on_section = write
    try:
        errors = suite.run()
    finally:
        suite.cleanup()
    write(errors)
    print()
    print(suite.table.markdown())
    if args.out:
        print(f"\nwritten to {args.out}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
