import Foundation
import NIOHTTP1
import SCIMProtocol
import SunkSnapshot
import SunkStore
import Testing

/// What nodes read: the snapshot (`sync`) and the nsscache-compatible node view of the same
/// published state.
@Suite("Node read API and snapshot")
struct NodeAPITests {
    static let posixGroupURN = "urn:sunk-bridge:params:scim:schemas:extension:posix:2.0:Group"

    /// ada (explicit ids, key), bob (allocated uid, deactivated), a non-exportable user, one group.
    func populate(_ server: TestServer) async throws -> (ada: String, bob: String, group: String) {
        let ada = try await server.post("/Users", userBody("ada.lovelace@example.com", posixName: "ada", uid: 100001,
                                                           extra: "\"sunkSshKeys\": [\"\(adaLaptopKey)\"]"))
        let bob = try await server.post("/Users", userBody("bob@example.com", extra: "\"sunkSshKeys\": [\"\(adaWorkstationKey)\"]"))
        let odd = try await server.post("/Users", userBody("Not.Valid@example.com"))
        try #require(ada.status == 201 && bob.status == 201 && odd.status == 201, "\(ada.text) \(bob.text) \(odd.text)")
        let group = try await server.post("/Groups", json("""
            {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "HPC Research (EU)",
             "members": [{"value": "\(ada.id!)"}, {"value": "\(bob.id!)"}]}
            """))
        try #require(group.status == 201, "\(group.text)")
        let off = try await server.patch("/Users/\(bob.id!)", json("""
            {"schemas": ["\(patchURN)"], "Operations": [{"op": "replace", "value": {"active": false}}]}
            """))
        try #require(off.status == 200, "\(off.text)")
        return (ada.id!, bob.id!, group.id!)
    }

    @Test("node/Users resolves every POSIX attribute; deactivated users are locked; node tokens work")
    func nodeUsers() async throws {
        try await withServer { server in
            let ids = try await populate(server)
            let reply = try await server.get("/node/Users", token: server.nodeToken)
            #expect(reply.status == 200)
            #expect(reply.isSCIMJSON)
            #expect(reply["totalResults"] == .int(2), "the user without a valid POSIX name is not in the node view")
            let users = Dictionary(uniqueKeysWithValues: reply.resources.map { ($0.id ?? "", $0) })
            let ada = try #require(users[ids.ada]?[coreWeaveURN])
            #expect(ada["sunkPosixUsername"] == .string("ada"))
            #expect(ada["sunkPosixUserId"] == .int(100001))
            #expect(ada["sunkPosixGroupId"] == .int(100001), "no primary gid → user-private group, gid = uid")
            #expect(ada["sunkPreferredHomeDirectory"] == .string("/home/ada"))
            #expect(ada["sunkLoginShell"] == .string("/bin/bash"))
            #expect(ada["sunkSshKeys"] == .array([.string(adaLaptopKey)]))
            let bob = try #require(users[ids.bob]?[coreWeaveURN])
            #expect(bob["sunkPosixUsername"] == .string("bob"))
            #expect(bob["sunkPosixUserId"] == .int(1_000_000), "allocated from the allocation range")
            #expect(bob["sunkLoginShell"] == .string("/usr/sbin/nologin"), "deactivated → locked")
            #expect(bob["sunkSshKeys"] == .array([]), "deactivated → no keys")

            let page = try await server.get("/node/Users?startIndex=2&count=1", token: server.nodeToken)
            #expect(page["itemsPerPage"] == .int(1))
            #expect(page["startIndex"] == .int(2))
            #expect(page["totalResults"] == .int(2))
        }
    }

