// `sunk-bridge status`: is this node's copy fresh, and what was skipped.
import Foundation
import SunkModel

/// The verdict on a node's sync state, for people and for monitoring.
public struct StatusReport: Sendable {
    public enum Verdict: String, Sendable {
        /// Last attempt succeeded within `maxAge`.
        case fresh
        /// Last success is older than `maxAge`.
        case stale
        /// The last attempt failed (the node still serves its last good files).
        case failing
        /// No successful sync on record.
        case neverSynced

        /// 0 fresh, 1 stale or failing, 2 never synced.
        public var exitCode: Int32 {
            switch self {
            case .fresh: return 0
            case .stale, .failing: return 1
            case .neverSynced: return 2
            }
        }
    }

    public let state: SyncState?
    public let verdict: Verdict
    /// Seconds since the last success, when there was one.
    public let age: Int?
    public let maxAge: Int
    /// When the report was made (the watcher's uptime is measured to it).
    public let now: Date

    public init(state: SyncState?, now: Date, maxAge: Int) {
        self.state = state
        self.now = now
        self.maxAge = maxAge
        let age = state?.lastSuccess.map { Int(now.timeIntervalSince($0).rounded(.down)) }
        self.age = age
        if let age, let state {
            if state.lastResult == .failed { verdict = .failing }
            else if age > maxAge { verdict = .stale }
            else { verdict = .fresh }
        } else {
            verdict = .neverSynced
        }
    }

    /// Human-readable lines.
    public var text: String {
        guard let state else { return "never synced: no state file (run sunk-bridge sync)\n" }
        var out = ""
        if let age, let success = state.lastSuccess {
            out += "last success: \(Self.iso(success)) (\(Self.duration(age)) ago; max age \(Self.duration(maxAge)))\n"
        } else {
            out += "last success: never\n"
        }
        if let attempt = state.lastAttempt {
            out += "last attempt: \(Self.iso(attempt)) \(state.lastResult?.rawValue ?? "unknown")\n"
        }
        if let error = state.lastError { out += "last error: \(Self.clean(error))\n" }
        if let held = state.held, !held.isEmpty {
            out += "held (node files unchanged; `sunk-bridge sync --accept-changes` applies them once):\n"
            for line in held { out += "  \(Self.clean(line))\n" }
        }
        if let serial = state.serial {
            out += "snapshot: org \(Self.clean(state.org ?? "?")) serial \(serial) \(state.digest ?? "")\n"
        }
        if let instance = state.instance { out += "receiver database instance: \(Self.clean(instance))\n" }
        else if state.serial != nil { out += "signature: none (unsigned snapshot from a local source)\n" }
        if let change = state.instanceChange { out += "note: \(Self.clean(change))\n" }
        if let source = state.source { out += "source: \(Self.clean(source))\n" }
        if let watch = state.watch { out += watch.line(now: now) + "\n" }
        if let format = state.format { out += "format: \(format.rawValue)\n" }
        if let generation = state.generation { out += "generation: \(Self.clean(generation))\n" }
        if let c = state.counts {
            out += "users: \(c.users) (\(c.lockedUsers) locked), groups: \(c.groups) (\(c.userPrivateGroups) user-private), "
                + "skipped: \(c.skipped), shell fallbacks: \(c.shellFallbacks)\n"
        }
        if let sudo = state.sudoers {
            out += "sudo: \(Self.clean(sudo.summary))\n"
            for warning in sudo.warnings { out += "  warning: \(Self.clean(warning))\n" }
        }
        if let actions = state.lockActions, !actions.isEmpty {
            out += "lock actions (latest \(actions.count)):\n"
            for record in actions { out += "  \(Self.iso(record.time)) \(Self.clean(record.line))\n" }
        }
        if !state.skipped.isEmpty {
            out += "skipped:\n"
            for s in state.skipped {
                let who = s.name.map { "\($0) " } ?? ""
                out += "  \(s.kind.rawValue) \(Self.clean(who))(\(Self.clean(s.userName)), SCIM id \(Self.clean(s.id))) "
                    + "[\(s.origin.rawValue)]: \(Self.clean(s.reason))\n"
            }
        }
        out += "status: \(verdict.rawValue)\n"
        return out
    }

    /// The state plus the verdict, as JSON (`status --json`).
    public var json: String {
        struct Wire: Encodable {
            var verdict: String
            var ageSeconds: Int?
            var maxAgeSeconds: Int
            var state: SyncState?
        }
        let encoder = SyncState.encoder()
        let data = (try? encoder.encode(Wire(verdict: verdict.rawValue, ageSeconds: age, maxAgeSeconds: maxAge,
                                             state: state))) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    static func iso(_ date: Date) -> String {
        ISO8601DateFormatter().string(from: date)
    }

    static func duration(_ seconds: Int) -> String {
        if seconds < 120 { return "\(seconds) s" }
        if seconds < 7200 { return "\(seconds / 60) min" }
        if seconds < 172_800 { return "\(seconds / 3600) h" }
        return "\(seconds / 86400) d"
    }

    /// Remote text escaped (`Printable.escaped`), so a status line cannot be forged.
    static func clean(_ s: String) -> String { Printable.escaped(s) }
}
