// Which POSIX groups become Slurm accounts, and what happens to users who leave: the cluster's
// decision (`slurm.accounts` in the configuration, or `slurm sync` flags), never the snapshot's.

/// What `slurm sync` does with a user who is locked or no longer in the snapshot.
public enum SlurmRemoval: String, Sendable, Equatable, CaseIterable {
    /// `MaxSubmitJobs=0` on the user's managed associations: no new jobs; running jobs stay
    /// (or are cancelled with `--cancel-jobs`).
    case block
    /// The user's managed associations are deleted.
    case delete
}

/// The cluster's rules for turning groups into accounts.
public struct SlurmAccountRules: Sendable, Equatable {
    /// Groups named `PREFIX<account>` become account `<account>` (`--account-group-prefix slurm-`).
    public var groupPrefix: String?
    /// Explicit group → account maps (`--map-account hpc-research-eu=research`); they win over the prefix.
    public var maps: [String: String]
    /// The parent of every account created (default `root`).
    public var parent: String
    /// An account every active user gets an association with.
    public var defaultAccount: String?
    public var onRemove: SlurmRemoval
    /// With `block`: also cancel the user's jobs in the managed accounts (`scancel --user --account`).
    public var cancelJobs: Bool
    /// The cluster whose associations are managed (`--cluster`); nil uses sacctmgr's own default
    /// and refuses when slurmdbd holds several clusters.
    public var cluster: String?

    public init(groupPrefix: String? = nil, maps: [String: String] = [:], parent: String = "root",
                defaultAccount: String? = nil, onRemove: SlurmRemoval = .block, cancelJobs: Bool = false,
                cluster: String? = nil) {
        self.groupPrefix = groupPrefix
        self.maps = maps
        self.parent = parent
        self.defaultAccount = defaultAccount
        self.onRemove = onRemove
        self.cancelJobs = cancelJobs
        self.cluster = cluster
    }

    /// Refuses rules that could not be turned into safe `sacctmgr` arguments.
    public func validate() throws(SlurmSyncError) {
        if groupPrefix == nil && maps.isEmpty && defaultAccount == nil {
            throw .usage("no account rule: give --account-group-prefix PREFIX, --map-account GROUP=ACCOUNT or --default-account ACCOUNT (slurm.accounts in the configuration)")
        }
        if let groupPrefix {
            if groupPrefix.isEmpty || !groupPrefix.unicodeScalars.allSatisfy(SlurmNames.isGroupCharacter) {
                throw .usage("--account-group-prefix \"\(groupPrefix)\": must be a non-empty part of a POSIX group name (a-z, 0-9, _ and -)")
            }
        }
        for (group, account) in maps.sorted(by: { $0.key < $1.key }) {
            if group.isEmpty || !group.unicodeScalars.allSatisfy(SlurmNames.isGroupCharacter) {
                throw .usage("--map-account \(group)=\(account): \"\(group)\" is not a POSIX group name")
            }
            if let reason = SlurmNames.accountProblem(account) {
                throw .usage("--map-account \(group)=\(account): \(reason)")
            }
        }
        if let reason = SlurmNames.accountProblem(parent, allowRoot: true) {
            throw .usage("--parent-account \(parent): \(reason)")
        }
        if let defaultAccount, let reason = SlurmNames.accountProblem(defaultAccount) {
            throw .usage("--default-account \(defaultAccount): \(reason)")
        }
        if let cluster, let reason = SlurmNames.accountProblem(cluster) {
            throw .usage("--cluster \(cluster): \(reason)")
        }
        if cancelJobs && onRemove == .delete {
            throw .usage("--cancel-jobs applies to --on-remove block (deleting an association with running jobs is refused by Slurm)")
        }
    }

    /// The account a group maps to: its explicit map, else the prefix rule, else nil (not an account).
    /// The name is not yet validated.
    public func account(forGroup group: String) -> String? {
        if let mapped = maps[group] { return mapped }
        if let groupPrefix, group.hasPrefix(groupPrefix), group.count > groupPrefix.count {
            return String(group.dropFirst(groupPrefix.count))
        }
        return nil
    }
}

/// The names `slurm sync` passes to sacctmgr. Nothing from the identity provider reaches an argument
/// without passing one of these checks.
public enum SlurmNames {
    /// The longest account name accepted (Slurm stores them in a tinytext; keep them short and portable).
    public static let maxAccountLength = 64

    static func isGroupCharacter(_ c: Unicode.Scalar) -> Bool {
        (c >= "a" && c <= "z") || (c >= "0" && c <= "9") || c == "_" || c == "-"
    }

    /// Nil when `name` is a safe Slurm account name: 1–64 of `a-z 0-9 _ -`, starting with a letter
    /// or digit, and not `root` (the tree's root account, which sunk-bridge never manages) unless
    /// `allowRoot` (the parent). Else the reason, for the administrator.
    public static func accountProblem(_ name: String, allowRoot: Bool = false) -> String? {
        if name.isEmpty { return "an account name cannot be empty" }
        if name.utf8.count > maxAccountLength { return "account name \"\(name)\" is longer than \(maxAccountLength) characters" }
        guard name.unicodeScalars.allSatisfy(isGroupCharacter) else {
            return "account name \"\(name)\" may only hold lowercase letters, digits, _ and - (Slurm lowercases names and treats spaces, commas, quotes and = as syntax)"
        }
        if name.hasPrefix("-") || name.hasPrefix("_") { return "account name \"\(name)\" must start with a letter or digit" }
        if name == "root" && !allowRoot { return "\"root\" is Slurm's root account and is never managed by sunk-bridge" }
        return nil
    }

    /// True for a user name sunk-bridge may pass to sacctmgr (the POSIX rule of SunkModel's
    /// `sunkPosixUsername`: `^[a-z_][a-z0-9_-]{0,31}$`).
    public static func isUserName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, name.utf8.count <= 32 else { return false }
        guard (first >= "a" && first <= "z") || first == "_" else { return false }
        return name.unicodeScalars.allSatisfy(isGroupCharacter)
    }
}
