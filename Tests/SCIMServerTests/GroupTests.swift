import Foundation
import SCIMProtocol
import SunkModel
import SunkSnapshot
import SunkStore
import Testing

@Suite("Groups")
struct GroupTests {
    @Test("POST, GET, list by displayName (case-insensitive), PUT, DELETE")
    func crud() async throws {
        try await withServer { server in
            let ada = try await server.createUser(userBody("ada@example.com"))
            let bob = try await server.createUser(userBody("bob@example.com"))
            let created = try await server.post("/Groups", json("""
                {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "HPC Research (EU)",
                 "externalId": "okta-00g1", "members": [{"value": \(quoted(ada))}]}
                """))
            #expect(created.status == 201)
            #expect(created.isSCIMJSON)
            let id = try #require(created.id)
            let location = try #require(created.json?.at("meta", "location")?.stringValue)
            #expect(location == server.scimURL + "/Groups/" + id)
            #expect(created.headers.first(name: "Location") == location)
            #expect(created.headers.first(name: "ETag") == created.json?.at("meta", "version")?.stringValue)
            #expect(created.json?.at("meta", "resourceType") == .string("Group"))
            #expect(created["displayName"] == .string("HPC Research (EU)"))
            let members = created["members"]?.arrayValue ?? []
            #expect(members.count == 1)
            #expect(members.first?["value"] == .string(ada))
            #expect(members.first?["display"] == .string("ada@example.com"))

            let read = try await server.get("/Groups/\(id)")
            #expect(read.status == 200)
            #expect(read.json == created.json)

            for filter in [#"displayName eq "hpc research (eu)""#, #"DISPLAYNAME eq "HPC RESEARCH (EU)""#,
                           #"externalId eq "okta-00g1""#, #"members eq "\#(ada)""#, #"displayName sw "HPC""#] {
                let encoded = try #require(filter.addingPercentEncoding(withAllowedCharacters: .alphanumerics))
                let list = try await server.get("/Groups?filter=\(encoded)")
                #expect(list.status == 200)
                #expect(list.resources.compactMap(\.id) == [id], "\(filter)")
                #expect(list["totalResults"] == .int(1))
            }
            let none = try await server.get("/Groups?filter=displayName%20eq%20%22nothing%22")
            #expect(none["totalResults"] == .int(0))
            expectSCIMError(try await server.get("/Groups?filter=displayName%20zz%20%22x%22"), status: 400,
                            scimType: "invalidFilter")

            let stored = try #require(try await server.database.groups(org: try server.org()).first)
            #expect(stored.posixName == "hpc-research-eu")

            let put = try await server.put("/Groups/\(id)", json("""
                {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "id": "ignored", "displayName": "HPC Research (EU)",
                 "members": [{"value": \(quoted(bob))}]}
                """))
            #expect(put.status == 200, "\(put.text)")
            #expect(put.id == id)
            #expect(try await server.memberIDs(id) == [bob])
            #expect(put["externalId"] == nil, "PUT replaces")

            let deleted = try await server.delete("/Groups/\(id)")
            #expect(deleted.status == 204)
            expectSCIMError(try await server.get("/Groups/\(id)"), status: 404)
            expectSCIMError(try await server.delete("/Groups/\(id)"), status: 404)
            // The members are untouched users.
            #expect(try await server.get("/Users/\(ada)").status == 200)
        }
    }

    @Test("excludedAttributes=members on GET and on a filtered list (Entra's query)")
    func excludedMembers() async throws {
        try await withServer { server in
            let ada = try await server.createUser(userBody("ada@example.com"))
            let id = try await server.createGroup("Engineers", members: [ada])
            let one = try await server.get("/Groups/\(id)?excludedAttributes=members")
            #expect(one.status == 200)
            #expect(one["members"] == nil)
            #expect(one["displayName"] == .string("Engineers"))
            let list = try await server.get("/Groups?excludedAttributes=members&filter=displayName%20eq%20%22Engineers%22")
            #expect(list.resources.count == 1)
            #expect(list.resources.first?["members"] == nil)
            #expect(list.resources.first?["id"] == .string(id))
            let only = try await server.get("/Groups?attributes=displayName")
            #expect(only.resources.first?["members"] == nil)
            #expect(only.resources.first?["displayName"] == .string("Engineers"))
        }
    }

