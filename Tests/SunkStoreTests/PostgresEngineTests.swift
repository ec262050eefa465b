import Foundation
import SunkModel
import SunkPostgres
import Testing
import TestSupport
@testable import SunkStore

// What only the PostgreSQL engine does: its error mapping, its schema guard, several receivers on
// one database, and change notifications between them. The rest is the contract suite.

@Suite("PostgresStore: engine")
struct PostgresEngineTests {
    @Test("a unique violation (SQLSTATE 23505) maps to StoreError.uniqueness with SQLite's words")
    func uniqueViolation() async throws {
        try await withPostgresStore { store in
            // Past the checks in Swift, straight into the constraint, as a racing writer would.
            await #expect(throws: StoreError.uniqueness("a value that must be unique in this org is already taken")) {
                try await store.execute("INSERT INTO org (name, policy, createdat, changedat) VALUES ('default', '{}', 'x', 'x')")
            }
            let org = try await store.org(named: "default")
            _ = try await store.createUser(org: org, draft: draft("u@example.com", uid: 100_001), actor: "t")
            await #expect(throws: StoreError.constraintViolation) {
                try await store.execute("""
                    INSERT INTO scimuser (id, orgid, username, usernamekey, active, document, gecos, uid, gid, shell,
                        keys, exportproblem, version, createdat, modifiedat)
                    VALUES ('x', \(org.id), 'v', 'v', true, '{}', '', 100001, 100001, '/bin/sh', '[]', 'p', 1, 'x', 'x')
                    """)
            }
            // Any other database error is .engine, and names no secret.
            await #expect(throws: StoreError.self) { try await store.execute("SELECT * FROM nowhere") }
        }
    }

    @Test("the same migration identifiers as SQLite; a schema newer than this build is refused")
    func newerSchema() async throws {
        try await PostgresCluster.shared().withDatabase { url in
            let first = try await PostgresStore(url: url)
            let instance = try await first.instanceID()
            // Opening again migrates nothing and keeps the instance.
            let again = try await PostgresStore(url: url)
            #expect(try await again.instanceID() == instance)
            try await again.close()
            await #expect(throws: StoreError.constraintViolation) {
                try await first.execute("INSERT INTO schema_migrations VALUES ('\(Migrations.v2)', 'x')")
            }
            try await first.execute("INSERT INTO schema_migrations VALUES ('v99-from-the-future', 'x')")
            try await first.close()
            await #expect(throws: StoreError.newerSchema(["v99-from-the-future"])) {
                _ = try await PostgresStore(url: url)
            }
        }
    }

    @Test("two receivers, eight concurrent writers: every success stored, no duplicate uid or gid, serials strictly increasing",
          .timeLimit(.minutes(5)))
    func twoReceivers() async throws {
        try await withPostgresStore { a in
            let b = try await PostgresStore(url: try await url(of: a))
            defer { Task { try? await b.close() } }
            let org = try await a.org(named: "default")
            let start = org.serial
            // A watcher on receiver B sees every serial move on, strictly increasing.
            let watcher = Task {
                var seen: [Int64] = []
                for try await serial in b.serials(org: "default") {
                    seen.append(serial)
                    if serial >= start + 80 { break }
                }
                return seen
            }
            let created = try await withThrowingTaskGroup(of: [String].self) { group in
                for writer in 0..<8 {
                    let store: any IdentityStore = writer % 2 == 0 ? a : b
                    group.addTask {
                        var ids: [String] = []
                        for i in 0..<8 {
                            ids.append(try await store.createUser(org: org, draft: draft("w\(writer)-\(i)@example.com"),
                                                                  actor: "writer\(writer)").id)
                        }
                        let team = try await store.createGroup(org: org, draft: groupDraft("team\(writer)", members: ids),
                                                               actor: "writer\(writer)")
                        for id in ids.prefix(1) {
                            _ = try await store.updateGroup(org: org, id: team.id, ifMatch: nil, actor: "w", method: "PATCH",
                                                            readingMembers: false, answerWithMembers: false) { current in
                                var change = MembershipChange()
                                change.remove([id])
                                return GroupChange(group: groupDraft(current.displayName), membership: change)
                            }
                        }
                        return ids
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            let users = try await b.users(org: org, lookup: .all)
            #expect(Set(users.map(\.id)) == Set(created), "every 2xx is present")
            #expect(Set(users.map(\.uid)).count == 64, "no uid twice")
            let groups = try await a.groups(org: org, lookup: .all, members: true)
            #expect(groups.count == 8 && Set(groups.map(\.gid)).count == 8, "no gid twice")
            #expect(groups.allSatisfy { $0.members.count == 7 }, "no member change lost")
            let end = try await a.org(named: "default").serial
            #expect(end == start + 64 + 8 + 8, "one serial per change")
            let seen = try await watcher.value
            #expect(seen.first == start || seen.first.map { $0 > start } == true)
            #expect(zip(seen, seen.dropFirst()).allSatisfy { $0 < $1 }, "strictly increasing: \(seen)")
            #expect(try await a.snapshot(org: org).digest == (try await b.snapshot(org: org).digest))
            #expect(try await a.auditEntries(org: "default", since: nil, limit: 1000)
                        .filter { $0.actor.hasPrefix("writer") }.count == 72, "an audit row per write")
        }
    }

    // Time limits here include the first start of the shared cluster, which takes over a minute
    // when it happens during a full parallel run on two cores.
    @Test("a write through one receiver wakes serials(org:) on the other (NOTIFY)", .timeLimit(.minutes(5)))
    func notifyAcrossReceivers() async throws {
        try await withPostgresStore { a in
            let b = try await PostgresStore(url: try await url(of: a))
            defer { Task { try? await b.close() } }
            let org = try await a.org(named: "default")
            var feed = a.serials(org: "default").makeAsyncIterator()
            #expect(try await feed.next() == org.serial)
            _ = try await b.createToken(org: "default", name: "not-a-change", scope: .node, actor: "test")
            _ = try await b.createUser(org: org, draft: draft("elsewhere@example.com"), actor: "b")
            #expect(try await feed.next() == org.serial + 1)
        }
    }

    @Test("readiness (/readyz): true while the database answers, false within seconds once it is gone",
          .timeLimit(.minutes(5)))
    func readiness() async throws {
        try await PostgresCluster.shared().withDatabase { url in
            let store = try await PostgresStore(url: url)
            #expect(await store.isReadable())
            let database = String(url.split(separator: "/").last?.split(separator: "?").first ?? "")
            try await PostgresCluster.shared().sql("DROP DATABASE \(database) WITH (FORCE)")
            let start = ContinuousClock.now
            #expect(await store.isReadable() == false)
            #expect(ContinuousClock.now - start < .seconds(10), "a probe must not hang")
            try await store.close()
        }
    }

    @Test("connection URLs: libpq's sslmode values, the password never in the location")
    func urls() throws {
        let url = try PostgresURL("postgresql://sunk:s3cret@db.example.com:6432/sunk?sslmode=verify-full&sslrootcert=/etc/ca.pem")
        #expect(url.location == "postgresql://db.example.com:6432/sunk")
        #expect(!url.location.contains("s3cret"))
        for mode in ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"] {
            #expect(throws: Never.self) { _ = try PostgresURL("postgresql://u@h/d?sslmode=\(mode)") }
        }
        #expect(throws: StoreError.self) { _ = try PostgresURL("postgresql://u:pw@h/d?sslmode=sometimes") }
        #expect(throws: StoreError.self) { _ = try PostgresURL("postgresql://u:pw@h/d?sslmod=require") }
        #expect(try PostgresURL("postgresql:///sunk?host=/run/postgresql").location
                    == "postgresql:///sunk?host=/run/postgresql")
        #expect(PostgresURL.isURL("postgres://h/d") && !PostgresURL.isURL("/var/lib/sunk-bridge/x.sqlite"))
    }

    /// The URL `store` was opened with (the test cluster's; trust authentication, no password).
    private func url(of store: PostgresStore) async throws -> String {
        let database = String(store.location.split(separator: "/").last ?? "")
        return try await PostgresCluster.shared().url(database: database)
    }
}
