#if canImport(Glibc)
import Glibc
#endif
import Foundation
import GRDB
import SunkModel
import SunkSnapshot
import Testing
@testable import SunkStore

/// A fresh database file in its own temp directory, removed afterwards.
func withDatabase(_ body: (SunkDatabase) async throws -> Void) async throws {
    let directory = NSTemporaryDirectory() + "sunk-store-test-" + UUID().uuidString
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let database = try SunkDatabase(path: directory + "/sunk.sqlite")
    _ = try database.createOrg("default")
    try await body(database)
}

/// A user draft as the SCIM layer would hand it over.
func draft(_ userName: String, uid: UInt32? = nil, name: String? = nil, active: Bool = true) -> UserDraft {
    UserDraft(userName: userName, externalID: nil, active: active,
              document: "{\"userName\":\"\(userName)\",\"active\":\(active)}", gecos: "",
              posixName: name, derivedName: PosixRules.derivedUserName(fromUserName: userName, policy: .default),
              uid: uid, gid: nil, home: nil, shell: nil, keys: [])
}

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
            #expect(throws: DatabaseError.self) {
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
            let database = try SunkDatabase(path: path)
            try database.writeSync { db in
                try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v999-from-the-future')")
            }
        }
        #expect(throws: StoreError.newerSchema(["v999-from-the-future"])) {
            _ = try SunkDatabase(path: path)
        }
        // A database without unknown migrations reopens fine.
        let other = directory + "/ok.sqlite"
        _ = try SunkDatabase(path: other)
        let reopened = try SunkDatabase(path: other)
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
            let database = try SunkDatabase(path: path)        // as root, like `sunk-bridge org create`
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
        _ = try SunkDatabase(path: own + "/sunk.sqlite")
        #expect(owner(own + "/sunk.sqlite")?.uid == 0)
    }

    @Test("org names are validated")
    func orgNames() async throws {
        try await withDatabase { database in
            for bad in ["Bad", "a b", "-x", "", String(repeating: "a", count: 64), "../x"] {
                #expect(throws: StoreError.self) { _ = try database.createOrg(bad) }
            }
            #expect(throws: StoreError.alreadyExists("org \"default\"")) { _ = try database.createOrg("default") }
            let created = try database.createOrg("team-2")
            #expect(created.name == "team-2")
        }
    }
}

@Suite("SunkStore: tokens")
struct TokenTests {
    @Test("only a hash of the secret is stored; the secret's bytes never reach the file")
    func hashing() async throws {
        try await withDatabase { database in
            let secret = try database.createToken(org: "default", name: "okta-hash-test", scope: .scim)
            #expect(secret.hasPrefix("sbt_"))
            #expect(secret.count > 40)
            let bytes = fileBytes(database.path)
            #expect(occurs("okta-hash-test", in: bytes), "the token name is stored, so the search works")
            #expect(!occurs(secret, in: bytes))
            #expect(!occurs(String(secret.dropFirst(4)), in: bytes))
            let stored = try database.readSync { db in
                try Data.fetchOne(db, sql: "SELECT secretHash FROM token WHERE name = 'okta-hash-test'")
            }
            #expect(stored?.count == 32)
            #expect(stored == TokenSecret.hash(secret))
            let principal = try await database.authenticate(secret: secret, org: "default")
            #expect(principal?.tokenName == "okta-hash-test")
            #expect(principal?.scope == .scim)
            #expect(try await database.authenticate(secret: secret + "x", org: "default") == nil)
            #expect(try await database.authenticate(secret: secret, org: "other") == nil)
            let listed = try database.tokens(org: "default")
            #expect(listed.map(\.name) == ["okta-hash-test"])
            #expect(listed.first?.lastUsedAt != nil, "authenticate records the last use")
            // Two tokens never share a secret.
            let another = try database.createToken(org: "default", name: "second", scope: .node)
            #expect(another != secret)
            #expect(try await database.authenticate(secret: another, org: "default")?.scope == .node)
        }
    }

