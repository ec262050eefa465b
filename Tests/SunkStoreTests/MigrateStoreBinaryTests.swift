import Foundation
import SunkModel
import SunkPostgres
import SunkSnapshot
import Testing
import TestSupport
@testable import SunkStore

// `sunk-bridge migrate-store` (the real binary) on a store of the size issue 15 names: 10,000
// users with two keys each and 200 groups, seeded through the store's API (not HTTP), copied into
// a fresh PostgreSQL database. Nodes must not see the move: the published snapshot (digest, ETag,
// serial) read from PostgreSQL afterwards is the one SQLite published before.
@Suite("migrate-store: a 10k-user store", .tags(.e2e), .timeLimit(.minutes(5)))
struct MigrateStoreBinaryTests {
    static let users = 10_000
    static let groups = 200

    @Test("10,000 users, 20,000 keys, 200 groups: the snapshot digest, ETag and serial identical after the copy")
    func tenThousandUsers() async throws {
        let binary = try Binaries.sunkBridge()
        // On tmpfs when there is one: each create is its own durable commit, and 10,000 fsyncs on
        // a shared disk would be most of the test's time without being under test.
        let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm/" : NSTemporaryDirectory()
        let directory = base + "sunk-migrate-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/sunk.sqlite"
        let sqlite = try SQLiteStore(path: path)
        let org = try sqlite.createOrg("default")

        let clock = ContinuousClock()
        let seeding = clock.now
        var ids: [String] = []
        ids.reserveCapacity(Self.users)
        for i in 0..<Self.users {
            var user = draft("user\(i)@example.com")
            user.keys = [Self.key(i, 0), Self.key(i, 1)]
            ids.append(try await sqlite.createUser(org: org, draft: user, actor: "seed").id)
        }
        for g in 0..<Self.groups {
            let members = (0..<50).map { ids[(g * 50 + $0 * 7) % ids.count] }
            _ = try await sqlite.createGroup(org: org, draft: groupDraft("team\(g)", members: members), actor: "seed")
        }
        let seeded = clock.now - seeding
        let before = try sqlite.publishedSnapshot(org: "default")
        #expect(before.serial == Int64(Self.users + Self.groups))
        #expect(before.body.users.count == Self.users && before.body.users.allSatisfy { $0.keys.count == 2 })

        try await PostgresCluster.shared().withDatabase { url in
            let copying = clock.now
            let migrated = try await run(binary, ["migrate-store", "--from", path, "--to", url], error: .separate)
            let copied = clock.now - copying
            #expect(migrated.status == 0, "\(migrated.stdout)\n\(migrated.stderr)")
            #expect(migrated.stdout.contains("copied 1 orgs, \(Self.users) users, \(Self.groups) groups"), "\(migrated.stdout)")
            #expect(migrated.stdout.contains("snapshot \(before.digest) identical"), "\(migrated.stdout)")

            // Read back independently of the command's own comparison.
            let postgres = try await PostgresStore(url: url)
            let after = try await postgres.publishedSnapshot(org: try await postgres.org(named: "default"))
            try await postgres.close()
            #expect(after.digest == before.digest)
            #expect(after.etag == before.etag && after.serial == before.serial)
            #expect(after.signed == before.signed, "the same signed bytes: nodes cannot tell the move happened")
            print("migrate-store figures: seeded \(Self.users) users + \(Self.groups) groups through the store in \(seeded); "
                  + "migrate-store (copy + both snapshots) took \(copied)")
        }
    }

    /// A distinct valid ed25519 key for user `user`'s key number `slot`.
    static func key(_ user: Int, _ slot: Int) -> String {
        let seed = user * 2 + slot
        let bytes = (0..<32).map { UInt8(truncatingIfNeeded: ($0 < 4 ? seed >> ($0 * 8) : $0 * 13 + seed)) }
        return SSHKeys.line("ssh-ed25519", blob: SSHKeys.wire("ssh-ed25519") + SSHKeys.wire(bytes))
    }
}
