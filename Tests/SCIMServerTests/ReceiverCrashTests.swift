// Crash consistency of the receiver: eight writers (creates, PUTs, group PATCHes, refused creates)
// against the real `sunk-bridge serve`, SIGKILLed at random moments and restarted, cycle after cycle.
// After every kill: each 2xx is stored with its content, each 4xx left no trace, ids and uids never
// change or repeat, and SQLite's integrity check is clean.
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SCIMProtocol
import SunkStore
import Synchronization
import Testing
import TestSupport

@Suite("Receiver crash consistency", .serialized, .tags(.e2e, .crash, .live), .exclusive, .timeLimit(.minutes(15)))
struct ReceiverCrashTests {
    static let cycles = 20
    static let writers = 8

    /// What the writers saw, shared between them.
    final class Ledger: Sendable {
        struct State: Sendable {
            /// userName → id of every create answered 201.
            var created: [String: String] = [:]
            /// userNames whose create was refused with a 4xx.
            var refused: Set<String> = []
            /// id → displayName values: the last acknowledged one first, then any sent after it unanswered.
            var names: [String: [String]] = [:]
            /// Member ids acknowledged in each writer's group.
            var members: [String: Set<String>] = [:]
            var acknowledged = 0
            var unanswered = 0
        }
        let state = Mutex(State())
    }

    struct Server {
        let process: ChildProcess
        let url: String
    }

