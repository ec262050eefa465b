import Foundation
import Synchronization

/// Assertion IDs already accepted, each kept until its assertion can no longer be valid
/// (NotOnOrAfter plus the skew), so a captured response cannot be posted twice. Bounded: when full
/// of unexpired IDs it refuses new ones rather than forgetting one (forgetting would allow a replay).
public final class ReplayCache: Sendable {
    private let entries = Mutex([String: Date]())
    private let capacity: Int

    public init(capacity: Int = 100_000) { self.capacity = max(1, capacity) }

    func contains(_ id: String, now: Date) -> Bool {
        entries.withLock { e in e[id].map { $0 > now } ?? false }
    }

    enum Outcome: Equatable { case remembered, seen, full }

    /// Records `id` until `until`, atomically: `.seen` when it is already there.
    func remember(_ id: String, until: Date, now: Date) -> Outcome {
        entries.withLock { e in
            if let kept = e[id], kept > now { return .seen }
            if e.count >= capacity { e = e.filter { $0.value > now } }
            guard e.count < capacity else { return .full }
            e[id] = until
            return .remembered
        }
    }

    public var count: Int { entries.withLock { $0.count } }
}
