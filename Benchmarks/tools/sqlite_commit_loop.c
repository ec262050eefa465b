// sqlite_commit_loop.c - the bare SQLite reference for SCIM creates: N single-row INSERT
// transactions on a fresh database with the receiver's pragmas (WAL, synchronous=FULL), one row
// shaped like a user (id, unique case-folded userName, ~1 KiB JSON document).
// Usage: sqlite_commit_loop DBFILE N      Prints "rate <commits/s>" and "lat <ns>" per commit.
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
static long long now_ns(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1000000000LL + t.tv_nsec; }
static void ok(int rc, sqlite3 *db, const char *what) { if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) { fprintf(stderr, "%s: %s\n", what, sqlite3_errmsg(db)); exit(1); } }
int main(int argc, char **argv) {
  if (argc != 3) { fprintf(stderr, "usage: sqlite_commit_loop DBFILE N\n"); return 2; }
  int n = atoi(argv[2]); sqlite3 *db;
  ok(sqlite3_open(argv[1], &db), db, "open");
  ok(sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                      "CREATE TABLE IF NOT EXISTS user (id TEXT PRIMARY KEY, userName TEXT NOT NULL,"
                      " userNameKey TEXT NOT NULL UNIQUE, document TEXT NOT NULL)", 0, 0, 0), db, "schema");
  sqlite3_stmt *ins; ok(sqlite3_prepare_v2(db, "INSERT INTO user VALUES (?, ?, ?, ?)", -1, &ins, 0), db, "prepare");
  char doc[1100]; memset(doc, 'x', sizeof doc - 1); doc[sizeof doc - 1] = 0;
  long long *lat = malloc(sizeof(long long) * n), t0 = now_ns();
  for (int i = 0; i < n; i++) {
    char id[64], name[64]; snprintf(id, sizeof id, "%08x-0000-4000-8000-%012d", i, i); snprintf(name, sizeof name, "ref%07d@example.com", i);
    long long a = now_ns();
    ok(sqlite3_exec(db, "BEGIN IMMEDIATE", 0, 0, 0), db, "begin");
    sqlite3_bind_text(ins, 1, id, -1, SQLITE_TRANSIENT); sqlite3_bind_text(ins, 2, name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(ins, 3, name, -1, SQLITE_TRANSIENT); sqlite3_bind_text(ins, 4, doc, -1, SQLITE_STATIC);
    ok(sqlite3_step(ins), db, "insert"); sqlite3_reset(ins);
    ok(sqlite3_exec(db, "COMMIT", 0, 0, 0), db, "commit");
    lat[i] = now_ns() - a;
  }
  double secs = (now_ns() - t0) / 1e9;
  printf("rate %.3f\n", n / secs);
  for (int i = 0; i < n; i++) printf("lat %lld\n", lat[i]);
  sqlite3_finalize(ins); sqlite3_close(db); return 0;
}
