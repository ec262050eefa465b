// The change feed: deltas from a publication a node holds, held open until the next one.
import AsyncHTTPClient
import Foundation
import NIOHTTP1
@testable import SCIMServer
import SCIMProtocol
import SunkModel
import SunkSnapshot
import SunkStore
import Testing

@Suite("Change feed: GET /export/v1/changes")
struct ChangeFeedTests {
    static func trust(_ server: TestServer) throws -> TrustedKeys {
        TrustedKeys(keys: try server.database.trustKeys(org: "default", includePrevious: false))
    }

    /// The node's side: the snapshot it holds, as `sync` keeps it.
    static func snapshot(_ server: TestServer) async throws -> (bytes: Data, serial: Int64, instance: String) {
        let reply = try await server.get("/export/v1/snapshot", token: server.nodeToken)
        try #require(reply.status == 200, "\(reply.text)")
        let opened = try SnapshotOpening.open(Data(reply.body), trust: try trust(server), expectedOrg: "default")
        return (Data(reply.body), opened.document.body.serial, try #require(opened.envelope?.instance))
    }

    static func deactivate(_ server: TestServer, _ id: String) async throws {
        let reply = try await server.patch("/Users/\(id)", patchBody(#"{"op": "replace", "value": {"active": false}}"#))
        try #require(reply.status == 200, "\(reply.text)")
    }

    @Test("a change after the node's serial comes as a small signed delta that rebuilds the receiver's snapshot exactly")
    func deltaRebuildsSnapshot() async throws {
        try await withServer { server in
            var ids: [String] = []
            for i in 0..<60 {
                ids.append(try await server.createUser(userBody("user\(i)@example.com", posixName: "user\(i)",
                                                                extra: "\"sunkSshKeys\": [\"\(adaLaptopKey)\"]")))
            }
            let held = try await Self.snapshot(server)
            let idle = try await server.get("/export/v1/changes?since=\(held.serial)&instance=\(held.instance)",
                                            token: server.nodeToken)
            #expect(idle.status == 304, "nothing newer, wait=0: at once")

            try await Self.deactivate(server, ids[7])
            let reply = try await server.get("/export/v1/changes?since=\(held.serial)&instance=\(held.instance)",
                                             token: server.nodeToken)
            try #require(reply.status == 200, "\(reply.text)")
            #expect(reply.headers.first(name: "X-Sunk-Delta-From") == String(held.serial))
            let opened = try DeltaOpening.open(Data(reply.body), base: held.bytes, trust: try Self.trust(server),
                                               expectedOrg: "default")
            let full = try await server.get("/export/v1/snapshot", token: server.nodeToken)
            #expect(opened.bytes == Data(full.body), "the rebuilt envelope is byte for byte the published snapshot")
            #expect(reply.headers.first(name: "ETag") == full.headers.first(name: "ETag"))
            let user7 = try #require(opened.document.body.users.first { $0.name == "user7" })
            #expect(!user7.active)
            let delta = try SnapshotDelta.decode(try SignedSnapshot.parse(Data(reply.body)).document)
            #expect(delta.users.map(\.name) == ["user7"] && delta.removedUsers.isEmpty && delta.policy == nil)
            #expect(reply.body.count < full.body.count / 10,
                    "delta \(reply.body.count) bytes against a snapshot of \(full.body.count)")
        }
    }

    @Test("a request at the current serial is held open and answered as soon as a change is published, else 304 at the end of wait")
    func longPoll() async throws {
        try await withServer { server in
            let id = try await server.createUser(userBody("ada@example.com", posixName: "ada"))
            let held = try await Self.snapshot(server)
            let started = ContinuousClock.now
            let timedOut = try await server.get("/export/v1/changes?since=\(held.serial)&wait=1", token: server.nodeToken)
            #expect(timedOut.status == 304)
            #expect(ContinuousClock.now - started >= .milliseconds(900), "held for the wait")

            let waiting = Task { () -> (TestServer.Reply, Duration) in
                let start = ContinuousClock.now
                let reply = try await server.get("/export/v1/changes?since=\(held.serial)&wait=60", token: server.nodeToken)
                return (reply, ContinuousClock.now - start)
            }
            try await Task.sleep(for: .milliseconds(300))
            try await Self.deactivate(server, id)
            let (reply, took) = try await waiting.value
            #expect(reply.status == 200, "\(reply.text)")
            #expect(took < .seconds(30), "woken by the change, not by the end of wait (took \(took))")
            _ = try DeltaOpening.open(Data(reply.body), base: held.bytes, trust: try Self.trust(server), expectedOrg: "default")
        }
    }

    @Test("410 sends the node to the full snapshot: another instance, a serial never published here, a serial ahead")
    func gone() async throws {
        try await withServer { server in
            let id = try await server.createUser(userBody("ada@example.com", posixName: "ada"))
            let held = try await Self.snapshot(server)
            try await Self.deactivate(server, id)
            for (query, words) in [
                ("since=\(held.serial)&instance=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "database instance"),
                ("since=\(held.serial - 1)", "not in this receiver's change log"),
                ("since=\(held.serial + 100)", "ahead of this receiver's publication"),
            ] {
                let reply = try await server.get("/export/v1/changes?\(query)", token: server.nodeToken)
                #expect(reply.status == 410, "\(query): \(reply.text)")
                #expect(reply.text.contains(words) && reply.text.contains("fetch the full snapshot"), "\(reply.text)")
            }
        }
    }

    @Test("bad queries are 400 with the reason; no token is 401")
    func refusals() async throws {
        try await withServer { server in
            for (query, words) in [("", "since is required"), ("since=-1", "since must be a serial"),
                                   ("since=x", "since must be a serial"), ("since=1&wait=soon", "wait must be"),
                                   ("since=1&fast=yes", "not supported by the change feed")] {
                let reply = try await server.get("/export/v1/changes?\(query)", token: server.nodeToken)
                #expect(reply.status == 400 && reply.text.contains(words), "\(query): \(reply.status) \(reply.text)")
            }
            let anonymous = try await server.send(.GET, "/scim/default/export/v1/changes?since=0")
            #expect(anonymous.status == 401, "\(anonymous.text)")
        }
    }

    @Test("/metrics shows the held change-feed requests: 3 while nodes wait, 0 once a change answered them")
    func waitingGauge() async throws {
        try await withServer { server in
            let id = try await server.createUser(userBody("ada@example.com", posixName: "ada"))
            let held = try await Self.snapshot(server)
            func waiting() async throws -> String {
                let metrics = try await server.send(.GET, "/metrics")
                return metrics.text.split(separator: "\n").first { $0.hasPrefix("sunk_bridge_change_feed_waiting ") }
                    .map(String.init) ?? "no gauge in:\n\(metrics.text.prefix(400))"
            }
            #expect(try await waiting() == "sunk_bridge_change_feed_waiting 0.0")
            let watchers = (0..<3).map { _ in
                Task { try await server.get("/export/v1/changes?since=\(held.serial)&wait=60", token: server.nodeToken).status }
            }
            var seen = ""
            for _ in 0..<100 {
                seen = try await waiting()
                if seen == "sunk_bridge_change_feed_waiting 3.0" { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(seen == "sunk_bridge_change_feed_waiting 3.0")
            try await Self.deactivate(server, id)
            for watcher in watchers { #expect(try await watcher.value == 200) }
            #expect(try await waiting() == "sunk_bridge_change_feed_waiting 0.0")
        }
    }

    @Test("200 requests held at once are all woken by one change and share one delta")
    func manyWatchers() async throws {
        try await withServer(transport: .live) { server in
            let id = try await server.createUser(userBody("ada@example.com", posixName: "ada"))
            let held = try await Self.snapshot(server)
            // Its own client: the server's shared one keeps 32 connections, and the change must not
            // queue behind the held requests.
            var configuration = HTTPClient.Configuration()
            configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 256)
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            defer { _ = client.shutdown() }
            let url = server.scimURL + "/export/v1/changes?since=\(held.serial)&wait=60"
            let routes = try await withThrowingTaskGroup(of: (Int, [UInt8]).self) { group in
                for _ in 0..<200 {
                    group.addTask {
                        var request = HTTPClientRequest(url: url)
                        request.headers.add(name: "Authorization", value: "Bearer \(server.nodeToken)")
                        let response = try await client.execute(request, timeout: .seconds(90))
                        let body = try await response.body.collect(upTo: 1 << 20)
                        return (Int(response.status.code), Array(body.readableBytesView))
                    }
                }
                try await Task.sleep(for: .milliseconds(500))
                try await Self.deactivate(server, id)
                return try await group.reduce(into: [(Int, [UInt8])]()) { $0.append($1) }
            }
            #expect(routes.allSatisfy { $0.0 == 200 }, "\(Set(routes.map { "\($0.0) \(String(decoding: $0.1.prefix(300), as: UTF8.self))" }))")
            #expect(Set(routes.map(\.1)).count == 1, "one delta, signed once, for every watcher at the same serial")
        }
    }
}

@Suite("Publication log")
struct PublicationLogTests {
    static func body(_ serial: Int64, users: [(String, Bool)], policy: Policy = .default) -> SnapshotBody {
        SnapshotBody(org: "default", serial: serial, publishedAt: Date(timeIntervalSince1970: 1_800_000_000), policy: policy,
                     users: users.map { SnapshotUser(id: $0.0, userName: $0.0, name: $0.0, uid: 100_000, gid: 100_000,
                                                      gecos: "", home: "/home/\($0.0)", shell: "/bin/bash", keys: [],
                                                      active: $0.1) },
                     groups: [], skipped: [])
    }

    @Test("steps are exact for known publications only; the union spans every later step; compaction moves the base")
    func steps() {
        var log = PublicationLog(instance: "i", base: 3)
        let b3 = Self.body(3, users: [("a", true), ("b", true)])
        let b5 = Self.body(5, users: [("a", false), ("b", true), ("c", true)])
        let b9 = Self.body(9, users: [("a", true), ("c", true)])
        log.record(from: b3, to: b5)
        log.record(from: b5, to: b9)
        #expect(log.changes(since: 3) == .init(users: ["a", "b", "c"], groups: [], policy: false))
        #expect(log.changes(since: 5) == .init(users: ["a", "b"], groups: [], policy: false),
                "a changed back and b removed after 5")
        #expect(log.changes(since: 9) == .init())
        #expect(log.changes(since: 4) == nil, "never published here: unknown")
        #expect(log.changes(since: 2) == nil)

        for serial in Int64(10)..<Int64(10 + PublicationLog.maxSteps) {
            log.record(from: Self.body(serial - 1, users: []), to: Self.body(serial, users: []))
        }
        #expect(log.changes(since: 3) == nil, "compacted away")
        #expect(log.steps.count == PublicationLog.maxSteps && log.base > 3)
    }
}
