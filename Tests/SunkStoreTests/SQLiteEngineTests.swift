#if canImport(Glibc)
import Glibc
#endif
import Foundation
import GRDB
import SunkModel
import Testing
@testable import SunkStore

// What only the SQLite engine does: the file, its pragmas, migrations, ownership. The behaviour
// every engine shares is in StoreContractTests.swift.

func fileBytes(_ path: String) -> [UInt8] {
    ["", "-wal", "-shm"].flatMap { suffix in FileManager.default.contents(atPath: path + suffix).map(Array.init) ?? [] }
}

func occurs(_ needle: String, in haystack: [UInt8]) -> Bool {
    let n = Array(needle.utf8)
    guard !n.isEmpty, haystack.count >= n.count else { return false }
    for i in 0...(haystack.count - n.count) where haystack[i] == n[0] && Array(haystack[i..<(i + n.count)]) == n {
        return true
    }
    return false
}

@Suite("SunkStore: schema and SQLite settings")
struct SchemaTests {
    @Test("a fresh file gets every migration and the tables with their invariants")
    func freshMigrations() async throws {
        try await withDatabase { database in
            let (applied, tables) = try database.readSync { db in
                (try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations"),
                 try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"))
            }
            #expect(Set(applied) == Migrations.migrator.migrations.reduce(into: Set<String>()) { $0.insert($1) })
            #expect(applied.contains("v1-orgs-tokens-users-groups"))
            for table in ["org", "token", "scimUser", "scimGroup", "membership", "audit"] {
                #expect(tables.contains(table), "missing table \(table)")
            }
            // Invariants live in SQLite: a uid below 1000 is refused by the table itself.
            let org = try await database.org(named: "default")
            #expect(throws: StoreError.self) {
                try database.writeSync { db in
                    try db.execute(sql: """
                        INSERT INTO scimUser (id, orgID, userName, userNameKey, active, document, gecos, uid, gid, shell,
                            keys, exportProblem, version, createdAt, modifiedAt)
                        VALUES ('x', ?, 'x', 'x', 1, '{}', '', 0, 0, '/bin/sh', '[]', 'p', 1, 'now', 'now')
                        """, arguments: [org.id])
                }
            }
        }
    }

