import Foundation
import PostgresNIO
import SunkStore

/// Serial changes between receivers: every mutation that moves an org's serial sends
/// `NOTIFY sunk_bridge_serial, 'SERIAL ORG'` in its own transaction (delivered at commit, never
/// for a rollback), and each `serials(org:)` stream listens on a connection of its own, so a
/// receiver learns of a write through any other receiver (or the CLI) as it commits.
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
    /// receiver. `LISTEN` is in place before the current serial is read, so no change falls in
    /// between; older or repeated values are dropped, and a slow consumer sees the latest.
    public func serials(org name: String) -> AsyncThrowingStream<Int64, any Error> {
        AsyncThrowingStream(bufferingPolicy: .bufferingNewest(1)) { continuation in
            let task = Task {
                do {
                    try await self.withConnection { db in
                        try await db.listen(on: PostgresChangeFeed.channel) { notifications in
                            var last = try await Self.org(db, named: name).serial
                            continuation.yield(last)
                            for try await notification in notifications {
                                guard let change = PostgresChangeFeed.parse(notification.payload), change.org == name,
                                      change.serial > last else { continue }
                                last = change.serial
                                continuation.yield(last)
                            }
                        }
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: Self.mapping(error, location: self.location))
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