    @Test("displayName is unique case-insensitively (409)")
    func uniqueDisplayName() async throws {
        try await withServer { server in
            let first = try await server.createGroup("Research")
            let dup = try await server.post("/Groups", json(#"{"displayName": "RESEARCH", "members": []}"#))
            expectSCIMError(dup, status: 409, scimType: "uniqueness", detailContains: ["displayName"])
            let other = try await server.createGroup("Other")
            let rename = try await server.patch("/Groups/\(other)", Fixtures.oktaGroupRename(id: other, to: "research"))
            expectSCIMError(rename, status: 409, scimType: "uniqueness")
            let groups = try await server.get("/Groups")
            #expect(groups["totalResults"] == .int(2))
            #expect(try await server.get("/Groups/\(first)")["displayName"] == .string("Research"))
            #expect(try await server.get("/Groups/\(other)")["displayName"] == .string("Other"))
        }
    }

    @Test("two displayNames that map to one POSIX name: the second is 409 and not exported twice")
    func posixNameCollision() async throws {
        try await withServer { server in
            let first = try await server.createGroup("HPC Research")
            let reply = try await server.post("/Groups", json(#"{"displayName": "hpc-research", "members": []}"#))
            expectSCIMError(reply, status: 409, scimType: "uniqueness", detailContains: ["hpc-research"])
            let other = try await server.post("/Groups", json(#"{"displayName": "HPC  Research!", "members": []}"#))
            expectSCIMError(other, status: 409, scimType: "uniqueness")
            let groups = try await server.database.groups(org: try server.org())
            #expect(groups.map(\.id) == [first])
            #expect(groups.map(\.posixName) == ["hpc-research"])
            let snapshotGroups = try await server.database.snapshot(org: try server.org()).body.groups
            #expect(snapshotGroups.filter { $0.name == "hpc-research" }.count == 1)
        }
    }

    @Test("any displayName maps to a valid POSIX name", arguments: [
        ("HPC Research (EU)", "hpc-research-eu"), ("2027 Team", "g2027-team"), ("!!!", "g"), ("Équipe Α", "quipe"),
        ("a_b--c", "a_b-c"),
    ])
    func derivedNames(_ displayName: String, _ expected: String) async throws {
        try await withServer { server in
            let reply = try await server.post("/Groups", json("{\"displayName\": \(quoted(displayName))}"))
            #expect(reply.status == 201, "\(reply.text)")
            #expect(reply["displayName"] == .string(displayName))
            #expect(try await server.database.groups(org: try server.org()).first?.posixName == expected)
        }
    }

    @Test("a long displayName is truncated with a hash suffix, and two long names stay distinct")
    func longNames() async throws {
        try await withServer { server in
            let base = "Research Computing Infrastructure Team"
            try await server.createGroup(base + " Europe")
            try await server.createGroup(base + " America")
            let names = try await server.database.groups(org: try server.org()).map(\.posixName)
            #expect(names.count == 2)
            #expect(Set(names).count == 2)
            #expect(names.allSatisfy { $0.utf8.count <= 32 && $0.hasPrefix("research-computing") })
        }
    }

    @Test("reserved group names are 409 with a detail telling to rename", arguments: [
        "sudo", "Docker", "root", "wheel", "ADM", "admin", "shadow", "Sudo!",
    ])
    func reservedNames(_ name: String) async throws {
        try await withServer { server in
            let reply = try await server.post("/Groups", json("{\"displayName\": \(quoted(name)), \"members\": []}"))
            expectSCIMError(reply, status: 409, detailContains: ["rename"])
            #expect(try await server.database.groups(org: try server.org()).isEmpty)
            // Renaming an existing group onto a reserved name is refused too.
            let id = try await server.createGroup("harmless")
            let rename = try await server.patch("/Groups/\(id)", Fixtures.oktaGroupRename(id: id, to: name))
            expectSCIMError(rename, status: 409, detailContains: ["rename"])
            #expect(try await server.get("/Groups/\(id)")["displayName"] == .string("harmless"))
        }
    }

    @Test("the legacy console preset reserves metrics, read, write and billing_viewer")
    func legacyConsolePreset() async throws {
        try await withServer { server in
            #expect(try await server.post("/Groups", json(#"{"displayName": "metrics"}"#)).status == 201)
            var policy = try server.org().policy
            policy.reserveLegacyConsoleGroups = true
            // The stored group "metrics" would be refused by the new policy: refused unless forced.
            #expect(throws: StoreError.self) { try server.database.updateOrg("default", policy: policy) }
            _ = try server.database.updateOrg("default", policy: policy, force: true)
            for name in ["billing_viewer", "Read", "write"] {
                let reply = try await server.post("/Groups", json("{\"displayName\": \(quoted(name))}"))
                expectSCIMError(reply, status: 409, detailContains: ["rename"])
            }
            #expect(try await server.database.groups(org: try server.org()).count == 1)
        }
    }

    @Test("a reserved name can be mapped to another POSIX name by configuration")
    func mappedName() async throws {
        try await withServer { server in
            var policy = try server.org().policy
            policy.groupNameMappings = ["docker": "docker-users"]
            _ = try server.database.updateOrg("default", policy: policy)
            let reply = try await server.post("/Groups", json(#"{"displayName": "Docker"}"#))
            #expect(reply.status == 201, "\(reply.text)")
            #expect(try await server.database.groups(org: try server.org()).first?.posixName == "docker-users")
        }
    }

    @Test("a nested group or an unknown member is 400 invalidValue naming it, and nothing changes")
    func nestedRefused() async throws {
        try await withServer { server in
            let ada = try await server.createUser(userBody("ada@example.com"))
            let bob = try await server.createUser(userBody("bob@example.com"))
            let inner = try await server.createGroup("inner")
            let outer = try await server.createGroup("outer", members: [ada])
            let before = try #require(try await server.get("/Groups/\(outer)").json)
            let unknown = "00000000-dead-beef-0000-000000000000"
            for bad in [inner, unknown] {
                let member = "{\"value\": \(quoted(bad))}"
                let attempts: [JSONValue] = [
                    patchBody(#"{"op": "add", "path": "members", "value": [\#(member)]}"#),
                    patchBody(#"{"op": "add", "path": "members", "value": [{"value": \#(quoted(bob))}]}"#,
                              #"{"op": "add", "path": "members", "value": [\#(member)]}"#),
                    patchBody(#"{"op": "remove", "path": "members[value eq \"\#(ada)\"]"}"#,
                              #"{"op": "add", "path": "members", "value": [\#(member)]}"#),
                    patchBody(#"{"op": "replace", "path": "members", "value": [{"value": \#(quoted(bob))}, \#(member)]}"#),
                    patchBody(#"{"op": "replace", "value": {"displayName": "renamed", "members": [\#(member)]}}"#),
                ]
                for attempt in attempts {
                    let reply = try await server.patch("/Groups/\(outer)", attempt)
                    expectSCIMError(reply, status: 400, scimType: "invalidValue", detailContains: [bad])
                    #expect(try await server.get("/Groups/\(outer)").json == before, "a refused PATCH changed the group")
                }
                let put = try await server.put("/Groups/\(outer)", json(
                    #"{"displayName": "outer", "members": [{"value": \#(quoted(bob))}, \#(member)]}"#))
                expectSCIMError(put, status: 400, scimType: "invalidValue", detailContains: [bad])
                #expect(try await server.get("/Groups/\(outer)").json == before)
                let post = try await server.post("/Groups", json(#"{"displayName": "new-\#(bad.prefix(4))", "members": [\#(member)]}"#))
                expectSCIMError(post, status: 400, scimType: "invalidValue", detailContains: [bad])
            }
            let all = try await server.database.groups(org: try server.org())
            #expect(all.count == 2)
            #expect(try await server.memberIDs(inner) == [])
        }
    }

    @Test("a user's groups attribute lists its groups and is read-only")
    func userGroups() async throws {
        try await withServer { server in
            let ada = try await server.createUser(userBody("ada@example.com"))
            let a = try await server.createGroup("alpha", members: [ada])
            let b = try await server.createGroup("beta", members: [ada])
            let user = try await server.get("/Users/\(ada)")
            let groups = user["groups"]?.arrayValue ?? []
            #expect(Set(groups.compactMap { $0["value"]?.stringValue }) == [a, b])
            #expect(Set(groups.compactMap { $0["display"]?.stringValue }) == ["alpha", "beta"])
            #expect(groups.allSatisfy { $0["$ref"]?.stringValue?.hasPrefix(server.scimURL + "/Groups/") == true })
            let filtered = try await server.get("/Users?filter=groups.value%20eq%20%22\(a)%22")
            #expect(filtered.resources.compactMap(\.id) == [ada])

            let before = try await server.stableUser(ada)
            let patch = try await server.patch("/Users/\(ada)", patchBody(
                #"{"op": "add", "path": "groups", "value": [{"value": \#(quoted(b))}]}"#))
            expectSCIMError(patch, status: 400, scimType: "mutability")
            let remove = try await server.patch("/Users/\(ada)", patchBody(#"{"op": "remove", "path": "groups"}"#))
            expectSCIMError(remove, status: 400, scimType: "mutability")
            #expect(try await server.stableUser(ada) == before)
            // A PUT carrying groups ignores them: membership is managed through /Groups.
            var body = try #require(userBody("ada@example.com").objectValue)
            body["groups"] = json(#"[{"value": "something-else"}]"#)
            #expect(try await server.put("/Users/\(ada)", .object(body)).status == 200)
            #expect(Set((try await server.get("/Users/\(ada)")["groups"]?.arrayValue ?? []).compactMap { $0["value"]?.stringValue }) == [a, b])
            // Leaving a group shows at once.
            #expect(try await server.patch("/Groups/\(a)", Fixtures.oktaGroupReplaceEmpty).status == 200)
            #expect((try await server.get("/Users/\(ada)")["groups"]?.arrayValue ?? []).compactMap { $0["value"]?.stringValue } == [b])
        }
    }

    @Test("group gids are allocated from 2000000 and never reused after a delete")
    func gidAllocation() async throws {
        try await withServer { server in
            let a = try await server.createGroup("g-one")
            let b = try await server.createGroup("g-two")
            func gid(_ id: String) throws -> UInt32? {
                try server.database.groups(org: try server.org()).first { $0.id == id }?.gid
            }
            #expect(try gid(a) == 2_000_000)
            #expect(try gid(b) == 2_000_001)
            #expect(try await server.delete("/Groups/\(b)").status == 204)
            let c = try await server.createGroup("g-two")
            #expect(try gid(c) == 2_000_002)
            // A rename keeps the gid.
            #expect(try await server.patch("/Groups/\(a)", Fixtures.oktaGroupRename(id: a, to: "g-renamed")).status == 200)
            #expect(try gid(a) == 2_000_000)
            #expect(try await server.database.groups(org: try server.org()).first { $0.id == a }?.posixName == "g-renamed")
        }
    }

    @Test("Okta Group Push: lookup, create, add, remove+add, rename, replace, empty, delete")
    func oktaGroupPush() async throws {
        try await withServer { server in
            let ada = try await server.createUser(Fixtures.oktaCreateUser)
            let grace = try await server.createUser(userBody("grace@example.com"))
            let alan = try await server.createUser(userBody("alan@example.com"))

            // Lookup before create.
            let lookup = "/Groups?filter=displayName%20eq%20%22hpc-research%22"
            let absent = try await server.get(lookup)
            #expect(absent.status == 200)
            #expect(absent["totalResults"] == .int(0))
            #expect(absent.resources.isEmpty)

            // Create (fixture 05).
            let created = try await server.post("/Groups", Fixtures.oktaGroupCreate)
            #expect(created.status == 201)
            let id = try #require(created.id)
            #expect(created["members"] == .array([]) || created["members"] == nil)
            #expect(try await server.get(lookup).resources.compactMap(\.id) == [id])

            // Add.
            let add = try await server.patch("/Groups/\(id)", patchBody(
                #"{"op": "add", "path": "members", "value": [{"value": \#(quoted(grace)), "display": "grace@example.com"}]}"#))
            #expect(add.status == 200 || add.status == 204)
            #expect(try await server.memberIDs(id) == [grace])

            // Remove + add in one request (fixture 06): grace out, ada in.
            let swap = try await server.patch("/Groups/\(id)", Fixtures.oktaGroupMembers(remove: grace, add: ada))
            #expect(swap.status == 200 || swap.status == 204, "\(swap.text)")
            #expect(try await server.memberIDs(id) == [ada])

            // Removing someone who is not a member is a no-op, not an error.
            let again = try await server.patch("/Groups/\(id)", Fixtures.oktaGroupMembers(remove: grace, add: ada))
            #expect(again.status == 200 || again.status == 204)
            #expect(try await server.memberIDs(id) == [ada])

            // Rename (fixture 07): pathless, carries the read-only id, keeps the members.
            let rename = try await server.patch("/Groups/\(id)", Fixtures.oktaGroupRename(id: id))
            #expect(rename.status == 200 || rename.status == 204, "\(rename.text)")
            let renamed = try await server.get("/Groups/\(id)")
            #expect(renamed["displayName"] == .string("hpc-research-2027"))
            #expect(try await server.memberIDs(id) == [ada])
            #expect(try await server.database.groups(org: try server.org()).first?.posixName == "hpc-research-2027")
            #expect(try await server.get(lookup)["totalResults"] == .int(0))

            // Replace the members.
            let replace = try await server.patch("/Groups/\(id)", patchBody(
                #"{"op": "replace", "path": "members", "value": [{"value": \#(quoted(grace))}, {"value": \#(quoted(alan))}]}"#))
            #expect(replace.status == 200 || replace.status == 204)
            #expect(try await server.memberIDs(id) == [grace, alan].sorted())

            // Empty (fixture 08).
            let empty = try await server.patch("/Groups/\(id)", Fixtures.oktaGroupReplaceEmpty)
            #expect(empty.status == 200 || empty.status == 204)
            #expect(try await server.memberIDs(id) == [])
            #expect(try await server.get("/Users/\(ada)")["groups"] == nil)

            // Unlink with delete.
            let deleted = try await server.delete("/Groups/\(id)")
            #expect(deleted.status == 204)
            #expect(try await server.get("/Groups")["totalResults"] == .int(0))
            #expect(try await server.allUsers().count == 3, "deleting a group never deletes users")
        }
    }

    @Test("Entra group session: Microsoft URN tolerated, Add with $ref null, re-add, legacy Remove with a value list")
    func entraGroupSession() async throws {
        try await withServer { server in
            let u1 = try await server.createUser(userBody("one@example.com"))
            let u2 = try await server.createUser(userBody("two@example.com"))
            let u3 = try await server.createUser(userBody("three@example.com"))
            let created = try await server.post("/Groups", json("""
                {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group",
                             "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
                 "externalId": "8aa1-entra", "displayName": "Entra Team", "members": []}
                """))
            #expect(created.status == 201, "\(created.text)")
            let id = try #require(created.id)
            #expect(created["schemas"] == .array([.string("urn:ietf:params:scim:schemas:core:2.0:Group")]))

            let lookup = try await server.get("/Groups?excludedAttributes=members&filter=displayName%20eq%20%22Entra%20Team%22")
            #expect(lookup.resources.compactMap(\.id) == [id])

            let add = try await server.patch("/Groups/\(id)", patchBody(
                #"{"op": "Add", "path": "members", "value": [{"$ref": null, "value": \#(quoted(u1))}, {"$ref": null, "value": \#(quoted(u2))}, {"$ref": null, "value": \#(quoted(u3))}]}"#))
            #expect(add.status == 200 || add.status == 204, "\(add.text)")
            #expect(try await server.memberIDs(id) == [u1, u2, u3].sorted())

            // Re-adding an existing member does not duplicate it.
            let readd = try await server.patch("/Groups/\(id)", patchBody(
                #"{"op": "Add", "path": "members", "value": [{"$ref": null, "value": \#(quoted(u1))}]}"#))
            #expect(readd.status == 200 || readd.status == 204)
            let members = try await server.get("/Groups/\(id)")["members"]?.arrayValue ?? []
            #expect(members.count == 3)

            // Legacy Remove with a value list (fixture 04): only the listed member goes.
            let remove = try await server.patch("/Groups/\(id)", Fixtures.entraRemoveMemberLegacy(u3))
            #expect(remove.status == 200 || remove.status == 204, "\(remove.text)")
            #expect(try await server.memberIDs(id) == [u1, u2].sorted())

            // Replace displayName (PascalCase) with the Microsoft URN in the PATCH's resource schemas.
            let rename = try await server.patch("/Groups/\(id)", patchBody(
                #"{"op": "Replace", "path": "displayName", "value": "Entra Team 2"}"#))
            #expect(rename.status == 200 || rename.status == 204)
            #expect(try await server.get("/Groups/\(id)")["displayName"] == .string("Entra Team 2"))
            #expect(try await server.memberIDs(id) == [u1, u2].sorted())

            // A PUT with the Microsoft URN is tolerated too.
            let put = try await server.put("/Groups/\(id)", json("""
                {"schemas": ["http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
                 "displayName": "Entra Team 2", "members": [{"value": \(quoted(u2))}]}
                """))
            #expect(put.status == 200, "\(put.text)")
            #expect(try await server.memberIDs(id) == [u2])

            #expect(try await server.delete("/Groups/\(id)").status == 204)
        }
    }

    @Test("a deleted user leaves its groups")
    func deletedUserLeaves() async throws {
        try await withServer { server in
            let ada = try await server.createUser(userBody("ada@example.com"))
            let bob = try await server.createUser(userBody("bob@example.com"))
            let group = try await server.createGroup("team", members: [ada, bob])
            #expect(try await server.delete("/Users/\(ada)").status == 204)
            #expect(try await server.memberIDs(group) == [bob])
        }
    }

    @Test("groups: If-Match, unknown ids, pagination")
    func groupPreconditionsAndPaging() async throws {
        try await withServer { server in
            var ids: [String] = []
            for i in 0..<7 { ids.append(try await server.createGroup("team-\(i)")) }
            let created = try await server.get("/Groups/\(ids[0])")
            let etag = try #require(created.headers.first(name: "ETag"))
            let stale = try await server.request(.PATCH, "/Groups/\(ids[0])", json: Fixtures.oktaGroupRename(id: ids[0], to: "x1"),
                                                 headers: [("If-Match", "W/\"42\"")])
            expectSCIMError(stale, status: 412)
            #expect(try await server.get("/Groups/\(ids[0])")["displayName"] == .string("team-0"))
            let fresh = try await server.request(.PATCH, "/Groups/\(ids[0])", json: Fixtures.oktaGroupRename(id: ids[0], to: "x1"),
                                                 headers: [("If-Match", etag)])
            #expect(fresh.status == 200)
            let staleDelete = try await server.request(.DELETE, "/Groups/\(ids[0])", headers: [("If-Match", etag)])
            expectSCIMError(staleDelete, status: 412)

            expectSCIMError(try await server.patch("/Groups/nope", Fixtures.oktaGroupReplaceEmpty), status: 404)
            expectSCIMError(try await server.put("/Groups/nope", Fixtures.oktaGroupCreate), status: 404)
            expectSCIMError(try await server.get("/Groups/nope"), status: 404)

            var seen: [String] = []
            for start in stride(from: 1, through: 7, by: 3) {
                let page = try await server.get("/Groups?startIndex=\(start)&count=3")
                #expect(page["totalResults"] == .int(7))
                #expect(page["startIndex"] == .int(Int64(start)))
                #expect(page["itemsPerPage"] == .int(Int64(page.resources.count)))
                seen += page.resources.compactMap(\.id)
            }
            #expect(seen == ids)
        }
    }

    @Test("a missing displayName is 400 invalidValue")
    func missingDisplayName() async throws {
        try await withServer { server in
            let reply = try await server.post("/Groups", json(#"{"members": []}"#))
            expectSCIMError(reply, status: 400, scimType: "invalidValue", detailContains: ["displayName"])
        }
    }
}
