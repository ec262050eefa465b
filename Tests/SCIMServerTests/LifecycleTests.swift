import AsyncHTTPClient
import AuthorizedKeys
import Foundation
import NIOCore
import NIOHTTP1
import SCIMProtocol
import SunkStore
import Synchronization
import Testing
import TestSupport

/// Says "now" exactly once: when the `after`-th success is counted.
final class SignalTrigger: Sendable {
    private let state = Mutex((count: 0, fired: false))
    let after: Int

    init(after: Int) { self.after = after }

    func countAndCheck() -> Bool {
        state.withLock { state in
            state.count += 1
            guard state.count >= after, !state.fired else { return false }
            state.fired = true
            return true
        }
    }

    var fired: Bool { state.withLock { $0.fired } }
}

@Suite("Lifecycle", .serialized, .tags(.e2e, .crash, .live), .timeLimit(.minutes(5)))
struct LifecycleTests {
    @Test("SIGTERM during a burst of creates: exit 0, every 201 is durable, nothing half-written")
    func sigtermDrains() async throws {
        let binary = try Binaries.sunkBridge()
        let directory = try temporaryDirectory("lifecycle")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/sunk.sqlite"
        let process = try await ChildProcess.start(binary, ["serve", "--db", path, "--listen", "127.0.0.1:0"])
        let out = process.standardOutput, err = process.standardError
        defer { process.signal(SIGKILL) }

        let url = try #require(await process.waitForLine(startingWith: "listening on "),
                               "serve did not start: \(out.output)\n\(err.output)")
        let token = try String(contentsOfFile: directory + "/bootstrap-token", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)

        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 16)
        // After SIGTERM the port is closed: the client's retries of refused connections give up
        // after the connect timeout, so keep it short (loopback connects take milliseconds).
        configuration.timeout = .init(connect: .seconds(5), read: .seconds(120))
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let trigger = SignalTrigger(after: 16)
                let total = 64

        // (index, status or nil when no answer came, id when created)
        let outcomes = await withTaskGroup(of: (Int, Int?, String?).self) { group in
            for i in 0..<total {
                group.addTask {
                    var request = HTTPClientRequest(url: url + "/scim/default/Users")
                    request.method = .POST
                    request.headers.add(name: "Authorization", value: "Bearer \(token)")
                    request.headers.add(name: "Content-Type", value: "application/scim+json")
                    request.body = .bytes(ByteBuffer(bytes: userBody("burst\(i)@example.com").serialized()))
                    do {
                        let response = try await client.execute(request, timeout: .seconds(120))
                        let body = try await response.body.collect(upTo: 1 << 20)
                        let status = Int(response.status.code)
                        var id: String?
                        if status == 201 {
                            id = try? JSONValue.parse(Array(body.readableBytesView))["id"]?.stringValue
                            // SIGTERM once a quarter of the burst has been answered, the rest in flight.
                            if trigger.countAndCheck() { process.signal(SIGTERM) }
                        }
                        return (i, status, id)
                    } catch {
                        return (i, nil, nil)
                    }
                }
            }
            var all: [(Int, Int?, String?)] = []
            for await outcome in group { all.append(outcome) }
            return all
        }
        try? await client.shutdown()

        let sent = trigger.fired
        #expect(sent, "SIGTERM was never sent: \(outcomes.map(\.1))")
        let termination = await process.wait(seconds: 120)
        #expect(termination != nil, "serve did not exit after SIGTERM:\n\(err.output.suffix(2000))")
        guard let termination else { process.signal(SIGKILL); return }
        await err.waitForEnd(seconds: 10)
        #expect(termination == .exited(0), "serve ended with \(termination):\n\(err.output.suffix(2000))")

        // Closed after the drain: the last connection checkpointed the WAL and removed it.
        let wal = (try? FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int) ?? 0
        #expect(wal == 0, "a \(wal)-byte WAL was left: the database was not closed")
        #expect(err.output.contains("database closed"), "\(err.output.suffix(2000))")

        let created = outcomes.compactMap { $0.1 == 201 ? $0.2 : nil }
        let unanswered = outcomes.filter { $0.1 == nil }.count
        #expect(created.count >= trigger.after)
        #expect(outcomes.allSatisfy { $0.1 == nil || $0.1 == 201 }, "only 201 or no answer: \(outcomes.map(\.1))")
        #expect(created.count == outcomes.filter { $0.1 == 201 }.count, "every 201 carried an id")

        let database = try SunkDatabase(path: path)
        #expect(try database.integrityCheck() == ["ok"])
        let users = try await database.users(org: try await database.org(named: "default"))
        let stored = Set(users.map(\.id))
        for id in created { #expect(stored.contains(id), "user \(id) was answered 201 but is not in the database") }
        // What is stored beyond the 201s can only be requests whose answer was lost in flight.
        #expect(users.count >= created.count && users.count <= created.count + unanswered,
                "\(users.count) stored, \(created.count) answered 201, \(unanswered) unanswered")
        let names = Set((0..<total).map { "burst\($0)@example.com" })
        #expect(users.allSatisfy { names.contains($0.userName) && $0.posixName != nil })
    }

    @Test("serve refuses a database written by a newer version, saying to upgrade")
    func newerSchema() async throws {
        let binary = try Binaries.sunkBridge()
        let directory = try temporaryDirectory("newer-schema")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/sunk.sqlite"
        do { _ = try SunkDatabase(path: path).createOrg("default") }
        let sqlite = try await run("/usr/bin/env", ["sqlite3", path,
                                              "INSERT INTO grdb_migrations (identifier) VALUES ('v99-from-the-future')"])
        if sqlite.status == 127 {
            Issue.record("sqlite3 is not installed (apt-get install sqlite3; scripts/install-deps.sh lists it)")
            return
        }
        try #require(sqlite.status == 0, "sqlite3: \(sqlite.output)")

        let process = try await ChildProcess.start(binary, ["serve", "--db", path, "--listen", "127.0.0.1:0"], output: .merged)
        let output = process.standardOutput
        let termination = await process.wait(seconds: 120)
        if termination == nil { process.signal(SIGKILL) }
        #expect(termination != nil, "serve started on a newer schema: \(output.output)")
        guard let termination else { return }
        await output.waitForEnd(seconds: 10)
        #expect(termination != .exited(0))
        #expect(output.output.contains("v99-from-the-future"), "\(output.output)")
        #expect(output.output.contains("upgrade"), "\(output.output)")
        #expect(!output.output.contains("listening on"))
    }

    @Test("backup during a burst of writes: a sound copy holding every user acknowledged before it started")
    func backupWhileWriting() async throws {
        let binary = try Binaries.sunkBridge()
        try await withServer { server in
            var acknowledged: [String] = []
            for i in 0..<10 { acknowledged.append(try await server.createUser(userBody("before\(i)@example.com"))) }
            let copy = server.directory + "/backup.sqlite"

            async let burst: [Int] = withThrowingTaskGroup(of: Int.self) { group in
                for i in 0..<24 {
                    group.addTask { try await server.post("/Users", userBody("during\(i)@example.com")).status }
                }
                var statuses: [Int] = []
                for try await status in group { statuses.append(status) }
                return statuses
            }
            let result = try await run(binary, ["backup", "--db", server.databasePath, "--out", copy])
            let statuses = try await burst
            #expect(statuses.allSatisfy { $0 == 201 }, "\(statuses)")

            #expect(result.status == 0, "\(result.output)")
            #expect(result.output.contains("wrote \(copy)"), "\(result.output)")
            var info = stat()
            #expect(stat(copy, &info) == 0)
            #expect(info.st_mode & 0o777 == 0o600, "mode \(String(info.st_mode & 0o777, radix: 8))")
            #expect(!FileManager.default.fileExists(atPath: copy + "-wal"), "the copy is one file")

            let restored = try SunkDatabase(path: copy)
            #expect(try restored.integrityCheck() == ["ok"])
            let users = try await restored.users(org: try await restored.org(named: "default"))
            let ids = Set(users.map(\.id))
            for id in acknowledged { #expect(ids.contains(id), "acknowledged user \(id) is missing from the backup") }
            #expect(users.count >= 10 && users.count <= 34)
            #expect(result.output.contains("org default: \(users.count) users"), "\(result.output)")
            // Allocated ids come back with the copy: the first user has the first allocated uid.
            #expect(users.first { $0.id == acknowledged[0] }?.uid == 1_000_000)
        }
    }

    @Test("backup refuses to replace a file unless --force, and leaves it untouched")
    func backupRefusesOverwrite() async throws {
        let binary = try Binaries.sunkBridge()
        try await withServer { server in
            try await server.createUser(userBody("kept@example.com"))
            let target = server.directory + "/existing.sqlite"
            try Data("precious\n".utf8).write(to: URL(fileURLWithPath: target))
            let refused = try await run(binary, ["backup", "--db", server.databasePath, "--out", target])
            #expect(refused.status != 0)
            #expect(refused.output.contains("already exists") && refused.output.contains("--force"), "\(refused.output)")
            #expect(FileManager.default.contents(atPath: target) == Data("precious\n".utf8))

            let forced = try await run(binary, ["backup", "--db", server.databasePath, "--out", target, "--force"])
            #expect(forced.status == 0, "\(forced.output)")
            let copy = try SunkDatabase(path: target)
            let kept = try await copy.users(org: try await copy.org(named: "default"))
            #expect(kept.map(\.userName) == ["kept@example.com"])
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: server.directory)
                .filter { $0.contains(AtomicFile.tempMarker) }
            #expect(leftovers.isEmpty, "temporary files left: \(leftovers)")
        }
    }
}
