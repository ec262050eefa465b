import Foundation
import SunkModel
import SunkPostgres
import Testing
import TestSupport
@testable import SunkStore

@Suite("migrate-store: SQLite into PostgreSQL")
struct StoreMigrationTests {
    @Test("every id, serial, cursor, token hash, key, audit row and console setting kept: both publish the same snapshots")
    func copy() async throws {
        try await withDatabase { sqlite in
            // A store with some history: deletions (cursors past the live ids), a rotated key, a
            // group, a token, a second org frozen by a provisioning pause.
            let org = try await sqlite.org(named: "default")
            var ids: [String] = []
            for i in 0..<6 { ids.append(try await sqlite.createUser(org: org, draft: draft("m\(i)@example.com"), actor: "okta").id) }
            try await sqlite.deleteUser(org: org, id: ids.removeFirst(), ifMatch: nil, actor: "okta")
            _ = try await sqlite.createGroup(org: org, draft: groupDraft("team", members: ids), actor: "okta")
            let secret = try sqlite.createToken(org: "default", name: "okta", scope: .scim)
            _ = try sqlite.rotateSigningKey(org: "default")
            _ = try sqlite.createOrg("paused")
            _ = try await sqlite.createUser(org: try await sqlite.org(named: "paused"), draft: draft("p@example.com"), actor: "t")
            _ = try sqlite.updateOrg("paused", provisioning: false)
            _ = try await sqlite.updateConsoleSettings(
                org: "default", identityProvider: ConsoleIdentityProvider(
                    ssoURL: "https://idp.example/sso", entityID: "http://www.okta.com/exk1",
                    certificatePEM: try await testCertificate()),
                adminGroup: "console admins", actor: "cli")
            try await sqlite.addConsoleAdmin(org: "default", email: "ada@example.com", actor: "cli")

            try await PostgresCluster.shared().withDatabase { url in
                let postgres = try await PostgresStore(url: url)
                try await postgres.load(try sqlite.dump())
                #expect(try await postgres.orgs() == (try sqlite.orgs()))
                #expect(try await postgres.instanceID() == (try sqlite.instanceID()))
                for name in ["default", "paused"] {
                    let before = try sqlite.publishedSnapshot(org: name)
                    let after = try await postgres.publishedSnapshot(org: try await postgres.org(named: name))
                    #expect(after.digest == before.digest && after.etag == before.etag && after.signed == before.signed,
                            "org \(name)")
                    #expect(try await postgres.trustKeys(org: name, includePrevious: true)
                                == (try sqlite.trustKeys(org: name, includePrevious: true)))
                }
                let copied = try await postgres.org(named: "default")
                #expect(try await postgres.users(org: copied, lookup: .all) == (try sqlite.users(org: org)))
                #expect(try await postgres.authenticate(secret: secret, org: "default")?.tokenName == "okta")
                let console = try await postgres.consoleSettings(org: "default")
                #expect(console == (try await sqlite.consoleSettings(org: "default")))
                #expect(console.identityProvider != nil && console.adminEmails == ["ada@example.com"])
                let audit = try await sqlite.auditEntries(org: nil, since: nil, limit: 1000)
                #expect(try await postgres.auditEntries(org: nil, since: nil, limit: 1000) == audit)
                // The cursors came along: the next uid and gid are the ones SQLite would hand out.
                let next = try await postgres.createUser(org: copied, draft: draft("next@example.com"), actor: "t")
                let nextGroup = try await postgres.createGroup(org: copied, draft: groupDraft("next"), actor: "t")
                let sqliteNext = try await sqlite.createUser(org: org, draft: draft("next@example.com"), actor: "t")
                let sqliteGroup = try await sqlite.createGroup(org: org, draft: groupDraft("next"), actor: "t")
                #expect(next.uid == sqliteNext.uid && nextGroup.gid == sqliteGroup.gid)
                // Identity sequences moved past the copied ids.
                _ = try await postgres.createOrg("after", policy: .default)
                #expect(try await postgres.org(named: "after").id == 3)
                // Only into an empty database.
                await #expect(throws: StoreError.self) { try await postgres.load(try sqlite.dump()) }
                try await postgres.close()
            }
        }
    }
}
