import Foundation
import SCIMProtocol
import SunkStore
import Testing

@Suite("Concurrency")
struct ConcurrencyTests {
    @Test("16 concurrent creates of one userName: exactly one 201, fifteen 409, no 5xx")
    func sameUserName() async throws {
        try await withServer { server in
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for i in 0..<16 {
                    group.addTask {
                        // Same userName in different cases, each with its own uid.
                        let name = i % 2 == 0 ? "race@example.com" : "RACE@example.com"
                        return try await server.post("/Users", userBody(name, uid: 200_000 + i)).status
                    }
                }
                var all: [Int] = []
                for try await status in group { all.append(status) }
                return all
            }
            #expect(statuses.count == 16)
            #expect(statuses.filter { $0 == 201 }.count == 1)
            #expect(statuses.filter { $0 == 409 }.count == 15)
            #expect(!statuses.contains { $0 >= 500 })
            #expect(try await server.database.users(org: try server.org()).count == 1)
        }
    }

    @Test("16 concurrent creates of different users all succeed with distinct allocated uids")
    func distinctUsers() async throws {
        try await withServer { server in
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for i in 0..<16 {
                    group.addTask { try await server.post("/Users", userBody("user\(i)@example.com")).status }
                }
                var all: [Int] = []
                for try await status in group { all.append(status) }
                return all
            }
            #expect(statuses == Array(repeating: 201, count: 16))
            let users = try await server.database.users(org: try server.org())
            #expect(users.count == 16)
            #expect(Set(users.map(\.uid)) == Set((0..<16).map { UInt32(1_000_000 + $0) }))
        }
    }

    @Test("16 concurrent creates of one group displayName: exactly one 201, the rest 409")
    func sameGroupName() async throws {
        try await withServer { server in
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for i in 0..<16 {
                    group.addTask {
                        try await server.post("/Groups", json(#"{"displayName": "\#(i % 2 == 0 ? "Race" : "RACE")"}"#)).status
                    }
                }
                var all: [Int] = []
                for try await status in group { all.append(status) }
                return all
            }
            #expect(statuses.filter { $0 == 201 }.count == 1)
            #expect(statuses.filter { $0 == 409 }.count == 15)
            #expect(try await server.database.groups(org: try server.org()).count == 1)
        }
    }

    @Test("16 concurrent membership PATCHes on one group: the final membership has exactly the 16")
    func concurrentMembership() async throws {
        try await withServer { server in
            var users: [String] = []
            for i in 0..<16 { users.append(try await server.createUser(userBody("member\(i)@example.com"))) }
            let group = try await server.createGroup("parallel")
            let statuses = try await withThrowingTaskGroup(of: Int.self) { taskGroup in
                for user in users {
                    taskGroup.addTask {
                        try await server.patch("/Groups/\(group)", patchBody(
                            #"{"op": "add", "path": "members", "value": [{"value": \#(quoted(user))}]}"#)).status
                    }
                }
                var all: [Int] = []
                for try await status in taskGroup { all.append(status) }
                return all
            }
            #expect(statuses.allSatisfy { $0 == 200 || $0 == 204 }, "\(statuses)")
            #expect(try await server.memberIDs(group) == users.sorted())
        }
    }

    @Test("16 concurrent key additions on one user lose nothing")
    func concurrentUserPatches() async throws {
        try await withServer { server in
            let id = try await server.createUser(userBody("keys@example.com"))
            let keys = (1...16).map { Keys.ed25519(UInt8($0), comment: "k\($0)") }
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for key in keys {
                    group.addTask {
                        try await server.patch("/Users/\(id)", patchBody(
                            #"{"op": "add", "path": "\#(coreWeaveURN):sunkSshKeys", "value": [\#(quoted(key))]}"#)).status
                    }
                }
                var all: [Int] = []
                for try await status in group { all.append(status) }
                return all
            }
            #expect(statuses == Array(repeating: 200, count: 16))
            let stored = try #require(try await server.database.users(org: try server.org()).first)
            #expect(Set(stored.keys) == Set(keys))
        }
    }

    @Test("concurrent removes and adds on one group lose nothing")
    func concurrentMixed() async throws {
        try await withServer { server in
            var users: [String] = []
            for i in 0..<12 { users.append(try await server.createUser(userBody("mix\(i)@example.com"))) }
            let group = try await server.createGroup("mixed", members: Array(users.prefix(6)))
            let statuses = try await withThrowingTaskGroup(of: Int.self) { taskGroup in
                for (i, user) in users.enumerated() {
                    taskGroup.addTask {
                        let op = i < 6
                            ? #"{"op": "remove", "path": "members[value eq \"\#(user)\"]"}"#
                            : #"{"op": "add", "path": "members", "value": [{"value": \#(quoted(user))}]}"#
                        return try await server.patch("/Groups/\(group)", patchBody(op)).status
                    }
                }
                var all: [Int] = []
                for try await status in taskGroup { all.append(status) }
                return all
            }
            #expect(!statuses.contains { $0 >= 500 })
            #expect(try await server.memberIDs(group) == Array(users.suffix(6)).sorted())
        }
    }
}

@Suite("Durability and audit")
struct DurabilityTests {
    @Test("a restart on the same database keeps every acknowledged write")
    func restart() async throws {
        let first = try await TestServer.start()
        var acknowledged: [String: JSONValue] = [:]
        do {
            for i in 0..<5 {
                let reply = try await first.post("/Users", i == 0 ? Fixtures.oktaCreateUser : userBody("keep\(i)@example.com"))
                try #require(reply.status == 201)
                acknowledged[try #require(reply.id)] = reply.json
            }
            let groupID = try await first.createGroup("survivors", members: Array(acknowledged.keys))
            let deleted = try await first.createUser(userBody("gone@example.com"))
            #expect(try await first.delete("/Users/\(deleted)").status == 204)
            let uidsBefore = Dictionary(uniqueKeysWithValues: try await first.database.users(org: try first.org()).map { ($0.id, $0.uid) })
            await first.stop()

            let second = try await TestServer.start(databasePath: first.databasePath)
            do {
                let users = try await second.allUsers()
                #expect(Set(users.compactMap(\.id)) == Set(acknowledged.keys))
                for user in users {
                    let id = try #require(user.id)
                    var expected = try #require(acknowledged[id]?.objectValue)
                    var actual = try #require(user.objectValue)
                    // Only the base URL (a new port) and the computed groups differ.
                    for key in ["meta", "groups"] { expected[key] = nil; actual[key] = nil }
                    #expect(JSONValue.object(actual) == JSONValue.object(expected))
                    #expect(user.at("meta", "version") == acknowledged[id]?.at("meta", "version"))
                }
                let uidsAfter = Dictionary(uniqueKeysWithValues: try await second.database.users(org: try second.org()).map { ($0.id, $0.uid) })
                #expect(uidsAfter == uidsBefore)
                #expect(try await second.memberIDs(groupID) == acknowledged.keys.sorted())
                expectSCIMError(try await second.get("/Users/\(deleted)"), status: 404)
                // The allocation cursor survived: the deleted user's uid is not handed out again.
                let next = try await second.createUser(userBody("next@example.com"))
                let nextUID = try await second.database.users(org: try second.org()).first { $0.id == next }?.uid
                #expect(nextUID == 1_000_005)
            } catch { await second.finish(); throw error }
            await second.finish()
        } catch { await first.finish(); throw error }
    }

    @Test("every write appends an audit row, refused writes included")
    func audit() async throws {
        try await withServer { server in
            let since = Date(timeIntervalSinceNow: -5).formatted(.iso8601)
            let before = try server.database.auditEntries(org: "default", since: since).count
            let id = try await server.createUser(userBody("audited@example.com"))
            #expect(try await server.patch("/Users/\(id)", Fixtures.oktaDeactivate).status == 200)
            #expect(try await server.put("/Users/\(id)", userBody("audited@example.com")).status == 200)
            let group = try await server.createGroup("audited-group", members: [id])
            #expect(try await server.patch("/Groups/\(group)", Fixtures.oktaGroupReplaceEmpty).status == 200)
            #expect(try await server.delete("/Groups/\(group)").status == 204)
            // Refused: a duplicate, a hostile value, a nested member.
            #expect(try await server.post("/Users", userBody("AUDITED@example.com")).status == 409)
            #expect(try await server.post("/Users", userBody("bad@example.com", posixName: "root")).status == 400)
            #expect(try await server.delete("/Users/\(id)").status == 204)

            let entries = Array(try server.database.auditEntries(org: "default", since: since).dropFirst(before))
            let summary = entries.map { "\($0.method) \($0.resource) \($0.outcome)" }
            #expect(entries.count == 9, "\(summary)")
            #expect(entries.allSatisfy { $0.actor.hasPrefix("okta-") }, "the token name is the actor")
            #expect(entries.filter { $0.method == "POST" && $0.resource == "Users/\(id)" }.count == 1)
            #expect(entries.contains { $0.method == "PATCH" && $0.resource == "Users/\(id)" })
            #expect(entries.contains { $0.method == "PUT" && $0.resource == "Users/\(id)" })
            #expect(entries.contains { $0.method == "POST" && $0.resource == "Groups/\(group)" })
            #expect(entries.contains { $0.method == "PATCH" && $0.resource == "Groups/\(group)" })
            #expect(entries.contains { $0.method == "DELETE" && $0.resource == "Groups/\(group)" })
            #expect(entries.contains { $0.method == "DELETE" && $0.resource == "Users/\(id)" })
            #expect(entries.contains { $0.outcome.hasPrefix("409") }, "a refused duplicate is audited")
            #expect(entries.contains { $0.outcome.hasPrefix("400") && $0.outcome.contains("sunkPosixUsername") })
            #expect(entries.allSatisfy { (try? Date($0.at, strategy: .iso8601)) != nil })
        }
    }

    @Test("reads are not audited and do not bump the change serial; writes do")
    func serial() async throws {
        try await withServer { server in
            let start = try server.org().serial
            let auditStart = try server.database.auditEntries(org: "default", since: nil).count
            for _ in 0..<3 { #expect(try await server.get("/Users").status == 200) }
            #expect(try server.org().serial == start)
            #expect(try server.database.auditEntries(org: "default", since: nil).count == auditStart)
            let id = try await server.createUser(userBody("serial@example.com"))
            let afterCreate = try server.org().serial
            #expect(afterCreate > start)
            // An update that changes nothing is not a change.
            #expect(try await server.put("/Users/\(id)", userBody("serial@example.com")).status == 200)
            #expect(try server.org().serial == afterCreate)
            #expect(try await server.patch("/Users/\(id)", Fixtures.oktaDeactivate).status == 200)
            #expect(try server.org().serial > afterCreate)
        }
    }
}
