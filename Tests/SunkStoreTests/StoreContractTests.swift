import Foundation
import SunkModel
import SunkSnapshot
import Testing
@testable import SunkStore

// The store's contract: what every `IdentityStore` engine does, run against each of
// `StoreEngine.all`. These tests speak only the protocol.

@Suite("IdentityStore: orgs and tokens")
struct OrgAndTokenContractTests {
    @Test("org names are validated", arguments: StoreEngine.all)
    func orgNames(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            for bad in ["Bad", "a b", "-x", "", String(repeating: "a", count: 64), "../x"] {
                await #expect(throws: StoreError.self) { _ = try await store.createOrg(bad, policy: .default) }
            }
            await #expect(throws: StoreError.alreadyExists("org \"default\"")) {
                _ = try await store.createOrg("default", policy: .default)
            }
            let created = try await store.createOrg("team-2", policy: .default)
            #expect(created.name == "team-2")
            #expect(try await store.orgs().map(\.name) == ["default", "team-2"])
            await #expect(throws: StoreError.orgNotFound("nope")) { _ = try await store.org(named: "nope") }
        }
    }

    @Test("a token authenticates in its own org only, by its secret; listing never shows the secret",
          arguments: StoreEngine.all)
    func tokens(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let secret = try await store.createToken(org: "default", name: "okta-hash-test", scope: .scim, actor: "test")
            #expect(secret.hasPrefix("sbt_"))
            #expect(secret.count > 40)
            let principal = try await store.authenticate(secret: secret, org: "default")
            #expect(principal?.tokenName == "okta-hash-test")
            #expect(principal?.scope == .scim)
            #expect(try await store.authenticate(secret: secret + "x", org: "default") == nil)
            #expect(try await store.authenticate(secret: secret, org: "other") == nil)
            let listed = try await store.tokens(org: "default")
            #expect(listed.map(\.name) == ["okta-hash-test"])
            #expect(listed.first?.lastUsedAt != nil, "authenticate records the last use")
            // Two tokens never share a secret.
            let another = try await store.createToken(org: "default", name: "second", scope: .node, actor: "test")
            #expect(another != secret)
            #expect(try await store.authenticate(secret: another, org: "default")?.scope == .node)
            await #expect(throws: StoreError.self) {
                _ = try await store.createToken(org: "default", name: "second", scope: .node, actor: "test")
            }
            _ = try await store.createOrg("b-org", policy: .default)
            _ = try await store.createToken(org: "b-org", name: "a", scope: .scim, actor: "test")
            #expect(try await store.tokens(org: nil).map { "\($0.org)/\($0.name)" }
                        == ["b-org/a", "default/okta-hash-test", "default/second"])
        }
    }

    @Test("a revoked token no longer authenticates; revoking twice is notFound", arguments: StoreEngine.all)
    func revoke(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let secret = try await store.createToken(org: "default", name: "gone", scope: .scim, actor: "test")
            try await store.revokeToken(org: "default", name: "gone", actor: "test")
            #expect(try await store.authenticate(secret: secret, org: "default") == nil)
            await #expect(throws: StoreError.self) { try await store.revokeToken(org: "default", name: "gone", actor: "test") }
            await #expect(throws: StoreError.self) {
                _ = try await store.createToken(org: "default", name: "  ", scope: .scim, actor: "test")
            }
        }
    }

    @Test("rotating the signing key keeps the old one as previous and is a change nodes see",
          arguments: StoreEngine.all)
    func rotation(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let first = try await store.trustKeys(org: "default", includePrevious: true)
            #expect(first.count == 1)
            let serial = try await store.org(named: "default").serial
            let key = try await store.rotateSigningKey(org: "default", actor: "t")
            #expect(try await store.trustKeys(org: "default", includePrevious: false) == [key])
            #expect(try await store.trustKeys(org: "default", includePrevious: true) == [key] + first)
            #expect(try await store.org(named: "default").serial == serial + 1)
            #expect(try await store.auditEntries(org: "default", since: nil, limit: 10).last?.method
                        == "ORG ROTATE-SIGNING-KEY")
        }
    }
}