    @Test("node/Groups: displayName is the POSIX name, members are POSIX names, gid in the extension")
    func nodeGroups() async throws {
        try await withServer { server in
            _ = try await populate(server)
            let reply = try await server.get("/node/Groups", token: server.nodeToken)
            #expect(reply.status == 200)
            let group = try #require(reply.resources.first)
            #expect(group["displayName"] == .string("hpc-research-eu"))
            // bob is deactivated (policy lock): locked users are in no supplementary group.
            #expect(group["members"] == .array([
                .object(["value": .string("ada"), "display": .string("ada")]),
            ]))
            #expect(group.at(Self.posixGroupURN, "gidNumber") == .int(2_000_000))
            #expect(group.at(Self.posixGroupURN, "scimDisplayName") == .string("HPC Research (EU)"))
        }
    }

    @Test("the snapshot verifies, lists the skipped user with a reason, and answers 304 to its ETag")
    func snapshotETag() async throws {
        try await withServer { server in
            _ = try await populate(server)
            let first = try await server.get("/export/v1/snapshot", token: server.nodeToken)
            #expect(first.status == 200)
            let etag = try #require(first.headers.first(name: "ETag"))
            let trust = TrustedKeys(keys: try server.database.trustKeys(org: "default", includePrevious: false))
            let opened = try SnapshotOpening.open(Data(first.body), trust: trust, expectedOrg: "default")
            let document = opened.document
            try document.validated()
            #expect(first.headers.first(name: "Content-Type") == SignedSnapshot.mediaType)
            let instance = try await server.database.instanceID()
            #expect(opened.envelope?.instance == instance)
            #expect(etag.contains(instance), "the ETag names the database instance: \(etag)")
            #expect(document.body.users.map(\.name) == ["ada", "bob"])
            #expect(document.body.users.first { $0.name == "bob" }?.keys == [], "no keys for a deactivated user")
            #expect(document.body.skipped.count == 1)
            #expect(document.body.skipped.first?.reason.contains("sunkPosixUsername") == true)
            #expect(first.headers.first(name: "X-Sunk-Snapshot-Digest") == document.digest)

            let again = try await server.request(.GET, "/export/v1/snapshot", token: server.nodeToken,
                                                 headers: [("If-None-Match", etag)])
            #expect(again.status == 304)
            #expect(again.body.isEmpty)

            // A policy change is a change: new serial, new ETag.
            let org = try await server.database.org(named: "default")
            var policy = org.policy
            policy.keyOptions = "restrict"
            _ = try server.database.updateOrg("default", policy: policy)
            let changed = try await server.request(.GET, "/export/v1/snapshot", token: server.nodeToken,
                                                   headers: [("If-None-Match", etag)])
            #expect(changed.status == 200)
            #expect(changed.headers.first(name: "ETag") != etag)
        }
    }

    @Test("provisioning off: SCIM writes continue, nodes keep the frozen state; SCIM API off: nodes still read")
    func pausedProvisioning() async throws {
        try await withServer { server in
            let ids = try await populate(server)
            let before = try await server.get("/export/v1/snapshot", token: server.nodeToken)
            _ = try server.database.updateOrg("default", provisioning: false)
            let carol = try await server.post("/Users", userBody("carol@example.com", posixName: "carol"))
            #expect(carol.status == 201, "SCIM writes are still accepted while provisioning is paused")
            let frozen = try await server.get("/export/v1/snapshot", token: server.nodeToken)
            #expect(frozen.status == 200)
            #expect(frozen.body == before.body, "nodes are served the state published before the pause")
            let view = try await server.get("/node/Users", token: server.nodeToken)
            #expect(!view.resources.contains { $0.at(coreWeaveURN, "sunkPosixUsername") == .string("carol") })

            _ = try server.database.updateOrg("default", scimAPI: false, provisioning: true)
            let blocked = try await server.get("/Users/\(ids.ada)")
            #expect(blocked.status == 403)
            let live = try await server.get("/export/v1/snapshot", token: server.nodeToken)
            #expect(live.status == 200)
            let document = try SignedSnapshot.parse(Data(live.body)).decodeDocument()
            #expect(document.body.users.map(\.name).contains("carol"), "turning provisioning on publishes what arrived")
        }
    }

    @Test("node endpoints refuse missing and other-org tokens")
    func nodeAuth() async throws {
        try await withServer { server in
            let anonymous = try await server.request(.GET, "/export/v1/snapshot", authorize: false)
            #expect(anonymous.status == 401)
            _ = try server.database.createOrg("other")
            let foreign = try server.database.createToken(org: "other", name: "n", scope: .node)
            let wrongOrg = try await server.get("/node/Users", token: foreign)
            #expect(wrongOrg.status == 401)
        }
    }
}

