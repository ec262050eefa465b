#!/usr/bin/env python3
"""large-groups.py - cost of very large groups on a real `sunk-bridge serve`, and how long other
writers wait meanwhile (issue 10).

Usage: Benchmarks/large-groups.py SUNK_BRIDGE_BINARY [MEMBERS (100000)] [ADD (40000)] [SMALL_ADD (1000)]

Starts `serve` on a fresh database in a temp directory (127.0.0.1, free port, 64 MiB body limit),
seeds MEMBERS + ADD + 2 * SMALL_ADD users straight into SQLite in one transaction (so seeding does not
dominate), then measures, each with a second client creating users one after another through
POST /Users for as long as the measured request runs:

  1. POST /Groups with MEMBERS members;
  2. PATCH adding ADD members to that group (one operation, a list of ADD values);
  3. PATCH adding SMALL_ADD members to the grown group;
  4. the same with `?excludedAttributes=members` (Entra's way: the answer, not the write, was
     the cost of step 3).

For each: wall time of the request, the response size, and the concurrent writer's count and
max/median latency. Prints one line per step; exit 0 unless a request fails. Timings depend on the
build (debug or release) and on the machine's load: compare runs made side by side.
"""
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid


def main():
    binary = sys.argv[1]
    members = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
    add = int(sys.argv[3]) if len(sys.argv) > 3 else 40_000
    small = int(sys.argv[4]) if len(sys.argv) > 4 else 1_000
    work = tempfile.mkdtemp(prefix="sunk-bench-")
    db = os.path.join(work, "sunk.sqlite")
    server = subprocess.Popen([binary, "serve", "--db", db, "--listen", "127.0.0.1:0",
                               "--max-body-bytes", str(64 << 20)],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        base = None
        for line in server.stdout:
            if line.startswith("SCIM base URL for org default: "):
                base = line.split(": ", 1)[1].strip()
                break
        if base is None:
            sys.exit("serve did not print its base URL")
        threading.Thread(target=lambda: [None for _ in server.stdout], daemon=True).start()
        token = open(os.path.join(work, "bootstrap-token")).read().strip()
        ids = seed(db, members + add + 2 * small)
        print(f"binary {binary}; seeded {len(ids)} users")

        status, body, seconds, writer = measure(base, token, "POST", "/Groups", {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "All employees",
            "members": [{"value": i} for i in ids[:members]]})
        report(f"POST /Groups with {members} members", status, body, seconds, writer)
        group = json.loads(body)["id"]

        start = members + add
        for label, chunk, query in [
                (f"PATCH adding {add} members to the {members}-member group", ids[members:start], ""),
                (f"PATCH adding {small} members to the {start}-member group", ids[start:start + small], ""),
                (f"PATCH adding {small} members to the {start + small}-member group, excludedAttributes=members",
                 ids[start + small:], "?excludedAttributes=members")]:
            status, body, seconds, writer = measure(base, token, "PATCH", f"/Groups/{group}{query}", {
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "add", "path": "members", "value": [{"value": i} for i in chunk]}]})
            report(label, status, body, seconds, writer)
    finally:
        server.terminate()
        server.wait(timeout=60)
        subprocess.run(["rm", "-rf", work])


def seed(db, count):
    """Inserts `count` valid users of org `default` in one transaction; returns their ids."""
    conn = sqlite3.connect(db, timeout=60)
    org = conn.execute("SELECT id FROM org WHERE name = 'default'").fetchone()[0]
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    ids = [str(uuid.uuid4()) for _ in range(count)]
    rows = []
    for n, i in enumerate(ids):
        name = f"bench{n}"
        uid = 5_000_000 + n
        document = json.dumps({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": f"{name}@example.com"})
        rows.append((i, org, f"{name}@example.com", f"{name}@example.com", document, name, name, uid, uid, uid,
                     f"/home/{name}", "/bin/bash", "[]", now, now))
    with conn:
        conn.executemany("""
            INSERT INTO scimUser (id, orgID, userName, userNameKey, externalID, active, document, gecos, explicitName,
                posixName, explicitUID, allocatedUID, uid, explicitGID, gid, explicitHome, home, explicitShell, shell,
                keys, exportProblem, version, createdAt, modifiedAt)
            VALUES (?, ?, ?, ?, NULL, 1, ?, ?, NULL, ?, NULL, ?, ?, NULL, ?, NULL, ?, NULL, ?, ?, NULL, 1, ?, ?)
            """, rows)
    conn.close()
    return ids


def request(base, token, method, path, body):
    data = json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method, headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"})
    try:
        with urllib.request.urlopen(req, timeout=900) as reply:
            return reply.status, reply.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def measure(base, token, method, path, body):
    """Runs one request while another thread creates users; returns status, body, seconds, latencies."""
    done = threading.Event()
    latencies = []

    def writer():
        while not done.is_set():
            start = time.monotonic()
            status, reply = request(base, token, "POST", "/Users", {
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": f"writer-{uuid.uuid4().hex[:12]}@example.com"})
            if status != 201:
                sys.exit(f"concurrent POST /Users failed: {status} {reply[:200]!r}")
            latencies.append(time.monotonic() - start)

    thread = threading.Thread(target=writer)
    thread.start()
    time.sleep(0.2)
    start = time.monotonic()
    status, reply = request(base, token, method, path, body)
    seconds = time.monotonic() - start
    done.set()
    thread.join()
    if status not in (200, 201):
        sys.exit(f"{method} {path} failed: {status} {reply[:300]!r}")
    return status, reply, seconds, latencies


def report(label, status, body, seconds, latencies):
    median = statistics.median(latencies) if latencies else float("nan")
    worst = max(latencies) if latencies else float("nan")
    print(f"{label}: {status} in {seconds:.2f} s, response {len(body) / 1e6:.1f} MB; concurrent POST /Users: "
          f"{len(latencies)} done, max {worst:.2f} s, median {median * 1000:.0f} ms", flush=True)


if __name__ == "__main__":
    main()
