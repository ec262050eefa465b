import Foundation
import GRDB
import NIOHTTP1
import SCIMProtocol
import SunkStore
import Testing

/// Issue 10: large groups cost what the request costs, not what the group holds, and bounded
/// requests. Sizes here run in seconds (the quadratic code this replaces took minutes at them); the timings at 100k are in Benchmarks/large-groups.py.
@Suite("Large groups and request limits")
struct LargeGroupTests {
    @Test("an 8k-member group: create, add 2k, Okta and Entra removals, replace; other writers go on")
    func largeGroup() async throws {
        try await withServer(maxBodyBytes: 8 << 20) { server in
            let ids = try seedUsers(server, count: 11_000)
            let members = Array(ids[..<8_000])
            let group = try await server.createGroup("All employees", members: members + members.prefix(100))
            #expect(try await stored(server, group) == Set(members))

            // Add 5k while another client creates users: both succeed.
            let writer = Task { () async throws -> [Int] in
                var statuses: [Int] = []
                for i in 0..<10 { statuses.append(try await server.post("/Users", userBody("late\(i)@example.com")).status) }
                return statuses
            }
            let added = Array(ids[8_000..<10_000])
            let add = try await server.patch("/Groups/\(group)", memberPatch("add", added))
            #expect(add.status == 200, "\(add.text.prefix(300))")
            #expect(add["members"]?.arrayValue?.count == 10_000)
            #expect(try await writer.value == Array(repeating: 201, count: 10))

            // Okta: remove by filter and add in one request; Entra: remove a value list.
            let okta = try await server.patch("/Groups/\(group)", Fixtures.oktaGroupMembers(remove: ids[0], add: ids[10_000]))
            #expect(okta.status == 200)
            // Entra asks for groups without their members (GET and PATCH answers alike).
            let entra = try await server.request(.PATCH, "/Groups/\(group)?excludedAttributes=members",
                                                 json: Fixtures.entraRemoveMemberLegacy(ids[1], ids[2]))
            #expect(entra.status == 200)
            #expect(entra["members"] == nil)
            #expect(entra["displayName"] == .string("All employees"))
            let read = try await server.get("/Groups/\(group)?excludedAttributes=members")
            #expect(read["members"] == nil)
            #expect(read.json?.at("meta", "version") == entra.json?.at("meta", "version"))
            var expected = Set(members + added)
            expected.subtract(ids[0..<3])
            expected.insert(ids[10_000])
            #expect(try await stored(server, group) == expected)

            // An id that is no user refuses the whole request and changes nothing.
            let version = try await server.get("/Groups/\(group)?excludedAttributes=members").json?.at("meta", "version")
            let refused = try await server.patch("/Groups/\(group)", memberPatch("add", Array(ids[10_001...]) + ["nobody-1", "nobody-2"]))
            expectSCIMError(refused, status: 400, scimType: "invalidValue", detailContains: ["nobody-1", "1 other"])
            #expect(version != nil)
            #expect(try await server.get("/Groups/\(group)?excludedAttributes=members").json?.at("meta", "version") == version)
            #expect(try await stored(server, group) == expected)

            // Replace with a smaller list, then empty it.
            let replaced = try await server.patch("/Groups/\(group)", memberPatch("replace", Array(ids[..<10])))
            #expect(replaced["members"]?.arrayValue?.count == 10)
            #expect(try await server.patch("/Groups/\(group)", Fixtures.oktaGroupReplaceEmpty).status == 200)
            #expect(try await server.memberIDs(group).isEmpty)
            let snapshotGroups = try await server.database.groups(org: try server.org())
            #expect(snapshotGroups.first { $0.id == group }?.members.isEmpty == true)
        }
    }

