// The signed snapshot of each org, built once per publication however many nodes ask for it, and
// the log of what changed between the publications built (the change feed's deltas).
import Foundation
import SunkSnapshot
import SunkStore

/// Keeps the last signed snapshot of each org under its publication key (the live ETag, or a key
/// of the frozen state while provisioning is paused), and makes concurrent requests for a
/// publication not yet built share one build: after a change, a thousand nodes asking at once
/// cost one snapshot, not a thousand. Each new publication extends the org's `PublicationLog`, and
/// the signed delta from a given serial to the latest publication is kept once made, so a
/// thousand watching nodes at the same serial cost one delta.
actor PublishedSnapshotCache {
    /// The newest publication of each org and the key it was built for.
    private var latest: [String: (key: String, snapshot: PublishedSnapshot)] = [:]
    private var building: [String: (key: String, task: Task<PublishedSnapshot, any Error>)] = [:]
    private var logs: [String: PublicationLog] = [:]
    /// Signed deltas to the latest publication (`serial`), by the serial they start from.
    private var deltas: [String: (serial: Int64, bySince: [Int64: Data])] = [:]

    /// The snapshot published under `key`, built with `build` when it is not at hand. With
    /// `key == nil` nothing is kept (every call builds).
    func snapshot(org: String, key: String?,
                  build: @escaping @Sendable () async throws -> PublishedSnapshot) async throws -> PublishedSnapshot {
        guard let key else { return try await build() }
        if let hit = latest[org], hit.key == key { return hit.snapshot }
        let task: Task<PublishedSnapshot, any Error>
        if let flight = building[org], flight.key == key {
            task = flight.task
        } else {
            task = Task { try await build() }
            building[org] = (key, task)
        }
        defer { if building[org]?.key == key { building[org] = nil } }
        let built = try await task.value
        // The build's temporaries are freed by now; without this the receiver's RSS stays at the
        // build's peak (hundreds of MB at 100k users). Once per build: only the first requester
        // finds the flight still registered.
        if building[org]?.key == key { FreedMemory.release() }
        // Every requester settles the result (the first to resume records it, the rest find it
        // recorded), so no requester sees a publication the log does not know yet. A write may have
        // landed while building: keep whichever publication is newer.
        if (latest[org]?.snapshot.serial ?? .min) <= built.serial { remember(built, org: org, key: key) }
        return built
    }

    private func remember(_ built: PublishedSnapshot, org: String, key: String) {
        let kept = latest[org]
        if let kept, kept.key == key, kept.snapshot.serial == built.serial, kept.snapshot.digest == built.digest { return }
        latest[org] = (key, built)
        let previous = kept?.snapshot
        guard let previous, previous.instance == built.instance, previous.serial <= built.serial,
              var log = logs[org], log.instance == built.instance, log.latest == previous.serial else {
            logs[org] = PublicationLog(instance: built.instance, base: built.serial)
            return
        }
        if built.serial == previous.serial {
            // The same serial again: the same publication (a paused org's frozen state rebuilt), or a
            // restored database that reached it with other content: then nothing before it holds.
            if built.digest != previous.digest { logs[org] = PublicationLog(instance: built.instance, base: built.serial) }
            return
        }
        log.record(from: previous.body, to: built.body)
        logs[org] = log
    }

    /// What a node holding publication `since` of `instance` needs to reach the org's latest
    /// publication (`published`, or a newer one built meanwhile): the signed delta, made with `sign`
    /// once per starting serial, and the publication it leads to. Nil when the log does not cover
    /// `since` (the node must fetch the full snapshot).
    func delta(org: String, since: Int64, instance: String, to published: PublishedSnapshot,
               sign: @Sendable (SnapshotDelta) async throws -> Data) async throws -> (Data, PublishedSnapshot)? {
        // Under a burst of writes a newer publication may have been built since the caller got
        // `published`: lead there (the log is about the newest), rather than send the node away.
        guard let target = latest[org]?.snapshot, target.serial >= published.serial, target.instance == instance,
              let log = logs[org], log.instance == instance, log.latest == target.serial, since < target.serial,
              let changes = log.changes(since: since) else { return nil }
        if let kept = deltas[org], kept.serial == target.serial, let data = kept.bySince[since] { return (data, target) }
        let delta = SnapshotDelta.touching(changes, fromSerial: since, to: target.body, targetKey: target.publicKey,
                                           targetSignature: target.signature)
        let data = try await sign(delta)
        if deltas[org]?.serial != target.serial { deltas[org] = (target.serial, [:]) }
        deltas[org]?.bySince[since] = data
        return (data, target)
    }

    /// The log's bounds for an org, for tests and `/metrics`.
    func logBounds(org: String) -> (base: Int64, latest: Int64, steps: Int)? {
        logs[org].map { ($0.base, $0.latest, $0.steps.count) }
    }
}
