// What the node applied and what its latest sync did, for `sunk-bridge status`: the current
// generation's `state.json` merged with `last-run.json`.
import Foundation

/// The node's sync state. Success fields (org, serial, digest, etag, source, format, counts,
/// skipped) describe the applied snapshot and are stored in the generation's `state.json`, so they
/// always name the files beside them; `lastAttempt`, `lastResult`, `lastError` and `lastSuccess`
/// describe the latest run and are stored in `last-run.json` (`LastRun`). `load` merges the two.
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

        /// The counts of a plan.
        public init(_ plan: NodePlan) {
            self.init(users: plan.users.count, lockedUsers: plan.lockedUsers, groups: plan.groups.count,
                      userPrivateGroups: plan.userPrivateGroups, skipped: plan.skipped.count,
                      shellFallbacks: plan.shellFallbacks)
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
    /// The generation `current` points at (filled in by `load`; never stored in a state file).
    public var generation: String?
    /// The mass changes the guards held on the last attempt (one line per kind; empty or nil when
    /// none): applied only by `sunk-bridge sync --accept-changes`.
    public var held: [String]?
    /// What the latest run's sudo step did (`/etc/sudoers.d/sunk-bridge`); stored in `last-run.json`.
    public var sudoers: SudoersOutcome?

    /// The latest lock actions (`lock-actions.log.json`, filled in by `load`; never stored in a
    /// state file).
    public var lockActions: [LockActionRecord]?
    /// What `sync --watch` is doing (`watch.json`, filled in by `load`; never stored in a state file).
    public var watch: WatchState?
    /// `NodeFingerprint` after the last successful run (per run: `last-run.json`).
    public var fingerprint: String?

    public init() { skipped = [] }

    /// The current generation's `state.json` merged with `last-run.json`; nil when the node never
    /// synced. A `state.json` of the layout before generations (a regular file with the per-run fields
    /// too) reads the same way; `last-run.json`, when present, has the last word on the per-run fields.
    public static func load(_ paths: NodePaths) throws(SyncError) -> SyncState? {
        var state: SyncState?
        if let bytes = try SystemCall.read(paths.stateFile) {
            do {
                state = try decoder().decode(SyncState.self, from: Data(bytes))
            } catch {
                throw .localFile(path: paths.stateFile, reason: "unreadable state (\(error)); delete it to start afresh")
            }
        }
        let run = try LastRun.load(paths)
        if state == nil && run == nil { return nil }
        var merged = state ?? SyncState()
        if let run {
            merged.lastAttempt = run.lastAttempt
            merged.lastResult = run.lastResult
            merged.lastError = run.lastError
            merged.lastSuccess = run.lastSuccess
            merged.held = run.held
            merged.sudoers = run.sudoers
            merged.fingerprint = run.fingerprint
        }
        merged.generation = GenerationStore.currentName(paths)
        if let log = try? LockActions.loadLog(paths), !log.isEmpty { merged.lockActions = Array(log.suffix(20)) }
        merged.watch = WatchState.load(paths)
        return merged
    }

    /// What a generation's `state.json` holds: this state without the per-run fields.
    public var generationRecord: SyncState {
        var record = self
        record.lastAttempt = nil
        record.lastResult = nil
        record.lastError = nil
        record.lastSuccess = nil
        record.held = nil
        record.sudoers = nil
        record.generation = nil
        record.lockActions = nil
        record.watch = nil
        record.fingerprint = nil
        return record
    }

    /// The bytes of a generation's `state.json` (per-run fields left out; pretty, sorted keys).
    public func generationFileBytes() throws(SyncError) -> [UInt8] {
        do {
            return Array(try Self.encoder().encode(generationRecord)) + [UInt8(ascii: "\n")]
        } catch {
            throw .localFile(path: "state.json", reason: "cannot encode state: \(error)")
        }
    }

    /// The per-run fields of this state.
    public var lastRun: LastRun {
        LastRun(lastAttempt: lastAttempt, lastResult: lastResult, lastError: lastError, lastSuccess: lastSuccess,
                held: held, sudoers: sudoers, fingerprint: fingerprint)
    }

    static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        e.dateEncodingStrategy = .iso8601
        return e
    }

    /// A state record (`last-run.json`, `watch.json`) as the state files are written: pretty, sorted
    /// keys, a final newline, replaced atomically, 0644.
    static func writeRecord<Record: Encodable>(_ record: Record, to path: String, what: String) throws(SyncError) {
        let data: Data
        do {
            data = try encoder().encode(record)
        } catch {
            throw .localFile(path: path, reason: "cannot encode \(what): \(error)")
        }
        try AtomicFileWriter.write(Array(data) + [UInt8(ascii: "\n")], to: path, attributes: FileAttributes(mode: 0o644))
    }

    static func decoder() -> JSONDecoder {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .iso8601
        return d
    }
}

/// `<root>/var/lib/sunk-bridge/last-run.json`: the outcome of the latest run, written (atomically)
/// by every run, including runs that change no file and runs that fail.
public struct LastRun: Codable, Equatable, Sendable {
    public var lastAttempt: Date?
    public var lastResult: SyncState.Result?
    public var lastError: String?
    public var lastSuccess: Date?
    /// The mass changes the guards held on this run (`SyncState.held`).
    public var held: [String]?
    /// What this run's sudo step did (`SyncState.sudoers`); nil when it did not get that far.
    public var sudoers: SudoersOutcome?
    /// `NodeFingerprint` after this run when it succeeded: the next 304 with the same one is done at once.
    public var fingerprint: String?

    public init(lastAttempt: Date? = nil, lastResult: SyncState.Result? = nil, lastError: String? = nil,
                lastSuccess: Date? = nil, held: [String]? = nil, sudoers: SudoersOutcome? = nil,
                fingerprint: String? = nil) {
        self.lastAttempt = lastAttempt
        self.lastResult = lastResult
        self.lastError = lastError
        self.lastSuccess = lastSuccess
        self.held = held
        self.sudoers = sudoers
        self.fingerprint = fingerprint
    }

    /// nil when the file does not exist.
    public static func load(_ paths: NodePaths) throws(SyncError) -> LastRun? {
        guard let bytes = try SystemCall.read(paths.lastRunFile) else { return nil }
        do {
            return try SyncState.decoder().decode(LastRun.self, from: Data(bytes))
        } catch {
            throw .localFile(path: paths.lastRunFile, reason: "unreadable last run (\(error)); delete it to start afresh")
        }
    }

    /// Replaces `last-run.json` atomically (0644).
    public func save(_ paths: NodePaths) throws(SyncError) {
        try SyncState.writeRecord(self, to: paths.lastRunFile, what: "last run")
    }
}
