"""pgcluster.py - a scratch PostgreSQL 15 cluster for the benchmarks, made the way the Swift tests
make theirs (Tests/TestSupport/PostgresCluster.swift): initdb into a scratch folder, trust
authentication, listening only on 127.0.0.1 on a free port, as nobody/nogroup through setpriv when
run as root (PostgreSQL refuses root); stopped and removed by `stop()`.

Unlike the tests' cluster, durability stays at PostgreSQL's defaults (fsync, synchronous_commit):
its ingest figures sit beside the durable SQLite ones, so both commit to disk before answering.
"""
import os
import random
import shutil
import subprocess
import tempfile
import time

BIN = "/usr/lib/postgresql/15/bin"
NOBODY = ["--reuid=nobody", "--regid=nogroup", "--clear-groups"]


class PostgresCluster:
    def __init__(self, parent="/var/tmp"):
        if not os.access(os.path.join(BIN, "initdb"), os.X_OK):
            raise RuntimeError(f"PostgreSQL 15 is not installed ({BIN}/initdb): run `make deps`")
        self.dir = tempfile.mkdtemp(prefix="pg-", dir=parent)
        self.as_root = os.geteuid() == 0
        if self.as_root:
            os.chown(self.dir, 65534, 65534)
        self.proc = None
        self.port = None
        data = os.path.join(self.dir, "data")
        init = self._run([os.path.join(BIN, "initdb"), "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8",
                          "--no-locale"])
        if init.returncode != 0:
            raise RuntimeError(f"initdb failed: {init.stdout}")
        self._start(data)

    def _argv(self, argv):
        return ["setpriv"] + (NOBODY if self.as_root else []) + ["--"] + argv

    def _run(self, argv):
        return subprocess.run(self._argv(argv), text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    def _start(self, data):
        # A port below the ephemeral range (a client's outgoing connection can hold any port in
        # it); another one when it is taken, as the tests do.
        low = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
        log = os.path.join(self.dir, "postgres.log")
        for _ in range(20):
            port = random.randrange(10000, max(low, 10001))
            with open(log, "w") as out:
                self.proc = subprocess.Popen(self._argv([
                    os.path.join(BIN, "postgres"), "-D", data, "-h", "127.0.0.1", "-p", str(port), "-k", self.dir,
                    "-c", "max_connections=300"]), stdout=out, stderr=subprocess.STDOUT)
            for _ in range(600):
                text = open(log).read()
                if "ready to accept connections" in text:
                    self.port = port
                    return
                if self.proc.poll() is not None:
                    break
                time.sleep(0.1)
            self.proc.kill()
            self.proc.wait()
            if "could not bind" not in text and "Address already in use" not in text:
                raise RuntimeError(f"PostgreSQL did not start: {text[-2000:]}")
        raise RuntimeError("PostgreSQL found no free port")

    def url(self, database):
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}?sslmode=disable"

    def create_database(self, name):
        """A new empty database; returns its URL."""
        out = subprocess.run([os.path.join(BIN, "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
                              "-p", str(self.port), "-U", "postgres", "-d", "postgres", "-c",
                              f"CREATE DATABASE {name}"], text=True, capture_output=True)
        if out.returncode != 0:
            raise RuntimeError(f"CREATE DATABASE {name}: {out.stderr}")
        return self.url(name)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()          # smart shutdown: the receivers are already stopped
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)
