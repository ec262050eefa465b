import AsyncHTTPClient
import Foundation
import Synchronization
import NIOCore
import NIOHTTP1
import SCIMProtocol
import Testing
import TestSupport

// Two real `sunk-bridge serve` processes on one PostgreSQL database (the test process's
// PostgresCluster, a database of its own): what the IdP writes through one receiver, the other
// answers with, and nodes get the same snapshot from either.

@Suite("Several receivers on PostgreSQL", .tags(.e2e, .live), .timeLimit(.minutes(5)))
struct PostgresReceiversTests {
    @Test("writes spread over two receivers: one store, conflicts seen across them, the same snapshot from both")
    func twoReceivers() async throws {
        let binary = try Binaries.sunkBridge()
        try await PostgresCluster.shared().withDatabase { db in
            let (a, urlA) = try await receiver(binary, db, "A")
            defer { a.signal(SIGKILL) }
            let (b, urlB) = try await receiver(binary, db, "B")
            defer { b.signal(SIGKILL) }
            let scim = try await secret(binary, db, name: "okta", scope: "scim")
            let node = try await secret(binary, db, name: "nodes", scope: "node")
            let client = HTTPClient(eventLoopGroupProvider: .singleton)
            func call(_ base: String, _ method: HTTPMethod, _ path: String, _ body: JSONValue? = nil,
                      token: String = scim, ifMatch: String? = nil) async throws
                -> (status: Int, json: JSONValue?, etag: String?) {
                var request = HTTPClientRequest(url: base + path)
                request.method = method
                request.headers.add(name: "Authorization", value: "Bearer \(token)")
                if let ifMatch { request.headers.add(name: "If-Match", value: ifMatch) }
                if let body {
                    request.headers.add(name: "Content-Type", value: "application/scim+json")
                    request.body = .bytes(ByteBuffer(bytes: body.serialized()))
                }
                let response = try await client.execute(request, timeout: .seconds(60))
                let bytes = try await response.body.collect(upTo: 1 << 24)
                return (Int(response.status.code), try? JSONValue.parse(Array(bytes.readableBytesView)),
                        response.headers.first(name: "ETag"))
            }

            // Eight users, alternately through A and B, concurrently.
            let ids = try await withThrowingTaskGroup(of: String.self) { group in
                for i in 0..<8 {
                    group.addTask {
                        let reply = try await call(i % 2 == 0 ? urlA : urlB, .POST, "/scim/default/Users",
                                                   userBody("u\(i)@example.com"))
                        #expect(reply.status == 201, "\(String(describing: reply.json))")
                        return try #require(reply.json?["id"]?.stringValue)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            // Okta's existence check through the other receiver finds a user created through A.
            let found = try await call(urlB, .GET, "/scim/default/Users?filter=userName%20eq%20%22u0@example.com%22")
            #expect(found.json?["Resources"]?.arrayValue?.count == 1, "\(String(describing: found.json))")
            // A conflict is a conflict whichever receiver holds the first write.
            let again = try await call(urlB, .POST, "/scim/default/Users", userBody("U0@example.com"))
            #expect(again.status == 409, "\(String(describing: again.json))")
            // A group created through A, changed through B, read through A.
            let group = try await call(urlA, .POST, "/scim/default/Groups", json("""
                {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "team",
                 "members": [\(ids.map { "{\"value\": \"\($0)\"}" }.joined(separator: ","))]}
                """))
            #expect(group.status == 201)
            let groupID = try #require(group.json?["id"]?.stringValue)
            let patched = try await call(urlB, .PATCH, "/scim/default/Groups/\(groupID)", patchBody(
                "{\"op\": \"remove\", \"path\": \"members[value eq \\\"\(ids[0])\\\"]\"}"))
            #expect(patched.status == 200 || patched.status == 204, "\(String(describing: patched.json))")
            let read = try await call(urlA, .GET, "/scim/default/Groups/\(groupID)")
            #expect(read.json?["members"]?.arrayValue?.count == 7)
            // If-Match: the version B wrote is current through A; the one A created is stale for B.
            let refused = try await call(urlB, .DELETE, "/scim/default/Groups/\(groupID)", ifMatch: group.etag)
            #expect(refused.status == 412, "\(String(describing: refused.json))")
            let deleted = try await call(urlA, .DELETE, "/scim/default/Groups/\(groupID)", ifMatch: read.etag)
            #expect(deleted.status == 204, "\(String(describing: deleted.json))")

            // Nodes: the same snapshot from either receiver, after every write.
            let snapA = try await call(urlA, .GET, "/scim/default/export/v1/snapshot", token: node)
            let snapB = try await call(urlB, .GET, "/scim/default/export/v1/snapshot", token: node)
            #expect(snapA.status == 200 && snapB.status == 200)
            #expect(snapA.etag != nil && snapA.etag == snapB.etag, "\(String(describing: snapA.etag)) vs \(String(describing: snapB.etag))")
            for base in [urlA, urlB] { #expect(try await call(base, .GET, "/readyz").status == 200) }
            try? await client.shutdown()
            a.signal(SIGTERM)
            b.signal(SIGTERM)
            #expect(await a.wait(seconds: 60) == .exited(0), "\(a.standardError.output.suffix(2000))")
            #expect(await b.wait(seconds: 60) == .exited(0), "\(b.standardError.output.suffix(2000))")
        }
    }

    @Test("eight writers over two receivers, one SIGKILLed and restarted mid-run: every 201 stored, no uid twice, one serial per user, the same snapshot from both")
    func receiverKilled() async throws {
        let binary = try Binaries.sunkBridge()
        try await PostgresCluster.shared().withDatabase { db in
            func start(_ name: String) async throws -> (ChildProcess, String) { try await receiver(binary, db, name) }
            let (a, urlA) = try await start("A")
            defer { a.signal(SIGKILL) }
            var (b, urlB) = try await start("B")
            let scim = try await secret(binary, db, name: "okta", scope: "scim")
            var configuration = HTTPClient.Configuration()
            configuration.timeout = .init(connect: .seconds(5), read: .seconds(60))
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            let targets = Locked([urlA, urlB])
            let answered = Locked(0)
            // Each writer sends its POSTs to its own receiver; a request that gets no answer is sent
            // again through A (a 409 then means the first attempt was stored).
            let outcomes = try await withThrowingTaskGroup(of: [(String, Int, String?)].self) { group in
                for writer in 0..<8 {
                    group.addTask {
                        var results: [(String, Int, String?)] = []
                        for i in 0..<8 {
                            let userName = "k\(writer)-\(i)@example.com"
                            for attempt in 0..<2 {
                                let base = attempt == 0 ? targets.value.withLock { $0[writer % 2] } : urlA
                                var request = HTTPClientRequest(url: base + "/scim/default/Users")
                                request.method = .POST
                                request.headers.add(name: "Authorization", value: "Bearer \(scim)")
                                request.headers.add(name: "Content-Type", value: "application/scim+json")
                                request.body = .bytes(ByteBuffer(bytes: userBody(userName).serialized()))
                                guard let response = try? await client.execute(request, timeout: .seconds(60)),
                                      let body = try? await response.body.collect(upTo: 1 << 20) else { continue }
                                let id = (try? JSONValue.parse(Array(body.readableBytesView)))?["id"]?.stringValue
                                results.append((userName, Int(response.status.code), id))
                                answered.value.withLock { $0 += 1 }
                                break
                            }
                        }
                        return results
                    }
                }
                // Kill B once a quarter of the writes have been answered, start it again at once.
                while answered.value.withLock({ $0 }) < 16 { try await Task.sleep(for: .milliseconds(5)) }
                b.signal(SIGKILL)
                #expect(await b.wait() == .signaled(SIGKILL))
                #expect(answered.value.withLock { $0 } < 64, "B was killed while writes were still coming")
                (b, urlB) = try await start("B again")
                targets.value.withLock { $0[1] = urlB }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            defer { b.signal(SIGKILL) }
            // Nodes get the same signed snapshot from either receiver, the restarted one included.
            let node = try await secret(binary, db, name: "node", scope: "node")
            var snapshots: [[UInt8]] = []
            for base in [urlA, urlB] {
                var request = HTTPClientRequest(url: base + "/scim/default/export/v1/snapshot")
                request.headers.add(name: "Authorization", value: "Bearer \(node)")
                let response = try await client.execute(request, timeout: .seconds(60))
                #expect(response.status.code == 200)
                snapshots.append(Array(try await response.body.collect(upTo: 64 << 20).readableBytesView))
            }
            #expect(!snapshots[0].isEmpty && snapshots[0] == snapshots[1], "the same snapshot bytes from A and from B")
            try? await client.shutdown()
            #expect(outcomes.allSatisfy { $0.1 == 201 || $0.1 == 409 }, "\(outcomes.map(\.1))")
            #expect(outcomes.count == 64, "every write got an answer from one receiver or the other")

            let listed = try await run(binary, ["users", "list", "--db", db], error: .separate)
            #expect(listed.status == 0, "\(listed.error)")
            let rows = listed.output.split(separator: "\n").dropFirst().map { $0.split(separator: " ", omittingEmptySubsequences: true) }
            let stored = Set(rows.compactMap { $0.last.map(String.init) })
            for (userName, status, _) in outcomes where status == 201 {
                #expect(stored.contains(userName), "\(userName) was answered 201 but is not stored")
            }
            #expect(stored == Set(outcomes.map(\.0)), "a 409 on the retry means the first attempt was stored")
            let uids = rows.compactMap { $0.count > 1 ? String($0[1]) : nil }
            #expect(uids.count == 64 && Set(uids).count == 64, "no uid twice: \(uids)")
            let orgs = try await run(binary, ["org", "list", "--db", db], error: .separate)
            let serial = orgs.output.split(separator: "\n").dropFirst().first?.split(separator: " ", omittingEmptySubsequences: true)[3]
            #expect(serial == "64", "one serial per stored user: \(orgs.output)")
        }
    }

    @Test("README's Okta sequence, each request sent to the other of two receivers: every answer as with one receiver")
    func oktaAcrossReceivers() async throws {
        let binary = try Binaries.sunkBridge()
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        defer { _ = client.shutdown() }
        /// Replays the sequence on a new database over `count` receivers, request i to receiver i % count.
        func replay(receivers count: Int) async throws -> [OktaReplay.Answer] {
            var answers: [OktaReplay.Answer] = []
            try await PostgresCluster.shared().withDatabase { db in
                var started: [(ChildProcess, String)] = []
                defer { for (process, _) in started { process.signal(SIGKILL) } }
                for name in ["A", "B"].prefix(count) { started.append(try await receiver(binary, db, name)) }
                let scim = try await secret(binary, db, name: "okta", scope: "scim")
                var turn = 0
                answers = try await OktaReplay.run({ method, path, body, headers in
                    defer { turn += 1 }
                    return try await TestServer.send(client, method, started[turn % count].1 + "/scim/default" + path,
                                                     body: body?.serialized(), bearer: scim, headers: headers)
                })
                #expect(turn == answers.count, "every request went out")
            }
            return answers
        }
        let alone = try await replay(receivers: 1)
        let shared = try await replay(receivers: 2)
        #expect(alone.count == 15 && shared.count == alone.count)
        for (one, two) in zip(alone, shared) { #expect(two == one) }
    }

    /// A `serve` on `db` at a free loopback port, and its base URL once it listens.
    private func receiver(_ binary: String, _ db: String, _ name: String) async throws -> (ChildProcess, String) {
        let process = try await ChildProcess.start(binary, ["serve", "--db", db, "--listen", "127.0.0.1:0"])
        let url = try #require(await process.waitForLine(startingWith: "listening on "),
                               "receiver \(name) did not start: \(process.standardOutput.output)\n\(process.standardError.output)")
        return (process, url)
    }

    /// A token made with the CLI against the database URL (what an admin does after `serve`).
    private func secret(_ binary: String, _ db: String, name: String, scope: String) async throws -> String {
        let made = try await run(binary, ["token", "create", "--db", db, "--org", "default", "--name", name,
                                          "--scope", scope, "--quiet"], error: .separate)
        #expect(made.status == 0, "\(made.error)")
        return made.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// A value shared by the writer tasks.
private final class Locked<Value: Sendable>: Sendable {
    let value: Mutex<Value>
    init(_ value: Value) { self.value = Mutex(value) }
}
