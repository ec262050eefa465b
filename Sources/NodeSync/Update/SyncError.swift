// Why a sync did not apply. Each message says what to check.
import SunkSnapshot

/// A sync that stopped. For every case the node's NSS files and keys cache are left exactly as they
/// were (except a `.sudoers` failure of the sudo step, which comes after the commit and says so); the message is recorded as `lastError` in the state file and shown by `sunk-bridge status`.
public enum SyncError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Another `sunk-bridge sync` holds the lock.
    case locked(path: String)
    /// The command line or a configuration value is unusable.
    case usage(String)
    /// The token file is missing, unsafe or empty.
    case tokenFile(path: String, reason: String)
    /// The server could not be reached or the transfer failed.
    case fetch(url: String, reason: String)
    /// The server answered with an HTTP error.
    case http(url: String, status: Int, detail: String)
    /// The snapshot itself was refused (format, digest, truncation, invalid entry).
    case snapshot(SnapshotError)
    /// A node file needed for the local floor (`/etc/passwd`, `/etc/group`, `/etc/shells`) is unusable.
    case localFile(path: String, reason: String)
    /// The snapshot has no users while the node's files have some.
    case emptySnapshot(currentUsers: Int)
    /// More users would be removed than `--max-delete-percent` allows.
    case tooManyRemovals(removing: Int, current: Int, allowed: Int, percent: Int)
    /// A system call failed while reading or writing node files.
    case io(operation: String, path: String, errno: Int32)
    /// Writing the keys cache failed.
    case keysCache(String)
    /// The snapshot is older than the one applied from the same database instance.
    case rollback(instance: String, offered: Int64, applied: Int64)
    /// Mass changes held for the operator (`SyncGuards.heldChanges`): one line per kind.
    case held([String])
    /// The node's sudo rule (`--sudo-group`) is refused on this node (nothing written), or could not
    /// be installed after the NSS files were committed (the message says they were applied; the
    /// sudoers file is left as it was).
    case sudoers(String)

    public var description: String {
        switch self {
        case .locked(let path):
            return "another sunk-bridge sync is running (lock \(path) is held); try again later"
        case .usage(let message):
            return message
        case .tokenFile(let path, let reason):
            return "token file \(path): \(reason)"
        case .fetch(let url, let reason):
            return "cannot fetch snapshot from \(url): \(reason); node files unchanged"
        case .http(let url, let status, let detail):
            let hint: String
            switch status {
            case 401, 403: hint = " (check the node token and its scope)"
            case 404: hint = " (check the org name in the URL)"
            default: hint = ""
            }
            return "server answered HTTP \(status) for \(url)\(hint)\(detail.isEmpty ? "" : ": " + detail); node files unchanged"
        case .snapshot(let error):
            return "\(error); node files unchanged"
        case .localFile(let path, let reason):
            return "local file \(path): \(reason); node files unchanged"
        case .emptySnapshot(let current):
            return "refusing an empty snapshot: the node currently has \(current) users from the identity provider; node files unchanged"
        case .tooManyRemovals(let removing, let current, let allowed, let percent):
            return "refusing to remove \(removing) of \(current) users (limit \(allowed): --max-delete-percent \(percent), at least 5); run once with a higher --max-delete-percent (or `sunk-bridge sync --accept-changes`) if this is intended; node files unchanged"
        case .io(let operation, let path, let code):
            return "\(operation) \(path) failed: \(SystemCall.message(code)) (errno \(code))"
        case .keysCache(let message):
            return "keys cache not updated: \(message)"
        case .rollback(let instance, let offered, let applied):
            return "refusing snapshot serial \(offered): this node applied serial \(applied) from the same receiver database (instance \(instance)); a restored backup or a replayed document goes back in time. If the receiver was restored on purpose, run `sunk-bridge sync --accept-rollback` once; node files unchanged"
        case .held(let lines):
            return "holding mass changes: " + lines.joined(separator: "; ")
                + "; if this is intended, run `sunk-bridge sync --accept-changes` once; node files unchanged"
        case .sudoers(let message):
            return "sudoers: \(message)"
        }
    }

    /// The process exit status for `sunk-bridge sync`: 75 (EX_TEMPFAIL) when locked, else 1.
    public var exitCode: Int32 {
        if case .locked = self { return 75 }
        return 1
    }
}
