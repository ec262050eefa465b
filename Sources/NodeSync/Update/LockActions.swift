// Closing the loop on a lock or a removal: after the files that lock a user are committed, end the
// user's sessions and processes on this node (`--terminate-sessions`) and run the operator's hook
// (`--on-lock-exec CMD NAME UID`, e.g. to `scancel --user` their jobs). Off by default.
//
// Once per lock, even across a crash: the accounts a generation closes are written into that
// generation (`lock-actions.json`, committed with the files), and the actions run for the current
// generation until `lock-actions.log.json` says they ran for it.
import Foundation
import SunkModel
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// The node's configuration for locks and removals (never the snapshot's).
public struct LockActionOptions: Sendable, Equatable {
    /// End the user's sessions (systemd-logind when it runs) and then SIGTERM, and after `grace`
    /// SIGKILL, every process of the uid.
    public var terminateSessions: Bool
    /// Program and leading arguments; the POSIX name and uid are appended. nil: no hook.
    public var onLockExec: [String]?
    /// Seconds the hook may run before it is killed.
    public var execTimeout: Int
    /// Seconds between SIGTERM and SIGKILL.
    public var grace: Int

    public init(terminateSessions: Bool = false, onLockExec: [String]? = nil, execTimeout: Int = 30, grace: Int = 5) {
        self.terminateSessions = terminateSessions
        self.onLockExec = onLockExec
        self.execTimeout = execTimeout
        self.grace = grace
    }

    public var isEmpty: Bool { !terminateSessions && onLockExec == nil }
}

/// An account a generation closes: active in the previous files, locked or gone in this one.
public struct ClosingAccount: Codable, Equatable, Sendable {
    public enum Change: String, Codable, Sendable { case locked, removed }
    public var name: String
    public var uid: UInt32
    public var change: Change

    public init(name: String, uid: UInt32, change: Change) {
        self.name = name
        self.uid = uid
        self.change = change
    }
}

/// What was done for one closed account, kept for `status`.
public struct LockActionRecord: Codable, Equatable, Sendable {
    public var time: Date
    public var generation: String
    public var name: String
    public var uid: UInt32
    public var change: ClosingAccount.Change
    /// What ending the sessions did (`logind: …; signalled N processes`), nil when not configured.
    public var sessions: String?
    /// The hook's outcome (`exit 0`, `exit 3: …`, `timed out after 30 s`), nil when not configured.
    public var exec: String?

    /// One line for logs and `status`.
    public var line: String {
        var text = "\(change.rawValue) \(name) (uid \(uid)), generation \(generation)"
        if let sessions { text += "; sessions: \(sessions)" }
        if let exec { text += "; on-lock-exec: \(exec)" }
        return text
    }
}

public enum LockActions {
    static let pendingFile = "lock-actions.json"
    /// Records kept in the log (the newest).
    static let kept = 500

    /// Users active in `current` that `plan` locks or no longer writes.
    public static func closing(current: CurrentAccounts, plan: NodePlan) -> [ClosingAccount] {
        let planned = Dictionary(plan.users.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var out: [ClosingAccount] = []
        for name in current.names {
            guard let before = current.accounts[name], !before.locked else { continue }
            if let after = planned[name] {
                if after.locked && after.uid == before.uid { out.append(ClosingAccount(name: name, uid: before.uid, change: .locked)) }
            } else {
                out.append(ClosingAccount(name: name, uid: before.uid, change: .removed))
            }
        }
        return out
    }

    /// The file a generation carries when it closes accounts; nil when it closes none or no action
    /// is configured.
    static func pendingFile(_ closing: [ClosingAccount], options: LockActionOptions) throws(SyncError) -> GenerationFile? {
        guard !closing.isEmpty, !options.isEmpty else { return nil }
        let bytes: Data
        do { bytes = try SyncState.encoder().encode(closing) } catch {
            throw .localFile(path: pendingFile, reason: "cannot encode the accounts to close: \(error)")
        }
        return GenerationFile(name: pendingFile, contents: Array(bytes) + [UInt8(ascii: "\n")],
                              attributes: FileAttributes(mode: 0o600))
    }

    /// Runs the actions the current generation still owes (none when they ran already, or when it
    /// closes nobody), records them and returns the new records. Accounts of uid 0 or of a local
    /// account in /etc/passwd are never touched.
    public static func runPending(paths: NodePaths, options: LockActionOptions, local: LocalAccounts,
                                  now: Date) throws(SyncError) -> [LockActionRecord] {
        guard !options.isEmpty, let generation = GenerationStore.currentName(paths),
              let bytes = try SystemCall.read(paths.generation(generation) + "/" + pendingFile) else { return [] }
        var log = try loadLog(paths)
        if log.contains(where: { $0.generation == generation }) { return [] }
        let accounts: [ClosingAccount]
        do { accounts = try SyncState.decoder().decode([ClosingAccount].self, from: Data(bytes)) } catch {
            throw .localFile(path: pendingFile, reason: "unreadable (\(error))")
        }
        var records: [LockActionRecord] = []
        for account in accounts {
            var record = LockActionRecord(time: now, generation: generation, name: account.name, uid: account.uid,
                                          change: account.change)
            if account.uid == 0 || local.uids[account.uid] != nil || local.users[account.name] != nil {
                record.sessions = "refused: uid \(account.uid) is root or a local account on this node"
                records.append(record)
                continue
            }
            if options.terminateSessions {
                record.sessions = SessionTerminator.terminate(uid: account.uid, grace: options.grace)
            }
            if let command = options.onLockExec {
                record.exec = HookRunner.run(command + [account.name, String(account.uid)], timeout: options.execTimeout)
            }
            records.append(record)
        }
        log.append(contentsOf: records)
        try saveLog(Array(log.suffix(kept)), paths)
        return records
    }

    public static func loadLog(_ paths: NodePaths) throws(SyncError) -> [LockActionRecord] {
        guard let bytes = try SystemCall.read(paths.lockActionsLog) else { return [] }
        do { return try SyncState.decoder().decode([LockActionRecord].self, from: Data(bytes)) } catch {
            throw .localFile(path: paths.lockActionsLog, reason: "unreadable lock-action log (\(error)); delete it to start afresh")
        }
    }

    static func saveLog(_ log: [LockActionRecord], _ paths: NodePaths) throws(SyncError) {
        let data: Data
        do { data = try SyncState.encoder().encode(log) } catch {
            throw .localFile(path: paths.lockActionsLog, reason: "cannot encode the lock-action log: \(error)")
        }
        try AtomicFileWriter.write(Array(data) + [UInt8(ascii: "\n")], to: paths.lockActionsLog,
                                   attributes: FileAttributes(mode: 0o600))
    }
}
