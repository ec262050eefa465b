// The signed snapshot of each org, built once per publication however many nodes ask for it.
import SunkStore

/// Keeps the last signed snapshot of each org under its ETag (instance, serial, publication
/// second), and makes concurrent requests for a publication not yet built share one build: after a
/// change, a thousand nodes asking at once cost one snapshot, not a thousand.
actor PublishedSnapshotCache {
    private var latest: [String: PublishedSnapshot] = [:]
    private var building: [String: (etag: String, task: Task<PublishedSnapshot, any Error>)] = [:]

    /// The snapshot published under `etag` (the org's live ETag), built with `build` when it is not
    /// at hand. With `etag == nil` (provisioning paused: the frozen document decides) nothing is kept.
    func snapshot(org: String, etag: String?,
                  build: @escaping @Sendable () async throws -> PublishedSnapshot) async throws -> PublishedSnapshot {
        guard let etag else { return try await build() }
        if let hit = latest[org], hit.etag == etag { return hit }
        if let flight = building[org], flight.etag == etag { return try await flight.task.value }
        let task = Task { try await build() }
        building[org] = (etag, task)
        defer { if building[org]?.etag == etag { building[org] = nil } }
        let built = try await task.value
        // A write may have landed while building: keep whichever publication is newer.
        if (latest[org]?.serial ?? .min) <= built.serial { latest[org] = built }
        return built
    }
}