@Suite("SunkStore: token secrets")
struct TokenSecretTests {
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
}

@Suite("IdentityStore: users, allocation, serial, snapshot freeze")
struct UserContractTests {
    @Test("an allocated uid is never handed out again, even after its user is deleted", arguments: StoreEngine.all)
    func allocationNeverReuses(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let org = try await store.org(named: "default")
            let first = try await store.createUser(org: org, draft: draft("first@example.com"), actor: "t")
            #expect(first.uid == 1_000_000)
            #expect(first.uidAllocated)
            try await store.deleteUser(org: org, id: first.id, ifMatch: nil, actor: "t")
            let second = try await store.createUser(org: org, draft: draft("second@example.com"), actor: "t")
            #expect(second.uid == 1_000_001)
            // An id the IdP chose inside the allocation range is skipped, not collided with.
            _ = try await store.createUser(org: org, draft: draft("chosen@example.com", uid: 1_000_002), actor: "t")
            let third = try await store.createUser(org: org, draft: draft("third@example.com"), actor: "t")
            #expect(third.uid == 1_000_003)
            // The freed explicit uid of a deleted user may be given again by the IdP.
            let explicit = try await store.createUser(org: org, draft: draft("e1@example.com", uid: 123_456), actor: "t")
            try await store.deleteUser(org: org, id: explicit.id, ifMatch: nil, actor: "t")
            let reused = try await store.createUser(org: org, draft: draft("e2@example.com", uid: 123_456), actor: "t")
            #expect(reused.uid == 123_456)
        }
    }

    @Test("the serial bumps on every write, not on reads, authentication or no-op updates", arguments: StoreEngine.all)
    func serial(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let secret = try await store.createToken(org: "default", name: "serial", scope: .scim, actor: "test")
            var org = try await store.org(named: "default")
            let start = org.serial
            _ = try await store.authenticate(secret: secret, org: "default")
            _ = try await store.users(org: org, lookup: .all)
            #expect(try await store.org(named: "default").serial == start)
            let user = try await store.createUser(org: org, draft: draft("s@example.com"), actor: "t")
            org = try await store.org(named: "default")
            #expect(org.serial == start + 1)
            let auditBefore = try await store.auditEntries(org: "default", since: nil, limit: 1000).count
            let same = try await store.updateUser(org: org, id: user.id, ifMatch: nil, actor: "t", method: "PUT") { _ in
                draft("s@example.com")
            }
            #expect(same.version == user.version)
            #expect(try await store.org(named: "default").serial == start + 1)
            #expect(try await store.auditEntries(org: "default", since: nil, limit: 1000).count == auditBefore,
                    "a write that changes nothing leaves no audit row")
            let changed = try await store.updateUser(org: org, id: user.id, ifMatch: user.etag, actor: "t",
                                                     method: "PATCH") { _ in
                draft("s@example.com", active: false)
            }
            #expect(changed.version == user.version + 1)
            #expect(changed.active == false)
            #expect(try await store.org(named: "default").serial == start + 2)
            await #expect(throws: StoreError.self) {
                _ = try await store.updateUser(org: org, id: user.id, ifMatch: user.etag, actor: "t", method: "PUT") { _ in
                    draft("s@example.com")
                }
            }
            try await store.deleteUser(org: org, id: user.id, ifMatch: nil, actor: "t")
            #expect(try await store.org(named: "default").serial == start + 3)
            // A policy change is a change too; a switch is not.
            var policy = org.policy
            policy.defaultShell = "/bin/zsh"
            _ = try await store.updateOrg("default", scimAPI: nil, provisioning: nil, policy: policy, force: false, actor: "test")
            #expect(try await store.org(named: "default").serial == start + 4)
            _ = try await store.updateOrg("default", scimAPI: false, provisioning: nil, policy: nil, force: false, actor: "test")
            #expect(try await store.org(named: "default").serial == start + 4)
            #expect(try await store.org(named: "default").scimAPI == false)
        }
    }

    @Test("If-Match names the current version or the write is refused and changes nothing", arguments: StoreEngine.all)
    func ifMatch(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let org = try await store.org(named: "default")
            let user = try await store.createUser(org: org, draft: draft("m@example.com"), actor: "t")
            let group = try await store.createGroup(org: org, draft: groupDraft("g", members: [user.id]), actor: "t")
            let serial = try await store.org(named: "default").serial
            await #expect(throws: StoreError.self) {
                try await store.deleteUser(org: org, id: user.id, ifMatch: "W/\"99\"", actor: "t")
            }
            await #expect(throws: StoreError.self) {
                try await store.deleteGroup(org: org, id: group.id, ifMatch: "W/\"99\"", actor: "t")
            }
            await #expect(throws: StoreError.self) {
                _ = try await store.updateGroup(org: org, id: group.id, ifMatch: "W/\"99\"", actor: "t", method: "PUT",
                                                readingMembers: false, answerWithMembers: true) { _ in
                    GroupChange(group: groupDraft("renamed"), membership: MembershipChange())
                }
            }
            #expect(try await store.org(named: "default").serial == serial)
            try await store.deleteGroup(org: org, id: group.id, ifMatch: "*", actor: "t")
            try await store.deleteUser(org: org, id: user.id, ifMatch: user.etag, actor: "t")
            #expect(try await store.org(named: "default").serial == serial + 2)
            await #expect(throws: StoreError.notFound("user \(user.id)")) { _ = try await store.user(org: org, id: user.id) }
        }
    }

    @Test("a caller's transform error passes through the store unchanged", arguments: StoreEngine.all)
    func transformErrors(engine: StoreEngine) async throws {
        struct Refused: Error, Equatable {}
        try await engine.withStore { store in
            let org = try await store.org(named: "default")
            let user = try await store.createUser(org: org, draft: draft("t@example.com"), actor: "t")
            await #expect(throws: Refused()) {
                _ = try await store.updateUser(org: org, id: user.id, ifMatch: nil, actor: "t", method: "PATCH") { _ in
                    throw Refused()
                }
            }
        }
    }

    @Test("userName is unique case-insensitively; explicit names, uids and homes are unique", arguments: StoreEngine.all)
    func uniqueness(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let org = try await store.org(named: "default")
            _ = try await store.createUser(org: org, draft: draft("ada@example.com", uid: 100_001), actor: "t")
            await #expect(throws: StoreError.self) {
                _ = try await store.createUser(org: org, draft: draft("ADA@example.com"), actor: "t")
            }
            await #expect(throws: StoreError.self) {
                _ = try await store.createUser(org: org, draft: draft("x@example.com", uid: 100_001), actor: "t")
            }
            await #expect(throws: StoreError.self) {
                _ = try await store.createUser(org: org, draft: draft("y@example.com", name: "ada"), actor: "t")
            }
            #expect(try await store.users(org: org, lookup: .all).count == 1)
            #expect(try await store.users(org: org, lookup: .userName("ADA@EXAMPLE.COM")).count == 1)
        }
    }

    @Test("a userName prefix finds the users it starts, case-insensitively, in creation order, at most the limit",
          arguments: StoreEngine.all)
    func userNamePrefix(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let org = try await store.org(named: "default")
            for name in ["ada@example.com", "Adam@example.com", "bob@example.com", "ad_x@example.com", "a%b@example.com"] {
                _ = try await store.createUser(org: org, draft: draft(name), actor: "t")
            }
            func names(_ prefix: String) async throws -> [String] {
                try await store.users(org: org, lookup: .userNamePrefix(prefix)).map(\.userName)
            }
            #expect(try await names("AD") == ["ada@example.com", "Adam@example.com", "ad_x@example.com"])
            #expect(try await names("ada") == ["ada@example.com", "Adam@example.com"])
            #expect(try await names("ad_") == ["ad_x@example.com"], "_ is a character, not a wildcard")
            #expect(try await names("a%") == ["a%b@example.com"], "% is a character, not a wildcard")
            #expect(try await names("zz").isEmpty)
            for n in 0..<(UserLookup.prefixLimit + 5) {
                _ = try await store.createUser(org: org, draft: draft("many\(n)@example.com"), actor: "t")
            }
            #expect(try await names("many").count == UserLookup.prefixLimit)
        }
    }

    @Test("concurrent writers never surface a locking error", arguments: StoreEngine.all)
    func concurrentWriters(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let org = try await store.org(named: "default")
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<32 {
                    group.addTask { _ = try await store.createUser(org: org, draft: draft("c\(i)@example.com"), actor: "t") }
                }
                try await group.waitForAll()
            }
            let users = try await store.users(org: org, lookup: .all)
            #expect(users.count == 32)
            #expect(Set(users.map(\.uid)).count == 32)
            #expect(try await store.org(named: "default").serial >= 32)
            let page = try await store.userPage(org: org, page: Page(startIndex: 31, count: 10))
            #expect(page.total == 32 && page.users.map(\.id) == users.suffix(2).map(\.id))
        }
    }

    @Test("turning provisioning off freezes the snapshot nodes receive; on again releases it", arguments: StoreEngine.all)
    func provisioningFreeze(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            var org = try await store.org(named: "default")
            _ = try await store.createUser(org: org, draft: draft("before@example.com"), actor: "t")
            #expect(try await store.frozenSnapshot(org: org) == nil)
            org = try await store.updateOrg("default", scimAPI: nil, provisioning: false, policy: nil, force: false, actor: "test")
            #expect(org.provisioning == false)
            #expect(try await store.liveETag(org: org) == nil)
            let frozen = try #require(try await store.frozenSnapshot(org: org))
            let frozenDocument = try SnapshotDocument.decode(frozen)
            #expect(frozenDocument.body.users.map(\.name) == ["before"])
            #expect(frozenDocument.body.serial == org.serial)
            // Writes are still accepted, but the frozen snapshot stays as it was.
            _ = try await store.createUser(org: org, draft: draft("after@example.com"), actor: "t")
            #expect(try await store.frozenSnapshot(org: org) == frozen)
            #expect(try await store.publishedDocument(org: org).digest == frozenDocument.digest)
            #expect(try await store.snapshot(org: org).body.users.map(\.name).sorted() == ["after", "before"])
            org = try await store.updateOrg("default", scimAPI: nil, provisioning: true, policy: nil, force: false, actor: "test")
            #expect(try await store.frozenSnapshot(org: org) == nil)
            let published = try await store.publishedSnapshot(org: org)
            #expect(published.etag == (try await store.liveETag(org: org)))
            #expect(published.serial == org.serial)
        }
    }

    @Test("store writes are audited in the same transaction, with the actor", arguments: StoreEngine.all)
    func audit(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let org = try await store.org(named: "default")
            let user = try await store.createUser(org: org, draft: draft("aud@example.com"), actor: "okta-x")
            try await store.deleteUser(org: org, id: user.id, ifMatch: nil, actor: "okta-x")
            try await store.audit(org: org, actor: "okta-x", method: "PATCH", resource: "Users/x", outcome: "400 refused")
            let entries = try await store.auditEntries(org: "default", since: nil, limit: 1000)
            #expect(entries.contains { $0.method == "POST" && $0.resource == "Users/\(user.id)" && $0.actor == "okta-x" })
            #expect(entries.contains { $0.method == "DELETE" && $0.resource == "Users/\(user.id)" })
            #expect(entries.contains { $0.method == "ORG CREATE" && $0.org == "default" })
            #expect(entries.last?.outcome == "400 refused")
            #expect(try await store.auditEntries(org: "default", since: nil, limit: 2).count == 2)
        }
    }
}