@Suite("Snapshot signing keys")
struct SigningKeyTests {
    @Test("rotation: new key signs at once with a new serial; --all lists both; a node with only the old key refuses")
    func rotation() async throws {
        try await withServer { server in
            let old = try server.database.trustKeys(org: "default", includePrevious: true)
            #expect(old.count == 1)
            let before = try await server.get("/export/v1/snapshot", token: server.nodeToken)
            let serialBefore = try SignedSnapshot.parse(Data(before.body)).serial
            let new = try server.database.rotateSigningKey(org: "default")
            #expect(new.publicKey != old[0].publicKey)
            let both = try server.database.trustKeys(org: "default", includePrevious: true)
            #expect(both == [new, old[0]], "current first, then previous")
            let after = try await server.get("/export/v1/snapshot", token: server.nodeToken)
            let envelope = try SignedSnapshot.parse(Data(after.body))
            #expect(envelope.serial == serialBefore + 1, "rotation is a change nodes see")
            #expect(envelope.publicKey == new.publicKey)
            #expect(throws: Never.self) { try envelope.verify(trust: TrustedKeys(keys: both)) }
            #expect(throws: SnapshotError.self) { try envelope.verify(trust: TrustedKeys(keys: old)) }
            // A second rotation retires the first key.
            let third = try server.database.rotateSigningKey(org: "default")
            #expect(try server.database.trustKeys(org: "default", includePrevious: true) == [third, new])
            let audit = try server.database.auditEntries(org: "default", since: nil).map(\.method)
            #expect(audit.filter { $0 == "ORG ROTATE-SIGNING-KEY" }.count == 2)
        }
    }

    @Test("orgs have their own keys; each org's snapshot verifies only with its own")
    func perOrgKeys() async throws {
        try await withServer { server in
            _ = try server.database.createOrg("research")
            let a = try server.database.trustKeys(org: "default", includePrevious: false)
            let b = try server.database.trustKeys(org: "research", includePrevious: false)
            #expect(a.count == 1 && b.count == 1 && a[0].publicKey != b[0].publicKey)
            #expect(b[0].line.hasSuffix(" research"))
            let served = try SignedSnapshot.parse(try server.database.publishedSnapshot(org: "research").signed)
            #expect(throws: Never.self) { try served.verify(trust: TrustedKeys(keys: b)) }
            #expect(throws: SnapshotError.self) { try served.verify(trust: TrustedKeys(keys: a)) }
        }
    }
}

@Suite("RFC 9865 cursors on /Users and /Groups")
struct SCIMCursorTests {
    @Test("a cursor walk returns every user once; a change mid-walk answers expiredCursor, a forged cursor invalidCursor; advertised")
    func usersCursorWalk() async throws {
        try await withServer { server in
            var ids: [String] = []
            for i in 1...23 { ids.append(try await server.createUser(userBody("walker\(i)@example.com"))) }
            var seen: [String] = []
            var url = "/Users?count=5&cursor="
            var pages = 0
            while true {
                let page = try await server.get(url)
                try #require(page.status == 200, "\(page.text)")
                seen += page.resources.compactMap(\.id)
                pages += 1
                guard let next = page["nextCursor"]?.stringValue else { break }
                try #require(pages < 20)
                url = "/Users?count=5&cursor=\(next)"
            }
            #expect(pages == 5)
            #expect(Set(seen) == Set(ids) && seen.count == ids.count)

            let first = try await server.get("/Users?count=5&cursor=")
            let next = try #require(first["nextCursor"]?.stringValue)
            _ = try await server.createUser(userBody("late@example.com"))
            expectSCIMError(try await server.get("/Users?count=5&cursor=\(next)"), status: 400, scimType: "expiredCursor")
            expectSCIMError(try await server.get("/Users?count=5&cursor=1.5.AAAAAAAAAAAAAAAA"), status: 400,
                            scimType: "invalidCursor")
            let groups = try await server.get("/Groups?count=5&cursor=")
            #expect(groups.status == 200 && groups["nextCursor"] == nil)
            let config = try await server.get("/ServiceProviderConfig")
            #expect(config["pagination"]?["cursor"] == .bool(true))
            #expect(config["pagination"]?["index"] == .bool(true))
        }
    }
}
