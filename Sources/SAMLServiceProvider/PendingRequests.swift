import Foundation
import Synchronization

/// The AuthnRequest IDs we sent and not yet saw answered, each until it expires. A response's
/// InResponseTo must name one; using it removes it (one response per request). Bounded: when full,
/// the oldest request is forgotten (its sign-in then has to start again).
public final class PendingRequests: Sendable {
    private struct State {
        var expiry: [String: Date] = [:]
        var order: [String] = []
    }
    private let state = Mutex(State())
    private let lifetime: TimeInterval
    private let capacity: Int

    /// `lifetime`: how long a sign-in may take at the IdP (default 10 minutes).
    public init(lifetime: TimeInterval = 600, capacity: Int = 10_000) {
        self.lifetime = lifetime
        self.capacity = max(1, capacity)
    }

    func add(_ id: String, now: Date) {
        state.withLock { s in
            s.expiry = s.expiry.filter { $0.value > now }
            s.order.removeAll { s.expiry[$0] == nil }
            while s.order.count >= capacity { s.expiry[s.order.removeFirst()] = nil }
            s.expiry[id] = now.addingTimeInterval(lifetime)
            s.order.append(id)
        }
    }

    enum Outcome: Equatable { case consumed, unknown, expired }

    /// Removes `id`; says whether it was pending and unexpired.
    func consume(_ id: String, now: Date) -> Outcome {
        state.withLock { s in
            guard let expiry = s.expiry.removeValue(forKey: id) else { return .unknown }
            s.order.removeAll { $0 == id }
            return expiry > now ? .consumed : .expired
        }
    }

    /// How many requests are pending (tests, metrics).
    public var count: Int { state.withLock { $0.expiry.count } }
}