    @Test("the constant-time comparison is a correct equality")
    func constantTimeEqual() {
        let a = TokenSecret.hash("one")
        var b = a
        #expect(TokenSecret.equal(a, b))
        b[b.startIndex] ^= 1
        #expect(!TokenSecret.equal(a, b))
        var c = a
        c[c.index(before: c.endIndex)] ^= 0x80
        #expect(!TokenSecret.equal(a, c))
        #expect(!TokenSecret.equal(a, a.dropLast()))
        #expect(!TokenSecret.equal(a, Data()))
        #expect(TokenSecret.equal(Data(), Data()))
        #expect(!TokenSecret.equal(TokenSecret.hash("one"), TokenSecret.hash("two")))
    }

    @Test("a revoked token no longer authenticates; revoking twice is notFound")
    func revoke() async throws {
        try await withDatabase { database in
            let secret = try database.createToken(org: "default", name: "gone", scope: .scim)
            try database.revokeToken(org: "default", name: "gone")
            #expect(try await database.authenticate(secret: secret, org: "default") == nil)
            #expect(throws: StoreError.self) { try database.revokeToken(org: "default", name: "gone") }
            #expect(throws: StoreError.self) { _ = try database.createToken(org: "default", name: "  ", scope: .scim) }
        }
    }
}

@Suite("SunkStore: users, allocation, serial, snapshot freeze")
struct UserStoreTests {
    @Test("an allocated uid is never handed out again, even after its user is deleted")
    func allocationNeverReuses() async throws {
        try await withDatabase { database in
            let org = try await database.org(named: "default")
            let first = try await database.createUser(org: org, draft: draft("first@example.com"), actor: "t")
            #expect(first.uid == 1_000_000)
            #expect(first.uidAllocated)
            try await database.deleteUser(org: org, id: first.id, ifMatch: nil, actor: "t")
            let second = try await database.createUser(org: org, draft: draft("second@example.com"), actor: "t")
            #expect(second.uid == 1_000_001)
            // An id the IdP chose inside the allocation range is skipped, not collided with.
            _ = try await database.createUser(org: org, draft: draft("chosen@example.com", uid: 1_000_002), actor: "t")
            let third = try await database.createUser(org: org, draft: draft("third@example.com"), actor: "t")
            #expect(third.uid == 1_000_003)
            // The freed explicit uid of a deleted user may be given again by the IdP.
            let explicit = try await database.createUser(org: org, draft: draft("e1@example.com", uid: 123_456), actor: "t")
            try await database.deleteUser(org: org, id: explicit.id, ifMatch: nil, actor: "t")
            let reused = try await database.createUser(org: org, draft: draft("e2@example.com", uid: 123_456), actor: "t")
            #expect(reused.uid == 123_456)
        }
    }

