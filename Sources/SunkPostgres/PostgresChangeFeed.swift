import Foundation
import PostgresNIO
import SunkStore

/// Serial changes between receivers: every mutation that moves an org's serial sends
/// `NOTIFY sunk_bridge_serial, 'SERIAL ORG'` in its own transaction (delivered at commit, never
/// for a rollback), and the store's one listening connection (`PostgresListener`) hands each to
/// the `serials(org:)` streams of that org, so a receiver learns of a write through any other
/// receiver (or the CLI) as it commits.
enum PostgresChangeFeed {
    static let channel = "sunk_bridge_serial"

    static func payload(org: String, serial: Int64) -> String { "\(serial) \(org)" }

    static func parse(_ payload: String) -> (org: String, serial: Int64)? {
        guard let space = payload.firstIndex(of: " "), let serial = Int64(payload[..<space]) else { return nil }
        return (String(payload[payload.index(after: space)...]), serial)
    }
}

extension PostgresStore {
    /// The org's serial now, then each new one as its transaction commits, from whichever
    /// receiver. The serial is read again whenever notifications may have been missed (once
    /// `LISTEN` is in place, and while the listening connection is down), so no change falls
    /// in between; older or repeated values are dropped, and a slow consumer sees the latest.
    /// The stream ends only with `.orgNotFound` (or an error) on its first read, or when the
    /// store closes.
    public func serials(org name: String) -> AsyncThrowingStream<Int64, any Error> {
        AsyncThrowingStream(bufferingPolicy: .bufferingNewest(1)) { continuation in
            let (id, events) = self.listener.subscribe(org: name)
            let task = Task {
                do {
                    var last = try await self.org(named: name).serial
                    continuation.yield(last)
                    for await event in events {
                        let serial: Int64
                        switch event {
                        case .changed(let changed): serial = changed
                        case .reread:
                            // The database may be the thing that is down: keep the last, try again.
                            guard let read = try? await self.org(named: name).serial else { continue }
                            serial = read
                        }
                        guard serial > last else { continue }
                        last = serial
                        continuation.yield(last)
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in
                task.cancel()
                self.listener.unsubscribe(id)
            }
        }
    }
}