    @Test("WAL journal mode and synchronous=FULL are in effect on reader and writer connections")
    func pragmas() async throws {
        try await withDatabase { database in
            let readMode = try database.readSync { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
            let readSync = try database.readSync { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") }
            let writeSync = try database.writeSync { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") }
            let foreignKeys = try database.writeSync { db in try Int.fetchOne(db, sql: "PRAGMA foreign_keys") }
            #expect(readMode?.lowercased() == "wal")
            #expect(readSync == 2, "synchronous=FULL is 2")
            #expect(writeSync == 2)
            #expect(foreignKeys == 1)
            // The WAL flag is persistent in the file header (bytes 18 and 19 are 2 in WAL mode).
            let header = Array((FileManager.default.contents(atPath: database.path) ?? Data()).prefix(20))
            #expect(header.count == 20 && header[18] == 2 && header[19] == 2)
        }
    }

    @Test("a database with a migration this build does not know is refused with newerSchema")
    func newerSchema() async throws {
        let directory = NSTemporaryDirectory() + "sunk-store-newer-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/sunk.sqlite"
        do {
            let database = try SQLiteStore(path: path)
            try database.writeSync { db in
                try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v999-from-the-future')")
            }
        }
        #expect(throws: StoreError.newerSchema(["v999-from-the-future"])) {
            _ = try SQLiteStore(path: path)
        }
        // A database without unknown migrations reopens fine.
        let other = directory + "/ok.sqlite"
        _ = try SQLiteStore(path: other)
        let reopened = try SQLiteStore(path: other)
        #expect(try reopened.orgs().isEmpty)
    }

    @Test("root's admin commands keep the database the service user's: a new file goes to the directory's owner, 0600; -wal and -shm follow the file")
    func ownershipUnderRoot() async throws {
        try #require(geteuid() == 0, "this test runs as root (as CI does): it checks what root's admin commands leave behind")
        let directory = NSTemporaryDirectory() + "sunk-store-owner-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // The service's StateDirectory: owned by the (unprivileged) service user.
        let service: (uid: uid_t, gid: gid_t) = (65534, 65534)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        #expect(chown(directory, service.uid, service.gid) == 0)
        let path = directory + "/sunk.sqlite"
        func owner(_ file: String) -> (uid: uid_t, gid: gid_t, mode: mode_t)? {
            var info = stat()
            return stat(file, &info) == 0 ? (info.st_uid, info.st_gid, info.st_mode & 0o7777) : nil
        }
        do {
            let database = try SQLiteStore(path: path)        // as root, like `sunk-bridge org create`
            _ = try database.createOrg("default")
            let file = try #require(owner(path))
            #expect(file.uid == service.uid && file.gid == service.gid, "the new database belongs to the directory's owner")
            #expect(file.mode == 0o600, "mode \(String(file.mode, radix: 8))")
            for suffix in ["-wal", "-shm"] {
                let side = try #require(owner(path + suffix), "\(suffix) exists while the database is open")
                #expect(side.uid == service.uid, "\(suffix) is owned by uid \(side.uid)")
            }
        }
        // A file root creates in its own directory stays root's.
        let own = NSTemporaryDirectory() + "sunk-store-root-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: own) }
        _ = try SQLiteStore(path: own + "/sunk.sqlite")
        #expect(owner(own + "/sunk.sqlite")?.uid == 0)
    }

    @Test("a unique index or CHECK refusing a write reaches the caller as StoreError.uniqueness, never as GRDB's error")
    func constraintMapping() async throws {
        try await withDatabase { database in
            #expect(throws: StoreError.uniqueness("a value that must be unique in this org is already taken")) {
                try database.writeSync { db in
                    try db.execute(sql: "INSERT INTO org (name, policy, createdAt, changedAt) VALUES ('default', '{}', 'x', 'x')")
                }
            }
        }
    }

    @Test("the records keep the stored format: an unchanged PUT over a row written by the old SQL is a no-op")
    func recordsReadOldRows() async throws {
        try await withDatabase { database in
            let org = try await database.org(named: "default")
            // A row as the hand-written INSERT of earlier versions stored it (keys as JSON text).
            let home = (Policy.default.homePrefixes.first ?? "/home") + "/old"
            try database.writeSync { db in
                try db.execute(sql: """
                    INSERT INTO scimUser (id, orgID, userName, userNameKey, externalID, active, document, gecos,
                        explicitName, posixName, explicitUID, allocatedUID, uid, explicitGID, gid, explicitHome, home,
                        explicitShell, shell, keys, exportProblem, version, createdAt, modifiedAt)
                    VALUES ('old', ?, 'old@example.com', 'old@example.com', NULL, 1, ?, '', NULL, 'old', NULL, 1500000,
                        1500000, NULL, 1500000, NULL, ?, NULL, ?, '[]', NULL, 3, 'then', 'then')
                    """, arguments: [org.id, draft("old@example.com").document, home, Policy.default.defaultShell])
            }
            let before = try await database.org(named: "default").serial
            let same = try await database.updateUser(org: org, id: "old", ifMatch: nil, actor: "t", method: "PUT") { _ in
                draft("old@example.com")
            }
            #expect(same.version == 3 && same.uid == 1_500_000 && same.home == home)
            #expect(try await database.org(named: "default").serial == before)
        }
    }

    @Test("only a hash of the token secret is stored; the secret's bytes never reach the file")
    func secretNotInFile() async throws {
        try await withDatabase { database in
            let secret = try database.createToken(org: "default", name: "okta-hash-test", scope: .scim)
            let bytes = fileBytes(database.path)
            #expect(occurs("okta-hash-test", in: bytes), "the token name is stored, so the search works")
            #expect(!occurs(secret, in: bytes))
            #expect(!occurs(String(secret.dropFirst(4)), in: bytes))
            let stored = try database.readSync { db in
                try Data.fetchOne(db, sql: "SELECT secretHash FROM token WHERE name = 'okta-hash-test'")
            }
            #expect(stored?.count == 32)
            #expect(stored == TokenSecret.hash(secret))
        }
    }
}
