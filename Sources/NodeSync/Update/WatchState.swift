// `<root>/var/lib/sunk-bridge/watch.json`: what `sync --watch` is doing, for `status`.
import Foundation
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// The watcher's connection and progress, rewritten (atomically) at every change of state. It lives
/// outside the generations: it changes without any node file changing.
public struct WatchState: Codable, Equatable, Sendable {
    public enum Connection: String, Codable, Sendable {
        /// Asking the receiver (a new request, after a reconnect or an answer).
        case connecting
        /// A request is held open by the receiver: the node is current as of `since`.
        case waiting
        /// A delta arrived and is being applied.
        case applying
        /// Fetching the full snapshot (at start, after 410, after a refused delta or a failure).
        case fullSync = "full-sync"
        /// The last attempt failed; the next is at `retryAt`.
        case backoff
    }

    public var pid: Int32
    public var connection: Connection
    /// The serial the node holds (what the watcher asks for changes after).
    public var since: Int64?
    public var startedAt: Date
    public var updatedAt: Date
    /// The serial of the last publication applied from a delta or a full sync, and when.
    public var lastChangeSerial: Int64?
    public var lastChangeAt: Date?
    /// Seconds from the publication (its `publishedAt`, whole seconds) to the commit on this node.
    public var lastLagSeconds: Double?
    public var deltasApplied: Int
    public var fullSyncs: Int
    /// Failed attempts since the watcher started (connection errors, refused or failed runs).
    public var failures: Int
    public var lastError: String?
    public var retryAt: Date?

    public init(pid: Int32, startedAt: Date) {
        self.pid = pid
        connection = .connecting
        self.startedAt = startedAt
        updatedAt = startedAt
        deltasApplied = 0
        fullSyncs = 0
        failures = 0
    }

    /// nil when no watcher ever ran on this root.
    public static func load(_ paths: NodePaths) -> WatchState? {
        guard let bytes = try? SystemCall.read(paths.watchFile) else { return nil }
        return try? SyncState.decoder().decode(WatchState.self, from: Data(bytes))
    }

    /// Replaces `watch.json` atomically (0644).
    public func save(_ paths: NodePaths) throws(SyncError) {
        try SyncState.writeRecord(self, to: paths.watchFile, what: "watch state")
    }

    /// Whether the process that wrote this state still runs.
    public var isRunning: Bool { kill(pid, 0) == 0 || errno == EPERM }

    /// One line for `status`.
    public func line(now: Date) -> String {
        guard isRunning else {
            return "watch: not running (last seen \(StatusReport.iso(updatedAt)), pid \(pid))"
        }
        var line = "watch: \(connection.rawValue)"
        if let since { line += " at serial \(since)" }
        line += " (pid \(pid), up \(StatusReport.duration(Int(now.timeIntervalSince(startedAt)))))"
        if let serial = lastChangeSerial, let at = lastChangeAt {
            line += "; last change serial \(serial) at \(StatusReport.iso(at))"
            if let lag = lastLagSeconds { line += String(format: ", %.1f s after publication", lag) }
        }
        line += "; \(deltasApplied) deltas, \(fullSyncs) full syncs, \(failures) failures"
        if let retryAt, connection == .backoff { line += "; retry at \(StatusReport.iso(retryAt))" }
        if let lastError { line += "; last error: \(StatusReport.clean(lastError))" }
        return line
    }
}