    static func start(_ binary: String, db: String) async throws -> Server {
        let process = try await ChildProcess.start(binary, ["serve", "--db", db, "--listen", "127.0.0.1:0"],
                                                   output: .discardError)
        let url = try #require(await process.waitForLine(startingWith: "listening on "),
                               "serve did not start: \(process.output)")
        return Server(process: process, url: url)
    }

    static func send(_ client: HTTPClient, _ method: HTTPMethod, _ url: String, token: String,
                     _ body: JSONValue) async -> (Int, JSONValue?)? {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Content-Type", value: "application/scim+json")
        request.body = .bytes(ByteBuffer(bytes: body.serialized()))
        do {
            let response = try await client.execute(request, timeout: .seconds(30))
            let data = try await response.body.collect(upTo: 1 << 20)
            return (Int(response.status.code), try? JSONValue.parse(Array(data.readableBytesView)))
        } catch {
            return nil
        }
    }

    /// One writer: until the server stops answering, a create, then a PUT or a group PATCH on one of
    /// its own users, and every fifth operation a create the server must refuse.
    static func writer(_ w: Int, cycle: Int, base: String, token: String, group: String, client: HTTPClient,
                       ledger: Ledger) async {
        var mine: [String] = []
        for k in 0..<10_000 {
            let tag = "c\(cycle)w\(w)k\(k)"
            let outcome: (Int, JSONValue?)?
            if k % 5 == 4 {
                let userName = "bad-\(tag)@example.com"
                outcome = await send(client, .POST, base + "/Users", token: token, userBody(userName, uid: 0))
                if let (status, _) = outcome, (400..<500).contains(status) {
                    ledger.state.withLock { $0.refused.insert(userName) }
                }
            } else if k % 3 == 0 || mine.isEmpty {
                let userName = "\(tag)@example.com"
                outcome = await send(client, .POST, base + "/Users", token: token, userBody(userName))
                if let (status, body) = outcome, status == 201, let id = body?["id"]?.stringValue {
                    mine.append(id)
                    ledger.state.withLock { $0.created[userName] = id; $0.names[id] = ["Test User"] }
                }
            } else if k % 3 == 1 {
                let id = mine[k % mine.count]
                let name = "Put \(tag)"
                ledger.state.withLock { $0.names[id, default: []].append(name) }
                var body = userBody("\(id)-ignored@example.com")
                body = .object((body.objectValue ?? [:]).merging(["displayName": .string(name)]) { $1 })
                // PUT replaces: keep the userName the user has.
                let userName = ledger.state.withLock { s in s.created.first { $0.value == id }?.key } ?? ""
                body = .object((body.objectValue ?? [:]).merging(["userName": .string(userName)]) { $1 })
                outcome = await send(client, .PUT, base + "/Users/\(id)", token: token, body)
                if let (status, _) = outcome, status == 200 {
                    ledger.state.withLock { $0.names[id] = [name] }
                }
            } else {
                let id = mine[k % mine.count]
                outcome = await send(client, .PATCH, base + "/Groups/\(group)", token: token, json("""
                    {"schemas": ["\(patchURN)"], "Operations": [{"op": "add", "path": "members", "value": [{"value": "\(id)"}]}]}
                    """))
                if let (status, _) = outcome, (200..<300).contains(status) {
                    ledger.state.withLock { $0.members[group, default: []].insert(id) }
                }
            }
            guard let (status, _) = outcome else {
                ledger.state.withLock { $0.unanswered += 1 }
                return
            }
            ledger.state.withLock { $0.acknowledged += 1 }
            if status >= 500 {
                Issue.record("\(tag): a 5xx (\(status)) from the receiver")
                return
            }
        }
    }

    @Test("8 writers, the server SIGKILLed and restarted 20 times: every 2xx kept, no 4xx trace, ids stable")
    func killAndRestart() async throws {
        let binary = try Binaries.sunkBridge()
        let directory = try temporaryDirectory("crash")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let db = directory + "/sunk.sqlite"
        var server = try await Self.start(binary, db: db)
        let token = try String(contentsOfFile: directory + "/bootstrap-token", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let ledger = Ledger()
        var groups: [String] = []
        var uids: [String: UInt32] = [:]
        var rng = SystemRandomNumberGenerator()
        let seed = UInt64.random(in: 0...UInt64.max, using: &rng)
        var random = SplitMix64(seed: seed)
        print("crash test seed \(seed)")
        defer { server.process.signal(SIGKILL) }

        for cycle in 0..<Self.cycles {
            var configuration = HTTPClient.Configuration()
            configuration.timeout = .init(connect: .seconds(2), read: .seconds(30))
            configuration.connectionPool = .init(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: 8)
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            let base = server.url + "/scim/default"
            if groups.isEmpty {
                for w in 0..<Self.writers {
                    let reply = await Self.send(client, .POST, base + "/Groups", token: token, json("""
                        {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Writers \(w)"}
                        """))
                    groups.append(try #require(reply?.1?["id"]?.stringValue, "group create failed"))
                }
            }
            let delay = Int.random(in: 150...700, using: &random)
            let process = server.process
            let groupIDs = groups
            await withTaskGroup(of: Void.self) { tasks in
                for w in 0..<Self.writers {
                    tasks.addTask {
                        await Self.writer(w, cycle: cycle, base: base, token: token, group: groupIDs[w],
                                          client: client, ledger: ledger)
                    }
                }
                tasks.addTask {
                    try? await Task.sleep(for: .milliseconds(delay))
                    process.signal(SIGKILL)
                }
            }
            try? await client.shutdown()
            await server.process.wait()

            // The server is dead: check the file as the next start will find it.
            let database = try SunkDatabase(path: db)
            #expect(try database.integrityCheck() == ["ok"], "cycle \(cycle)")
            let org = try await database.org(named: "default")
            let users = try await database.users(org: org)
            let byID = Dictionary(uniqueKeysWithValues: users.map { ($0.id, $0) })
            let state = ledger.state.withLock { $0 }
            for (userName, id) in state.created {
                guard let user = byID[id] else {
                    Issue.record("cycle \(cycle): \(userName) was answered 201 (id \(id)) but is gone")
                    continue
                }
                #expect(user.userName == userName)
                let allowed = state.names[id] ?? []
                #expect(allowed.contains(user.gecos), "cycle \(cycle): \(userName) has \"\(user.gecos)\", acknowledged/in flight: \(allowed)")
                if let old = uids[id] { #expect(old == user.uid, "cycle \(cycle): uid of \(userName) changed") }
                uids[id] = user.uid
            }
            for userName in state.refused {
                #expect(!users.contains { $0.userName == userName }, "cycle \(cycle): refused \(userName) was stored")
            }
            #expect(Set(users.map(\.uid)).count == users.count, "cycle \(cycle): a uid is used twice")
            let stored = try await database.groups(org: org)
            for group in stored {
                let members = Set(group.members.map(\.id))
                for id in state.members[group.id] ?? [] {
                    #expect(members.contains(id), "cycle \(cycle): acknowledged member \(id) missing from \(group.displayName)")
                }
            }
            server = try await Self.start(binary, db: db)
        }
        await server.process.killAndWait()
        let totals = ledger.state.withLock { $0 }
        print("crash test: \(Self.cycles) kills, \(totals.acknowledged) answered requests, \(totals.created.count) users created, "
              + "\(totals.refused.count) refused creates, \(totals.unanswered) requests cut off by a kill")
        #expect(totals.created.count >= Self.cycles * Self.writers / 2, "the writers did too little to test anything")
        #expect(totals.refused.count > 0)
    }
}
