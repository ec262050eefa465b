// The knobs of one `sunk-bridge sync` run and what it reports back.
import Foundation
import SunkModel
import SunkSnapshot
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Options of one sync run (the flags of `sunk-bridge sync`).
public struct SyncOptions: Sendable {
    /// Prefix of every path read or written (`--root`).
    public var root: String
    public var format: NSSFormat
    /// Removals allowed, in percent of the users currently written (at least `SyncGuards.removalFloor`).
    public var maxDeletePercent: Int
    /// Compute and report the diff; write nothing (not even the state file).
    public var dryRun: Bool
    /// Create missing homes of active users (`--create-homes`).
    public var createHomes: Bool
    /// The node's own home prefixes (`--home-prefix`, `node.homePrefixes`): users whose home is not
    /// strictly below one are skipped, and homes are created only below them. The snapshot's
    /// `policy.homePrefixes` is never used for either.
    public var homePrefixes: [String]
    /// Mode of a newly created home.
    public var homeMode: mode_t
    /// Called after each home checked when creating homes (done, total), e.g. for a progress line.
    public var homeProgress: (@Sendable (Int, Int) -> Void)?
    /// The keys this node trusts to sign snapshots (`--trust-key`). Nil accepts unsigned documents;
    /// only local sources (`--snapshot`, `--db`) may run without it.
    public var trust: TrustedKeys?
    /// Apply a snapshot whose serial is lower than the applied one from the same database instance
    /// (`--accept-rollback`, once, after restoring the receiver from a backup).
    public var acceptRollback: Bool
    /// Apply mass changes the guards hold (removals over the limit, uid/gid changes of existing
    /// names, mass locks, mass key replacement) for this run only (`--accept-changes`).
    public var acceptChanges: Bool
    /// The clock (tests pin it).
    public var now: @Sendable () -> Date
    /// Test seam, nil in production: called before every step that changes a node file (each file
    /// written or linked into a generation, each fsync, the `current` switch, each fixed link, each
    /// removal, last-run.json) with a label such as `write var/lib/sunk-bridge/generations/2/passwd`;
    /// throwing makes the run fail right there, as an I/O error would.
    public var failurePoint: (@Sendable (String) throws(SyncError) -> Void)?
    /// The sudo rule of this node (`--sudo-group`, `--sudo-nopasswd`; `node.sudoGroups`,
    /// `node.sudoNoPassword`): written to `/etc/sudoers.d/sunk-bridge` after the NSS files are
    /// committed; an empty rule removes the file sunk-bridge wrote. Never taken from the snapshot.
    public var sudo: SudoRule
    /// The `visudo` that checks the sudoers file before it is installed; nil looks in `PATH`,
    /// `/usr/sbin` and `/sbin` (`Sudoers.findVisudo`).
    public var visudo: String?
    /// What to do after a lock or removal is committed (`--terminate-sessions`, `--on-lock-exec`).
    public var lockActions: LockActionOptions

    public init(root: String = "/", format: NSSFormat = .extrausers, maxDeletePercent: Int = 10,
                dryRun: Bool = false, createHomes: Bool = false,
                homePrefixes: [String] = SyncOptions.defaultHomePrefixes, homeMode: mode_t = 0o700,
                homeProgress: (@Sendable (Int, Int) -> Void)? = nil, trust: TrustedKeys? = nil,
                acceptRollback: Bool = false, acceptChanges: Bool = false,
                now: @escaping @Sendable () -> Date = { Date() },
                failurePoint: (@Sendable (String) throws(SyncError) -> Void)? = nil,
                sudo: SudoRule = SudoRule(), visudo: String? = nil, lockActions: LockActionOptions = LockActionOptions()) {
        self.root = root
        self.format = format
        self.maxDeletePercent = maxDeletePercent
        self.dryRun = dryRun
        self.createHomes = createHomes
        self.homePrefixes = homePrefixes
        self.homeMode = homeMode
        self.homeProgress = homeProgress
        self.trust = trust
        self.acceptRollback = acceptRollback
        self.acceptChanges = acceptChanges
        self.now = now
        self.failurePoint = failurePoint
        self.sudo = sudo
        self.visudo = visudo
        self.lockActions = lockActions
    }
}

extension SyncOptions {
    /// The node's home prefixes when none are configured: the policy's default.
    public static let defaultHomePrefixes = Policy.defaultHomePrefixes

    /// Checks what the snapshot cannot be trusted to decide: at least one home prefix, each passing
    /// `PosixRules.homePrefix` (never `/` or a system tree such as `/etc`). `.usage` names the problem.
    public func validate() throws(SyncError) {
        if homePrefixes.isEmpty { throw .usage("--home-prefix: at least one home prefix is required") }
        for prefix in homePrefixes {
            do throws(RuleViolation) {
                _ = try PosixRules.homePrefix(prefix, attribute: "--home-prefix")
            } catch {
                throw .usage(error.description)
            }
        }
        for group in sudo.groups {
            do throws(RuleViolation) {
                _ = try Sudoers.validateGroupName(group, attribute: "--sudo-group")
            } catch {
                throw .usage(error.description)
            }
        }
    }
}

/// What a sync run did.
public struct SyncReport: Sendable {
    public enum Result: String, Sendable {
        /// Files were written.
        case applied
        /// Everything already matched the snapshot.
        case unchanged
        /// The server answered 304; the stored snapshot was re-applied (usually writing nothing).
        case notModified
        /// `--dry-run`: nothing was written.
        case dryRun
    }

    public var result: Result
    public var org: String
    public var serial: Int64
    public var digest: String
    public var plan: NodePlan
    /// The fixed paths (below the root) of the NSS files and keys cache whose content differs from the
    /// previous generation, in write order (a changed data file is followed by all its indexes).
    public var writtenFiles: [String]
    /// `--dry-run`: the passwd and group diff.
    public var diff: String
    /// `--dry-run`: the guard that would refuse this snapshot, if any.
    public var refusal: SyncError?
    /// Homes that were created or need attention (`--create-homes`), one line each.
    public var homes: [String]
    /// The generation made current by this run; nil when every file already matched (or dry run).
    public var generation: String?
    /// What the sudo step did (`/etc/sudoers.d/sunk-bridge`); nil on a dry run.
    public var sudoers: SudoersOutcome?
    /// `--dry-run`: the sudo rule's warnings on this snapshot.
    public var sudoWarnings: [String] = []
    /// What `--terminate-sessions` / `--on-lock-exec` did on this run.
    public var lockActions: [LockActionRecord] = []
    /// When the receiver published the applied snapshot (whole seconds).
    public var publishedAt: Date?
    /// The applied snapshot's counts when this run did not plan it (`plan` is empty then): the
    /// receiver answered 304 and the node was already exactly what the snapshot makes it.
    public var counts: SyncState.Counts?

    /// One line for the log: what was applied.
    public var summary: String {
        let p = plan
        let verb: String
        switch result {
        case .applied: verb = "applied"
        case .unchanged: verb = "unchanged"
        case .notModified: verb = "not modified"
        case .dryRun: verb = "dry run"
        }
        let c = counts ?? SyncState.Counts(p)
        return "sync \(verb): org \(org) serial \(serial): \(c.users) users (\(c.lockedUsers) locked), "
            + "\(c.groups) groups (\(c.userPrivateGroups) user-private), \(c.skipped) skipped, "
            + "\(c.shellFallbacks) shell fallbacks; \(writtenFiles.count) files written"
            + (generation.map { "; generation \($0)" } ?? "")
            + (sudoers.map { $0.action == .none ? "" : "; sudo: \($0.summary)" } ?? "")
    }
}
