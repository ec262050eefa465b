import Foundation
import PostgresNIO
import Synchronization

/// The store's one `LISTEN` connection, shared by every `serials(org:)` stream of the process
/// (a stream per watched org would take a pooled connection each). It starts with the first
/// subscriber and stops with the last. When the connection drops (the server restarted, an admin
/// ended the backend), it is re-established after `retryDelay`; until then every subscriber is
/// told to re-read its serial every `retryDelay` (polling in place of notifications), and once
/// more when `LISTEN` is back, so no change is missed across the gap.
final class PostgresListener: Sendable {
    /// What a subscriber is told.
    enum Event: Sendable, Equatable {
        /// A commit moved `serial` of the subscriber's org.
        case changed(Int64)
        /// Notifications may have been missed (first `LISTEN`, the connection lost or regained):
        /// read the serial from the database.
        case reread
    }

    private struct Subscriber {
        var org: String
        var events: AsyncStream<Event>.Continuation
    }

    private struct State {
        var subscribers: [Int: Subscriber] = [:]
        var nextID = 0
        var loop: Task<Void, Never>?
    }

    private let state = Mutex(State())
    private let client: PostgresClient
    private let retryDelay: Duration

    init(client: PostgresClient, retryDelay: Duration = .seconds(1)) {
        self.client = client
        self.retryDelay = retryDelay
    }

    /// Events for `org` until `unsubscribe(id)`; the first is `.reread` once `LISTEN` is in place.
    func subscribe(org: String) -> (id: Int, events: AsyncStream<Event>) {
        let (events, continuation) = AsyncStream.makeStream(of: Event.self, bufferingPolicy: .bufferingNewest(16))
        let id = state.withLock { state in
            let id = state.nextID
            state.nextID += 1
            state.subscribers[id] = Subscriber(org: org, events: continuation)
            if state.loop == nil { state.loop = Task { await self.run() } }
            return id
        }
        return (id, events)
    }

    func unsubscribe(_ id: Int) {
        let (subscriber, loop) = state.withLock { state -> (Subscriber?, Task<Void, Never>?) in
            let subscriber = state.subscribers.removeValue(forKey: id)
            guard state.subscribers.isEmpty, let loop = state.loop else { return (subscriber, nil) }
            state.loop = nil
            return (subscriber, loop)
        }
        subscriber?.events.finish()
        loop?.cancel()
    }

    /// Stops listening for good (the store is closing): every subscriber's events end.
    func stop() {
        let (subscribers, loop) = state.withLock { state -> ([Subscriber], Task<Void, Never>?) in
            defer { state.subscribers = [:]; state.loop = nil }
            return (Array(state.subscribers.values), state.loop)
        }
        loop?.cancel()
        for subscriber in subscribers { subscriber.events.finish() }
    }

    /// Listens until cancelled, reconnecting after every loss.
    private func run() async {
        while !Task.isCancelled {
            do {
                try await client.withConnection { db in
                    try await db.listen(on: PostgresChangeFeed.channel) { notifications in
                        self.broadcast(.reread, org: nil)
                        for try await notification in notifications {
                            guard let change = PostgresChangeFeed.parse(notification.payload) else { continue }
                            self.broadcast(.changed(change.serial), org: change.org)
                        }
                    }
                }
            } catch {
                // Lost, or never made: poll below until LISTEN is back.
            }
            guard !Task.isCancelled else { return }
            broadcast(.reread, org: nil)
            try? await Task.sleep(for: retryDelay)
        }
    }

    /// Sends `event` to the subscribers of `org` (every subscriber when nil).
    private func broadcast(_ event: Event, org: String?) {
        let targets = state.withLock { state -> [AsyncStream<Event>.Continuation] in
            state.subscribers.values.filter { org == nil || $0.org == org }.map(\.events)
        }
        for target in targets { target.yield(event) }
    }
}
