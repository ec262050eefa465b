// `<root>/var/lib/sunk-bridge/state.json`: what the last sync did, for `sunk-bridge status`.
import Foundation

/// The node's sync state. Success fields describe the last applied snapshot; `lastAttempt`,
/// `lastResult` and `lastError` describe the latest run.
public struct SyncState: Codable, Equatable, Sendable {
    public struct Counts: Codable, Equatable, Sendable {
        public var users: Int
        public var lockedUsers: Int
        public var groups: Int
        public var userPrivateGroups: Int
        public var skipped: Int
        public var shellFallbacks: Int

        public init(users: Int = 0, lockedUsers: Int = 0, groups: Int = 0, userPrivateGroups: Int = 0,
                    skipped: Int = 0, shellFallbacks: Int = 0) {
            self.users = users
            self.lockedUsers = lockedUsers
            self.groups = groups
            self.userPrivateGroups = userPrivateGroups
            self.skipped = skipped
            self.shellFallbacks = shellFallbacks
        }
    }

    /// `applied` (files written), `unchanged` (nothing to write), `notModified` (server said 304),
    /// `failed`.
    public enum Result: String, Codable, Sendable { case applied, unchanged, notModified, failed }

    public var org: String?
    public var serial: Int64?
    /// The instance id of the database that published the applied snapshot (nil when unsigned).
    public var instance: String?
    /// Set when a snapshot from another database instance than the previous one was applied.
    public var instanceChange: String?
    public var digest: String?
    public var etag: String?
    /// Where the snapshot came from (URL or file path).
    public var source: String?
    public var format: NSSFormat?
    public var lastSuccess: Date?
    public var lastAttempt: Date?
    public var lastResult: Result?
    public var lastError: String?
    public var counts: Counts?
    /// The node's own home prefixes of the last applied run (`--home-prefix`), for `doctor`.
    public var homePrefixes: [String]?
    public var skipped: [NodeSkip]
    /// The mass changes the guards held on the last attempt (one line per kind; empty or nil when
    /// none): applied only by `sunk-bridge sync --accept-changes`.
    public var held: [String]?

    public init() { skipped = [] }

    /// Reads the state file; nil when the node never synced.
    public static func load(_ paths: NodePaths) throws(SyncError) -> SyncState? {
        guard let bytes = try SystemCall.read(paths.stateFile) else { return nil }
        do {
            return try decoder().decode(SyncState.self, from: Data(bytes))
        } catch {
            throw .localFile(path: paths.stateFile, reason: "unreadable state (\(error)); delete it to start afresh")
        }
    }

    /// Writes the state file atomically (0644).
    public func save(_ paths: NodePaths) throws(SyncError) {
        try SystemCall.makeDirectories(paths.stateDirectory)
        let data: Data
        do {
            data = try Self.encoder().encode(self)
        } catch {
            throw .localFile(path: paths.stateFile, reason: "cannot encode state: \(error)")
        }
        try AtomicFileWriter.write(Array(data) + [UInt8(ascii: "\n")], to: paths.stateFile,
                                   attributes: FileAttributes(mode: 0o644))
    }

    static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        e.dateEncodingStrategy = .iso8601
        return e
    }

    static func decoder() -> JSONDecoder {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .iso8601
        return d
    }
}
