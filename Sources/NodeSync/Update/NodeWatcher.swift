// `sunk-bridge sync --watch`: one long-poll open on the receiver's change feed, each delta applied
// as one generation with every check a sync makes.
import Foundation
import SunkSnapshot
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Keeps a node current within seconds: a full sync first, then the change feed from the serial the
/// node holds. Every delta becomes the snapshot it signs for and goes through `NodeSyncer` like a
/// downloaded one (signature, node policy and floor, guards, one generation, lock actions, sudo).
/// A 410, a refused delta, or a failed run ("in doubt") make the next step a full sync; connection
/// failures are retried with exponential backoff and jitter, and the delta covers what was missed.
/// The timer's `sync` stays the backstop: both take the node's sync lock.
public struct NodeWatcher: Sendable {
    public let source: HTTPSnapshotSource
    public let options: SyncOptions
    /// Seconds the receiver may hold each request (it caps them at 300). Below the idle timeout of
    /// any proxy in front of the receiver (nginx's default `proxy_read_timeout` is 60 s).
    public var wait: Int
    public var backoff: Backoff
    /// Where progress lines go (the journal).
    public var log: @Sendable (String) -> Void

    public init(source: HTTPSnapshotSource, options: SyncOptions, wait: Int = 50, backoff: Backoff = Backoff(),
                log: @escaping @Sendable (String) -> Void) {
        self.source = source
        self.options = options
        self.wait = wait
        self.backoff = backoff
        self.log = log
    }

    /// Exponential backoff with jitter: attempt n waits a random time in [½, 1] × min(max, initial × 2ⁿ⁻¹),
    /// so nodes that lost the receiver together do not come back together.
    public struct Backoff: Sendable {
        public var initial: Double = 1
        public var maximum: Double = 60

        public init(initial: Double = 1, maximum: Double = 60) {
            self.initial = initial
            self.maximum = maximum
        }

        public func delay(attempt: Int) -> Double {
            let ceiling = min(maximum, initial * pow(2, Double(max(0, attempt - 1))))
            return Double.random(in: (ceiling / 2)...ceiling)
        }
    }

    /// Runs until the task is cancelled (SIGTERM in the CLI).
    public func run() async throws(SyncError) {
        guard let trust = options.trust else {
            throw .usage("--watch applies signed snapshots and deltas only: give --trust-key FILE (node.trustKeyFile)")
        }
        guard source.changesURL != nil else {
            throw .usage("--watch needs --from https://HOST/scim/ORG/export/v1/snapshot (the change feed is beside it); got \(source.url)")
        }
        let paths = NodePaths(root: options.root)
        try SystemCall.makeDirectories(paths.stateDirectory)
        var status = WatchState(pid: getpid(), startedAt: options.now())
        var needFull = true
        var failures = 0
        log("watch: following \(source.changesURL ?? source.url) (requests held up to \(wait) s)")
        while !Task.isCancelled {
            do throws(SyncError) {
                if needFull {
                    status.connection = .fullSync
                    record(&status, paths)
                    let report = try await NodeSyncer(source: source, options: options).run()
                    status.fullSyncs += 1
                    applied(report, via: "full sync", &status)
                    needFull = false
                }
                guard let state = try SyncState.load(paths), let serial = state.serial else {
                    needFull = true
                    throw .fetch(url: source.url, reason: "the node holds no snapshot to continue from")
                }
                status.since = serial
                status.connection = .waiting
                record(&status, paths)
                switch try await source.changes(since: serial, instance: state.instance, wait: wait) {
                case .notModified:
                    break
                case .gone(let reason):
                    log("watch: full snapshot needed: \(reason)")
                    needFull = true
                case .delta(let data, let etag):
                    status.connection = .applying
                    record(&status, paths)
                    // Read only now, not for every 304: at 100k users the kept snapshot is tens of MB. If a
                    // timer sync moved the node on meanwhile, the delta no longer continues it and is refused.
                    guard let base = try SystemCall.read(paths.lastSnapshot) else {
                        needFull = true
                        throw .fetch(url: source.url, reason: "the node holds no snapshot to continue from")
                    }
                    let delta = DeltaSnapshotSource(delta: data, base: Data(base), etag: etag, origin: source, trust: trust)
                    do throws(SyncError) {
                        let report = try await NodeSyncer(source: delta, options: options).run()
                        status.deltasApplied += 1
                        applied(report, via: "delta from serial \(serial), \(data.count) bytes", &status)
                    } catch .snapshot(let refusal) {
                        log("watch: delta refused (\(refusal)); fetching the full snapshot")
                        needFull = true
                    }
                }
                failures = 0
                status.lastError = nil
            } catch {
                if case .locked = error {
                    // The timer's sync is running: it brings the node up to date; ask again shortly.
                    try? await Task.sleep(for: .milliseconds(500))
                    continue
                }
                failures += 1
                status.failures += 1
                status.lastError = error.description
                // A failed run leaves the node in doubt: the next step is a full sync. A failed
                // request does not: the next delta covers what was missed.
                if !Self.isConnectionFailure(error) { needFull = true }
                let delay = backoff.delay(attempt: failures)
                status.connection = .backoff
                status.retryAt = options.now().addingTimeInterval(delay)
                record(&status, paths)
                log("watch: \(error) (attempt \(failures); retrying in \(String(format: "%.1f", delay)) s)")
                try? await Task.sleep(for: .milliseconds(Int(delay * 1000)))
            }
        }
        status.connection = .connecting
        record(&status, paths)
    }

    private func applied(_ report: SyncReport, via: String, _ status: inout WatchState) {
        let now = options.now()
        if report.result == .applied || status.lastChangeSerial != report.serial {
            status.lastChangeSerial = report.serial
            status.lastChangeAt = now
        }
        if report.result == .applied, let published = report.publishedAt {
            status.lastLagSeconds = max(0, now.timeIntervalSince(published))
        }
        status.since = report.serial
        log("watch: \(report.summary) (\(via))")
        for record in report.lockActions { log("watch: \(record.line)") }
    }

    private func record(_ status: inout WatchState, _ paths: NodePaths) {
        status.updatedAt = options.now()
        if status.connection != .backoff { status.retryAt = nil }
        try? status.save(paths)
    }

    /// Failures of the request itself (the receiver unreachable, a proxy's 5xx), not of the node.
    static func isConnectionFailure(_ error: SyncError) -> Bool {
        switch error {
        case .fetch: return true
        case .http(_, let status, _): return status >= 500 || status == 429
        default: return false
        }
    }
}