@Suite("IdentityStore: groups")
struct GroupContractTests {
    @Test("group members must be users of the org: groups and unknown ids are refused", arguments: StoreEngine.all)
    func flatGroups(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let org = try await store.org(named: "default")
            let user = try await store.createUser(org: org, draft: draft("m@example.com"), actor: "t")
            let group = try await store.createGroup(org: org, draft: groupDraft("one", members: [user.id, user.id]),
                                                    actor: "t")
            #expect(group.members.map(\.id) == [user.id])
            #expect(group.gid == 2_000_000)
            await #expect(throws: StoreError.self) {
                _ = try await store.createGroup(org: org, draft: groupDraft("two", members: [group.id]), actor: "t")
            }
            await #expect(throws: StoreError.self) {
                _ = try await store.createGroup(org: org, draft: groupDraft("three", members: ["nobody"]), actor: "t")
            }
            #expect(try await store.groups(org: org, lookup: .all, members: true).count == 1)
        }
    }

    @Test("member changes touch only what changes; a user's deletion gives its groups a new version",
          arguments: StoreEngine.all)
    func members(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let org = try await store.org(named: "default")
            var created: [String] = []
            for name in ["a", "b", "c"] {
                created.append(try await store.createUser(org: org, draft: draft("\(name)@example.com"), actor: "t").id)
            }
            let ids = created
            let group = try await store.createGroup(org: org, draft: groupDraft("team", members: [ids[0]]), actor: "t")
            let change = {
                var change = MembershipChange()
                change.add([ids[1], ids[2]])
                change.remove([ids[0]])
                return change
            }()
            let updated = try await store.updateGroup(org: org, id: group.id, ifMatch: group.etag, actor: "t",
                                                      method: "PATCH", readingMembers: false,
                                                      answerWithMembers: true) { current in
                GroupChange(group: groupDraft(current.displayName), membership: change)
            }
            #expect(Set(updated.members.map(\.id)) == [ids[1], ids[2]])
            #expect(updated.version == group.version + 1)
            #expect(try await store.user(org: org, id: ids[1]).groups.map(\.displayName) == ["team"])
            // Nothing to change: same version.
            let same = try await store.updateGroup(org: org, id: group.id, ifMatch: nil, actor: "t", method: "PATCH",
                                                   readingMembers: false, answerWithMembers: false) { current in
                var again = MembershipChange()
                again.add([ids[1]])
                return GroupChange(group: groupDraft(current.displayName), membership: again)
            }
            #expect(same.version == updated.version && same.members.isEmpty)
            try await store.deleteUser(org: org, id: ids[1], ifMatch: nil, actor: "t")
            let after = try await store.group(org: org, id: group.id, members: true)
            #expect(after.members.map(\.id) == [ids[2]])
            #expect(after.version == updated.version + 1)
            #expect(try await store.groups(org: org, lookup: .displayName("TEAM"), members: false).map(\.id) == [group.id])
            await #expect(throws: StoreError.self) {
                _ = try await store.createGroup(org: org, draft: groupDraft("Team"), actor: "t")
            }
        }
    }
}

@Suite("IdentityStore: change feed")
struct ChangeFeedContractTests {
    @Test("serials: the current serial first, then the new one after a change nodes see; not after a token",
          // Five minutes: the limit includes the first start of PostgreSQL's test cluster.
          .timeLimit(.minutes(5)), arguments: StoreEngine.all)
    func serials(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let org = try await store.org(named: "default")
            var feed = store.serials(org: "default").makeAsyncIterator()
            #expect(try await feed.next() == org.serial)
            _ = try await store.createToken(org: "default", name: "not-a-change", scope: .node, actor: "test")
            _ = try await store.createUser(org: org, draft: draft("feed@example.com"), actor: "t")
            #expect(try await feed.next() == org.serial + 1)
            await #expect(throws: StoreError.orgNotFound("nope")) {
                _ = try await store.serials(org: "nope").first { _ in true }
            }
        }
    }
}