    @Test("the serial bumps on every write, not on reads, authentication or no-op updates")
    func serial() async throws {
        try await withDatabase { database in
            let secret = try database.createToken(org: "default", name: "serial", scope: .scim)
            var org = try await database.org(named: "default")
            let start = org.serial
            _ = try await database.authenticate(secret: secret, org: "default")
            _ = try await database.users(org: org)
            #expect(try await database.org(named: "default").serial == start)
            let user = try await database.createUser(org: org, draft: draft("s@example.com"), actor: "t")
            org = try await database.org(named: "default")
            #expect(org.serial == start + 1)
            let same = try await database.updateUser(org: org, id: user.id, ifMatch: nil, actor: "t", method: "PUT") { _ in
                draft("s@example.com")
            }
            #expect(same.version == user.version)
            #expect(try await database.org(named: "default").serial == start + 1)
            let changed = try await database.updateUser(org: org, id: user.id, ifMatch: user.etag, actor: "t", method: "PATCH") { _ in
                draft("s@example.com", active: false)
            }
            #expect(changed.version == user.version + 1)
            #expect(changed.active == false)
            #expect(try await database.org(named: "default").serial == start + 2)
            await #expect(throws: StoreError.self) {
                _ = try await database.updateUser(org: org, id: user.id, ifMatch: user.etag, actor: "t", method: "PUT") { _ in
                    draft("s@example.com")
                }
            }
            try await database.deleteUser(org: org, id: user.id, ifMatch: nil, actor: "t")
            #expect(try await database.org(named: "default").serial == start + 3)
            // A policy change is a change too.
            var policy = org.policy
            policy.defaultShell = "/bin/zsh"
            _ = try database.updateOrg("default", policy: policy)
            #expect(try await database.org(named: "default").serial == start + 4)
        }
    }

    @Test("userName is unique case-insensitively; explicit names, uids and homes are unique")
    func uniqueness() async throws {
        try await withDatabase { database in
            let org = try await database.org(named: "default")
            _ = try await database.createUser(org: org, draft: draft("ada@example.com", uid: 100_001), actor: "t")
            await #expect(throws: StoreError.self) {
                _ = try await database.createUser(org: org, draft: draft("ADA@example.com"), actor: "t")
            }
            await #expect(throws: StoreError.self) {
                _ = try await database.createUser(org: org, draft: draft("x@example.com", uid: 100_001), actor: "t")
            }
            await #expect(throws: StoreError.self) {
                _ = try await database.createUser(org: org, draft: draft("y@example.com", name: "ada"), actor: "t")
            }
            #expect(try await database.users(org: org).count == 1)
        }
    }

    @Test("concurrent writers never surface 'database is locked'")
    func concurrentWriters() async throws {
        try await withDatabase { database in
            let org = try await database.org(named: "default")
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<32 {
                    group.addTask { _ = try await database.createUser(org: org, draft: draft("c\(i)@example.com"), actor: "t") }
                }
                try await group.waitForAll()
            }
            let users = try await database.users(org: org)
            #expect(users.count == 32)
            #expect(Set(users.map(\.uid)).count == 32)
            #expect(try await database.org(named: "default").serial >= 32)
        }
    }

    @Test("turning provisioning off freezes the snapshot nodes receive; on again releases it")
    func provisioningFreeze() async throws {
        try await withDatabase { database in
            var org = try await database.org(named: "default")
            _ = try await database.createUser(org: org, draft: draft("before@example.com"), actor: "t")
            #expect(try await database.frozenSnapshot(org: org) == nil)
            org = try database.updateOrg("default", provisioning: false)
            #expect(org.provisioning == false)
            let frozen = try #require(try await database.frozenSnapshot(org: org))
            let frozenDocument = try SnapshotDocument.decode(frozen)
            #expect(frozenDocument.body.users.map(\.name) == ["before"])
            #expect(frozenDocument.body.serial == org.serial)
            // Writes are still accepted, but the frozen snapshot stays as it was.
            _ = try await database.createUser(org: org, draft: draft("after@example.com"), actor: "t")
            #expect(try await database.frozenSnapshot(org: org) == frozen)
            #expect(try await database.snapshot(org: org).body.users.map(\.name).sorted() == ["after", "before"])
            org = try database.updateOrg("default", provisioning: true)
            #expect(try await database.frozenSnapshot(org: org) == nil)
        }
    }

    @Test("store writes are audited in the same transaction, with the actor")
    func audit() async throws {
        try await withDatabase { database in
            let org = try await database.org(named: "default")
            let user = try await database.createUser(org: org, draft: draft("aud@example.com"), actor: "okta-x")
            try await database.deleteUser(org: org, id: user.id, ifMatch: nil, actor: "okta-x")
            let entries = try database.auditEntries(org: "default", since: nil)
            #expect(entries.contains { $0.method == "POST" && $0.resource == "Users/\(user.id)" && $0.actor == "okta-x" })
            #expect(entries.contains { $0.method == "DELETE" && $0.resource == "Users/\(user.id)" })
            #expect(entries.contains { $0.method == "ORG CREATE" })
        }
    }

    @Test("group members must be users of the org: groups and unknown ids are refused")
    func flatGroups() async throws {
        try await withDatabase { database in
            let org = try await database.org(named: "default")
            let user = try await database.createUser(org: org, draft: draft("m@example.com"), actor: "t")
            let group = try await database.createGroup(org: org, draft: GroupDraft(
                displayName: "one", externalID: nil, document: "{}", posixName: "one", memberIDs: [user.id, user.id]), actor: "t")
            #expect(group.members.map(\.id) == [user.id])
            #expect(group.gid == 2_000_000)
            await #expect(throws: StoreError.self) {
                _ = try await database.createGroup(org: org, draft: GroupDraft(
                    displayName: "two", externalID: nil, document: "{}", posixName: "two", memberIDs: [group.id]), actor: "t")
            }
            await #expect(throws: StoreError.self) {
                _ = try await database.createGroup(org: org, draft: GroupDraft(
                    displayName: "three", externalID: nil, document: "{}", posixName: "three", memberIDs: ["nobody"]), actor: "t")
            }
            #expect(try await database.groups(org: org).count == 1)
        }
    }
}
