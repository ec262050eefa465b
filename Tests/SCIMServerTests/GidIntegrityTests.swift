import Foundation
import SCIMProtocol
import SunkModel
import SunkSnapshot
import SunkStore
import Testing

/// Issue 10: a user must never land in a group by sharing its gid. Through the real HTTP server, in
/// both orders, and what the published snapshot and the node view then say.
@Suite("gid integrity")
struct GidIntegrityTests {
    func snapshot(_ server: TestServer) async throws -> SnapshotBody {
        let reply = try await server.get("/export/v1/snapshot", token: server.nodeToken)
        try #require(reply.status == 200, "\(reply.text)")
        let trust = TrustedKeys(keys: try server.database.trustKeys(org: "default", includePrevious: false))
        let document = try SnapshotOpening.open(Data(reply.body), trust: trust, expectedOrg: "default").document
        try document.validated()
        return document.body
    }

    @Test("user first (uid 2000000, gid defaults to it), then a group: the group's gid skips 2000000")
    func userThenGroup() async throws {
        try await withServer { server in
            let ada = try await server.createUser(userBody("ada@example.com", posixName: "ada", uid: 2_000_000))
            // A user whose explicit primary gid is in the group allocation range is skipped too.
            let bob = try await server.createUser(userBody("bob@example.com", posixName: "bob", uid: 1_500_000,
                                                           extra: "\"sunkPosixGroupId\": 2000001"))
            let group = try await server.createGroup("Team")
            let reply = try await server.get("/node/Groups", token: server.nodeToken)
            let gid = reply.resources.first?.at(NodeAPITests.posixGroupURN, "gidNumber")
            #expect(gid == .int(2_000_002), "allocation skips 2000000 (ada's uid and primary gid) and 2000001 (bob's gid)")
            let body = try await snapshot(server)
            #expect(body.users.map(\.name) == ["ada", "bob"])
            #expect(body.groups.first?.gid == 2_000_002)
            #expect(body.groups.first?.members == [], "nobody is a member of the group by gid")
            #expect(body.skipped.isEmpty)
            _ = (ada, bob, group)
        }
    }

    @Test("group first (gid 2000000), then a user with uid 2000000 and no gid: stored, not exported, with the reason")
    func groupThenUser() async throws {
        try await withServer { server in
            _ = try await server.createGroup("Team")                   // gid 2000000
            let created = try await server.post("/Users", userBody("ada@example.com", posixName: "ada", uid: 2_000_000))
            #expect(created.status == 201, "the IdP's write succeeds: \(created.text)")
            // An explicit sunkPosixGroupId may name the group's gid: that group is the user's primary group.
            let bob = try await server.createUser(userBody("bob@example.com", posixName: "bob", uid: 1_500_001,
                                                           extra: "\"sunkPosixGroupId\": 2000000"))
            let body = try await snapshot(server)
            #expect(body.users.map(\.name) == ["bob"])
            #expect(body.users.first?.gid == 2_000_000)
            let skipped = try #require(body.skipped.first { $0.id == created.id })
            #expect(skipped.reason.contains("primary gid defaults to its uid 2000000, which is the gid of group team"),
                    "\(skipped.reason)")
            #expect(skipped.reason.contains("set sunkPosixGroupId"))
            let users = try await server.get("/node/Users", token: server.nodeToken)
            #expect(users.resources.compactMap { $0.id } == [bob])
            let refusals = try server.database.exportRefusals(org: try server.org())
            #expect(refusals.map(\.name) == ["ada"])

            // Setting an explicit gid fixes it: exported again.
            let fixed = try await server.patch("/Users/\(created.id!)", patchBody("""
                {"op": "replace", "path": "\(coreWeaveURN):sunkPosixGroupId", "value": 1500500}
                """))
            #expect(fixed.status == 200, "\(fixed.text)")
            let after = try await snapshot(server)
            #expect(after.users.map(\.name) == ["ada", "bob"])
            #expect(after.users.first?.gid == 1_500_500)
            #expect(after.skipped.isEmpty)
        }
    }

    @Test("an allocated uid skips a group's gid: its user-private gid would otherwise be that group's")
    func allocatedUIDSkipsGroupGID() async throws {
        try await withServer { server in
            _ = try await server.createGroup("Team")                   // gid 2000000
            var policy = try server.org().policy
            policy.allocatedUserIDRange = IDRange(lower: 2_000_000, upper: 2_099_999)
            policy.allocatedGroupIDRange = IDRange(lower: 2_100_000, upper: 2_999_999)
            _ = try server.database.updateOrg("default", policy: policy)
            let ada = try await server.post("/Users", userBody("ada@example.com", posixName: "ada"))
            #expect(ada.status == 201, "\(ada.text)")
            let body = try await snapshot(server)
            #expect(body.users.first?.uid == 2_000_001, "2000000 is the group's gid: skipped")
            #expect(body.users.first?.gid == 2_000_001)
            #expect(body.skipped.isEmpty)
        }
    }
}