    @Test("member operations compose in order, and a no-op PATCH writes nothing")
    func memberOperationsInOrder() async throws {
        try await withServer { server in
            let ids = try seedUsers(server, count: 4)
            let group = try await server.createGroup("ordered", members: [ids[0]])
            let composed = try await server.patch("/Groups/\(group)", patchBody(
                #"{"op": "replace", "path": "members", "value": [{"value": "\#(ids[1])"}, {"value": "\#(ids[2])"}]}"#,
                #"{"op": "add", "path": "members", "value": [{"value": "\#(ids[3])"}]}"#,
                #"{"op": "remove", "path": "members[value eq \"\#(ids[1])\"]"}"#,
                #"{"op": "replace", "value": {"displayName": "ordered-2", "members": [{"value": "\#(ids[2])"}, {"value": "\#(ids[3])"}, {"value": "\#(ids[0])"}]}}"#,
                #"{"op": "remove", "path": "members[value ne \"\#(ids[0])\"]"}"#))
            #expect(composed.status == 200, "\(composed.text)")
            #expect(composed["displayName"] == .string("ordered-2"))
            #expect(try await server.memberIDs(group) == [ids[0]])

            let before = try await server.get("/Groups/\(group)")
            let again = try await server.patch("/Groups/\(group)", memberPatch("add", [ids[0]]))
            #expect(again.status == 200)
            #expect(again.json?.at("meta", "version") == before.json?.at("meta", "version"))
            let absent = try await server.patch("/Groups/\(group)", Fixtures.entraRemoveMemberLegacy(ids[3]))
            #expect(absent.json?.at("meta", "version") == before.json?.at("meta", "version"))

            expectSCIMError(try await server.patch("/Groups/\(group)", patchBody(
                #"{"op": "add", "path": "members[value eq \"\#(ids[1])\"]", "value": {"value": "\#(ids[1])"}}"#)),
                status: 400, scimType: "invalidPath")
            expectSCIMError(try await server.patch("/Groups/\(group)", patchBody(
                #"{"op": "replace", "path": "displayName", "value": "x"}"#,
                #"{"op": "remove", "path": "members.value"}"#)),
                status: 400, scimType: "invalidPath", detailContains: ["Operation 2"])
            expectSCIMError(try await server.patch("/Groups/\(group)", patchBody(
                #"{"op": "add", "path": "members", "value": [{"display": "no value"}]}"#)),
                status: 400, scimType: "invalidValue", detailContains: ["value"])
            #expect(try await server.memberIDs(group) == [ids[0]])
        }
    }

    @Test("a PATCH carries at most 1,000 operations (400 tooMany), and nothing changes")
    func operationLimit() async throws {
        try await withServer(maxBodyBytes: 4 << 20) { server in
            let id = try await server.createUser(userBody("ops@example.com"))
            let one = #"{"op": "replace", "path": "displayName", "value": "Ops"}"#
            let accepted = try await server.patch("/Users/\(id)", json("""
                {"schemas": ["\(patchURN)"], "Operations": [\(Array(repeating: one, count: 1000).joined(separator: ","))]}
                """))
            #expect(accepted.status == 200)
            let email = { (n: Int) in #"{"op": "add", "path": "emails", "value": [{"value": "e\#(n)@example.com"}]}"# }
            let refused = try await server.patch("/Users/\(id)", json("""
                {"schemas": ["\(patchURN)"], "Operations": [\((0...1000).map(email).joined(separator: ","))]}
                """))
            expectSCIMError(refused, status: 400, scimType: "tooMany", detailContains: ["1001", "1000"])
            #expect(try await server.stableUser(id)["emails"] == nil)
        }
    }

    @Test("multi-valued core attributes hold at most 100 values (400 invalidValue naming it)",
          arguments: ["emails", "phoneNumbers", "addresses", "entitlements"])
    func valueLimit(attribute: String) async throws {
        try await withServer { server in
            func values(_ count: Int) -> String {
                (0..<count).map { n in attribute == "addresses" ? #"{"locality": "Town \#(n)"}"# : #"{"value": "v\#(n)@example.com"}"# }
                    .joined(separator: ",")
            }
            func body(_ count: Int) -> JSONValue {
                json("""
                    {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "many\(count)@example.com",
                     "\(attribute)": [\(values(count))]}
                    """)
            }
            expectSCIMError(try await server.post("/Users", body(101)), status: 400, scimType: "invalidValue",
                            detailContains: [attribute, "101", "100"])
            let id = try await server.createUser(body(100))
            #expect(try await server.stableUser(id)[attribute]?.arrayValue?.count == 100)
            let more = try await server.patch("/Users/\(id)", patchBody(
                #"{"op": "add", "path": "\#(attribute)", "value": [\#(attribute == "addresses" ? #"{"locality": "Elsewhere"}"# : #"{"value": "extra@example.com"}"#)]}"#))
            expectSCIMError(more, status: 400, scimType: "invalidValue", detailContains: [attribute])
            #expect(try await server.stableUser(id)[attribute]?.arrayValue?.count == 100)
            #expect(try await server.allUsers().count == 1)
        }
    }
}

/// The member ids the store holds for a group.
func stored(_ server: TestServer, _ group: String) async throws -> Set<String> {
    Set(try await server.database.group(org: try server.org(), id: group).members.map(\.id))
}

/// A PATCH with one member operation on `members` listing `ids`.
func memberPatch(_ op: String, _ ids: [String]) -> JSONValue {
    .object([
        "schemas": .array([.string(patchURN)]),
        "Operations": .array([.object(["op": .string(op), "path": .string("members"),
                                       "value": .array(ids.map { .object(["value": .string($0)]) })])]),
    ])
}

/// Inserts `count` valid users of org `default` straight into SQLite in one transaction (creating
/// thousands through HTTP would dominate the test); returns their ids in insertion order.
func seedUsers(_ server: TestServer, count: Int) throws -> [String] {
    let queue = try DatabaseQueue(path: server.databasePath)
    let org = try server.org()
    let now = "2026-12-01T00:00:00Z"
    return try queue.write { db in
        let start = try Int.fetchOne(db, sql: "SELECT count(*) FROM scimUser") ?? 0
        let insert = try db.makeStatement(sql: """
            INSERT INTO scimUser (id, orgID, userName, userNameKey, externalID, active, document, gecos, explicitName,
                posixName, explicitUID, allocatedUID, uid, explicitGID, gid, explicitHome, home, explicitShell, shell,
                keys, exportProblem, version, createdAt, modifiedAt)
            VALUES (?, ?, ?, ?, NULL, 1, ?, ?, NULL, ?, NULL, ?, ?, NULL, ?, NULL, ?, NULL, '/bin/bash', '[]', NULL, 1, ?, ?)
            """)
        var ids: [String] = []
        for n in start..<(start + count) {
            let id = UUID().uuidString.lowercased()
            let name = "seed\(n)"
            let document = #"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"\#(name)@example.com"}"#
            try insert.execute(arguments: [id, org.id, "\(name)@example.com", "\(name)@example.com", document, name, name,
                                           5_000_000 + n, 5_000_000 + n, 5_000_000 + n, "/home/\(name)", now, now])
            ids.append(id)
        }
        return ids
    }
}
