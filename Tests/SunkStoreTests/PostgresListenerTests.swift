import Foundation
import Synchronization
import SunkPostgres
import Testing
import TestSupport
@testable import SunkStore

// The PostgreSQL change feed's one LISTEN connection per store: shared by every serials(org:)
// stream, and re-established when its backend is killed, so a write through another receiver
// (another store on the same database) still wakes the streams.
@Suite("PostgreSQL change feed: one listener per store", .timeLimit(.minutes(2)))
struct PostgresListenerTests {
    @Test("three streams share one LISTEN backend; pg_terminate_backend on it, and a later write elsewhere still wakes them")
    func listenerKilled() async throws {
        let cluster = try await PostgresCluster.shared()
        try await cluster.withDatabase { url in
            let database = String(try #require(url.split(separator: "/").last?.split(separator: "?").first))
            let watcher = try await PostgresStore(url: url)
            let writer = try await PostgresStore(url: url)
            _ = try await writer.createOrg("default", policy: .default)
            _ = try await writer.createOrg("other", policy: .default)
            let org = try await writer.org(named: "default")

            let first = Watch(watcher.serials(org: "default"))
            let second = Watch(watcher.serials(org: "default"))
            let third = Watch(watcher.serials(org: "other"))
            defer { for watch in [first, second, third] { watch.task.cancel() } }
            for watch in [first, second, third] { #expect(await watch.reaches(0)) }
            var listeners: [String] = []
            for _ in 0..<100 where listeners.isEmpty {
                listeners = try await listenerPIDs(cluster, database)
                if listeners.isEmpty { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(listeners.count == 1, "one LISTEN connection for the store, not one per stream: \(listeners)")

            _ = try await writer.createUser(org: org, draft: draft("before@example.com"), actor: "t")
            #expect(await first.reaches(1))
            #expect(await second.reaches(1))

            try await cluster.sql("SELECT pg_terminate_backend(\(try #require(listeners.first)))", database: database)
            _ = try await writer.createUser(org: org, draft: draft("after@example.com"), actor: "t")
            #expect(await first.reaches(2), "the write after the kill woke the stream: \(first.seen)")
            #expect(await second.reaches(2), "\(second.seen)")

            // LISTEN is back on a new backend, and notifications flow through it again.
            var again: [String] = []
            for _ in 0..<100 {
                again = try await listenerPIDs(cluster, database)
                if again.count == 1 && again != listeners { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(again.count == 1 && again != listeners, "re-established: \(listeners) then \(again)")
            _ = try await writer.createUser(org: try await writer.org(named: "other"), draft: draft("o@example.com"), actor: "t")
            #expect(await third.reaches(1), "\(third.seen)")
            #expect(first.seen == [0, 1, 2] && third.seen == [0, 1], "each serial once, in order")
            try await watcher.close()
            try await writer.close()
        }
    }

    /// The backends of `database` that are listening (their last statement was LISTEN).
    private func listenerPIDs(_ cluster: PostgresCluster, _ database: String) async throws -> [String] {
        let result = try await run("\(PostgresCluster.binaries)/psql", [
            "-X", "-At", "-h", "127.0.0.1", "-p", "\(cluster.port)", "-U", "postgres", "-d", "postgres", "-c",
            "SELECT pid FROM pg_stat_activity WHERE datname = '\(database)' AND query ILIKE 'LISTEN%' ORDER BY pid",
        ], error: .separate)
        try #require(result.status == 0, "\(result.stderr)")
        return result.lines
    }
}

/// The serials a stream gave, collected as they come.
private final class Watch: Sendable {
    private final class Values: Sendable {
        let list = Mutex<[Int64]>([])
    }

    private let values = Values()
    let task: Task<Void, Never>

    init(_ stream: AsyncThrowingStream<Int64, any Error>) {
        let values = self.values
        task = Task { do { for try await serial in stream { values.list.withLock { $0.append(serial) } } } catch {} }
    }

    var seen: [Int64] { values.list.withLock { $0 } }

    /// True once the latest serial is `serial`, false after 15 s.
    func reaches(_ serial: Int64) async -> Bool {
        for _ in 0..<150 {
            if seen.last == serial { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return false
    }
}
