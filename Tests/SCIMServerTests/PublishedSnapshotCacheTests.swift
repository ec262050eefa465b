// One snapshot build per publication, however many nodes ask at once.
import Foundation
@testable import SCIMServer
import SunkModel
import SunkSnapshot
import SunkStore
import Synchronization
import Testing

/// How many builds ran.
final class BuildCounter: Sendable {
    let value = Atomic<Int>(0)
    var count: Int { value.load(ordering: .relaxed) }
}

@Suite("Published snapshot cache")
struct PublishedSnapshotCacheTests {
    static func published(serial: Int64, etag: String) -> PublishedSnapshot {
        PublishedSnapshot(signed: Data("snapshot \(serial)".utf8), serial: serial, digest: "sha256:\(serial)", etag: etag,
                          instance: "i1", body: SnapshotBody(org: "default", serial: serial, publishedAt: Date(),
                                                             policy: .default, users: [], groups: [], skipped: []),
                          publicKey: [], signature: [])
    }

    @Test("200 concurrent requests for one publication share one build; a new publication is built once more; paused orgs are never kept")
    func singleFlight() async throws {
        let cache = PublishedSnapshotCache()
        let builds = BuildCounter()
        let build = { @Sendable (serial: Int64, etag: String) -> @Sendable () async throws -> PublishedSnapshot in
            {
                builds.value.add(1, ordering: .relaxed)
                try await Task.sleep(for: .milliseconds(50))   // a build takes a while: requests pile up
                return Self.published(serial: serial, etag: etag)
            }
        }
        let bodies = try await withThrowingTaskGroup(of: Data.self) { group in
            for _ in 0..<200 {
                group.addTask { try await cache.snapshot(org: "default", key: "e7", build: build(7, "e7")).signed }
            }
            return try await group.reduce(into: [Data]()) { $0.append($1) }
        }
        #expect(bodies.count == 200 && Set(bodies) == [Data("snapshot 7".utf8)])
        #expect(builds.count == 1)

        _ = try await cache.snapshot(org: "default", key: "e7", build: build(7, "e7"))
        #expect(builds.count == 1, "kept")
        let next = try await cache.snapshot(org: "default", key: "e8", build: build(8, "e8"))
        #expect(next.serial == 8 && builds.count == 2)
        _ = try await cache.snapshot(org: "research", key: "e8", build: build(3, "e8"))
        #expect(builds.count == 3, "each org has its own")
        _ = try await cache.snapshot(org: "default", key: nil, build: build(8, "frozen"))
        _ = try await cache.snapshot(org: "default", key: nil, build: build(8, "frozen"))
        #expect(builds.count == 5, "without a key nothing is kept")
    }

    @Test("a failed build is not kept: the next request builds again")
    func failureNotKept() async throws {
        struct Boom: Error {}
        let cache = PublishedSnapshotCache()
        await #expect(throws: Boom.self) {
            try await cache.snapshot(org: "default", key: "e1") { throw Boom() }
        }
        let ok = try await cache.snapshot(org: "default", key: "e1") { Self.published(serial: 1, etag: "e1") }
        #expect(ok.serial == 1)
    }
}
