// The organisation's policy: ranges, prefixes, shells, reserved names, deactivation, key options.
// It belongs to the org on the server and travels in the snapshot.

/// An inclusive range of POSIX ids, `lower...upper`.
public struct IDRange: Codable, Equatable, Hashable, Sendable, CustomStringConvertible {
    public var lower: UInt32
    public var upper: UInt32

    public init(lower: UInt32, upper: UInt32) {
        self.lower = lower
        self.upper = upper
    }

    public init(_ range: ClosedRange<UInt32>) {
        self.init(lower: range.lowerBound, upper: range.upperBound)
    }

    public func contains(_ id: UInt32) -> Bool { lower <= id && id <= upper }

    /// True when every id of `other` is in `self`.
    public func contains(_ other: IDRange) -> Bool { lower <= other.lower && other.upper <= upper }

    public func overlaps(_ other: IDRange) -> Bool { lower <= other.upper && other.lower <= upper }

    /// `"10000–2147483647"` (en dash).
    public var description: String { "\(lower)–\(upper)" }
}

/// What happens to a deactivated user in the node exports.
public enum DeactivationPolicy: String, Codable, Sendable, CaseIterable {
    /// Kept in passwd with `/usr/sbin/nologin` and no keys (files stay owned by a name).
    case lock
    /// Removed from the exports.
    case remove
}

/// Everything an organisation can configure about the POSIX side. Every field has a default, so a
/// partial JSON document decodes (missing fields take the value of `Policy.default`). The fields'
/// names, parsers and optional form are declared once, in `PolicyPatch` and `PolicyField.all`.
public struct Policy: Codable, Equatable, Sendable {
    /// Ids an IdP may send for users (`sunkPosixUserId`). 60000–65535, 0 and ≥ 2^31 are always refused.
    public var userIDRange: IDRange
    /// Ids an IdP may send for groups (`sunkPosixGroupId`) and SCIM groups.
    public var groupIDRange: IDRange
    /// Where missing uids are allocated from (inside `userIDRange`).
    public var allocatedUserIDRange: IDRange
    /// Where SCIM group gids are allocated from (inside `groupIDRange`).
    public var allocatedGroupIDRange: IDRange
    /// Homes must lie strictly below one of these (each passes `PosixRules.homePrefix`: absolute,
    /// normalised, not `/`, outside the system trees). A node creates homes only below its own
    /// prefixes (`sync --home-prefix`), never below these.
    public var homePrefixes: [String]
    /// The login shells an IdP may choose.
    public var shells: [String]
    /// Used when the IdP sends no shell, or a node's /etc/shells lacks the chosen one.
    public var defaultShell: String
    /// User names that are refused (compared case-insensitively).
    public var reservedUserNames: [String]
    /// Group names that are refused (compared case-insensitively).
    public var reservedGroupNames: [String]
    /// CoreWeave console default groups; reserved only when `reserveLegacyConsoleGroups` is true.
    public var legacyConsoleGroupNames: [String]
    public var reserveLegacyConsoleGroups: Bool
    /// Derived group name → POSIX name chosen by the administrator. Targets are validated too.
    public var groupNameMappings: [String: String]
    public var deactivation: DeactivationPolicy
    /// authorized_keys options printed before each key by the helper (for example `restrict`).
    /// Only the options of `Policy.allowedKeyOptions`, comma-separated.
    public var keyOptions: String?
    /// At most this many SSH keys per user.
    public var maxKeys: Int
    /// Longest POSIX user or group name.
    public var nameMaxLength: Int
    /// Smallest accepted RSA modulus, in bits.
    public var minimumRSABits: Int

    public static let defaultUserIDRange = IDRange(lower: 10000, upper: 2_147_483_647)
    public static let defaultGroupIDRange = IDRange(lower: 10000, upper: 2_147_483_647)
    public static let defaultAllocatedUserIDRange = IDRange(lower: 1_000_000, upper: 1_999_999)
    public static let defaultAllocatedGroupIDRange = IDRange(lower: 2_000_000, upper: 2_999_999)
    public static let defaultHomePrefixes = ["/home"]
    public static let defaultShells: [String] = {
        let names = ["sh", "bash", "dash", "zsh", "ksh", "csh", "tcsh", "fish"]
        return names.map { "/bin/" + $0 } + names.map { "/usr/bin/" + $0 }
            + PosixRules.nologinShells
    }()
    public static let defaultDefaultShell = "/bin/bash"
    public static let defaultReservedUserNames = [
        "root", "daemon", "bin", "sys", "sync", "games", "man", "lp", "mail", "news", "uucp", "proxy",
        "www-data", "backup", "list", "irc", "gnats", "nobody", "systemd-network", "systemd-resolve",
        "systemd-timesync", "messagebus", "sshd", "slurm", "munge", "polkitd", "_apt", "syslog", "admin",
        "operator", "halt", "shutdown", "ftp", "postfix", "ntp", "chrony", "dbus", "uuidd", "tss", "lxd",
    ]
    public static let defaultReservedGroupNames = [
        "root", "wheel", "sudo", "adm", "admin", "shadow", "docker", "daemon", "bin", "sys", "tty", "disk",
        "lp", "mail", "kmem", "dialout", "cdrom", "floppy", "audio", "video", "plugdev", "staff", "users",
        "nogroup", "systemd-journal", "ssh", "sshd", "slurm", "munge", "utmp", "operator", "input", "kvm",
        "render", "sgx", "netdev", "lxd",
    ]
    public static let defaultLegacyConsoleGroupNames = ["metrics", "read", "write", "billing_viewer"]
    public static let defaultMaxKeys = 32
    public static let defaultNameMaxLength = 32
    public static let defaultMinimumRSABits = 2048

    /// The authorized_keys options an administrator may put in `keyOptions` (compared
    /// case-insensitively, as sshd does). Each only restricts, or re-allows after `restrict`.
    public static let allowedKeyOptions = [
        "restrict", "no-agent-forwarding", "no-port-forwarding", "no-pty", "no-user-rc",
        "no-X11-forwarding", "port-forwarding", "pty",
    ]

    /// Ids that no range may ever contain: below 1000 (system accounts).
    public static let minimumRangeLowerBound: UInt32 = 1000
    /// The highest id ever accepted (2^31 − 1): libnss-cache indexes do not find larger ids.
    public static let maximumID: UInt32 = 2_147_483_647
    /// Ids Debian and systemd reserve (dynamic users, containers, nobody = 65534): always refused.
    public static let reservedIDs = IDRange(lower: 60000, upper: 65535)
    /// The largest `minimumRSABits` and RSA key size accepted.
    public static let maximumRSABits = 16384

    public static let `default` = Policy()

    public init(
        userIDRange: IDRange = Policy.defaultUserIDRange,
        groupIDRange: IDRange = Policy.defaultGroupIDRange,
        allocatedUserIDRange: IDRange = Policy.defaultAllocatedUserIDRange,
        allocatedGroupIDRange: IDRange = Policy.defaultAllocatedGroupIDRange,
        homePrefixes: [String] = Policy.defaultHomePrefixes,
        shells: [String] = Policy.defaultShells,
        defaultShell: String = Policy.defaultDefaultShell,
        reservedUserNames: [String] = Policy.defaultReservedUserNames,
        reservedGroupNames: [String] = Policy.defaultReservedGroupNames,
        legacyConsoleGroupNames: [String] = Policy.defaultLegacyConsoleGroupNames,
        reserveLegacyConsoleGroups: Bool = false,
        groupNameMappings: [String: String] = [:],
        deactivation: DeactivationPolicy = .lock,
        keyOptions: String? = nil,
        maxKeys: Int = Policy.defaultMaxKeys,
        nameMaxLength: Int = Policy.defaultNameMaxLength,
        minimumRSABits: Int = Policy.defaultMinimumRSABits
    ) {
        self.userIDRange = userIDRange
        self.groupIDRange = groupIDRange
        self.allocatedUserIDRange = allocatedUserIDRange
        self.allocatedGroupIDRange = allocatedGroupIDRange
        self.homePrefixes = homePrefixes
        self.shells = shells
        self.defaultShell = defaultShell
        self.reservedUserNames = reservedUserNames
        self.reservedGroupNames = reservedGroupNames
        self.legacyConsoleGroupNames = legacyConsoleGroupNames
        self.reserveLegacyConsoleGroups = reserveLegacyConsoleGroups
        self.groupNameMappings = groupNameMappings
        self.deactivation = deactivation
        self.keyOptions = keyOptions
        self.maxKeys = maxKeys
        self.nameMaxLength = nameMaxLength
        self.minimumRSABits = minimumRSABits
    }

    /// A `PolicyPatch` applied to `Policy.default`: missing fields take their default.
    public init(from decoder: any Decoder) throws {
        self = try PolicyPatch(from: decoder).applied(to: .default)
    }

    /// Every field (`keyOptions` only when set), under the names of `PolicyPatch`.
    public func encode(to encoder: any Encoder) throws {
        try PolicyPatch(self).encode(to: encoder)
    }

    // MARK: - Derived sets

    /// True when `name` is a group name refused under this policy: one of `reservedGroupNames`, or of
    /// the legacy console names when `reserveLegacyConsoleGroups`, compared with ASCII case folded.
    public func reservesGroupName(_ name: String) -> Bool {
        reservedGroupNames.contains { Text.equalsIgnoringASCIICase($0, name) }
            || (reserveLegacyConsoleGroups && legacyConsoleGroupNames.contains { Text.equalsIgnoringASCIICase($0, name) })
    }

    // MARK: - Validation of the policy itself

    /// Checks the policy itself. Attributes are `policy.<field>`.
    ///
    /// - every id range is ordered, starts at 1000 or above (system ids are never delegated) and ends
    ///   at 2147483647 or below;
    /// - each allocation range lies inside its id range, avoids 60000–65535, and the two allocation
    ///   ranges do not overlap (a user-private group takes gid = uid, which must not meet an allocated
    ///   group gid);
    /// - home prefixes: at least one, each passing `PosixRules.homePrefix` (absolute, normalised, not
    ///   `/`, not in a system tree such as `/etc` or `/root`);
    /// - shells: at least one, each a clean absolute path; the default shell is one of them;
    /// - `groupNameMappings` keys are derived names (as `PosixRules.derivedGroupBaseName` makes them)
    ///   and targets are valid, non-reserved group names;
    /// - `keyOptions` passes `validateKeyOptions`;
    /// - `maxKeys` 0…1024, `nameMaxLength` 10…255 (room for the hash suffix of derived names),
    ///   `minimumRSABits` 2048…16384.
    public func validate() throws(RuleViolation) {
        try Policy.validateRange(userIDRange, field: "userIDRange")
        try Policy.validateRange(groupIDRange, field: "groupIDRange")
        try Policy.validateRange(allocatedUserIDRange, field: "allocatedUserIDRange")
        try Policy.validateRange(allocatedGroupIDRange, field: "allocatedGroupIDRange")
        for (alloc, ids, field, idField) in [
            (allocatedUserIDRange, userIDRange, "allocatedUserIDRange", "userIDRange"),
            (allocatedGroupIDRange, groupIDRange, "allocatedGroupIDRange", "groupIDRange"),
        ] {
            if !ids.contains(alloc) {
                throw RuleViolation(attribute: "policy." + field,
                                      reason: "\(alloc) must lie inside \(idField) \(ids)")
            }
            if alloc.overlaps(Policy.reservedIDs) {
                throw RuleViolation(attribute: "policy." + field,
                                      reason: "\(alloc) must not include \(Policy.reservedIDs), which Debian and systemd reserve")
            }
        }
        if allocatedUserIDRange.overlaps(allocatedGroupIDRange) {
            throw RuleViolation(attribute: "policy.allocatedGroupIDRange",
                                  reason: "\(allocatedGroupIDRange) must not overlap allocatedUserIDRange \(allocatedUserIDRange)")
        }

        if homePrefixes.isEmpty {
            throw RuleViolation(attribute: "policy.homePrefixes", reason: "at least one home prefix is required")
        }
        for prefix in homePrefixes {
            _ = try PosixRules.homePrefix(prefix, attribute: "policy.homePrefixes")
        }

        if shells.isEmpty {
            throw RuleViolation(attribute: "policy.shells", reason: "at least one shell is required")
        }
        for shell in shells {
            let components: [Substring]
            do throws(PathProblem) {
                components = try Paths.components(shell, stripTrailingSlash: false)
            } catch {
                throw RuleViolation(attribute: "policy.shells", reason: "\(Text.quoted(shell)) \(error.reason)")
            }
            if components.isEmpty {
                throw RuleViolation(attribute: "policy.shells", reason: "\"/\" is not a shell")
            }
        }
        if !shells.contains(defaultShell) {
            throw RuleViolation(attribute: "policy.defaultShell",
                                  reason: "\(Text.quoted(defaultShell)) is not in the shells allowlist")
        }

        if !(0...1024).contains(maxKeys) {
            throw RuleViolation(attribute: "policy.maxKeys", reason: "must be between 0 and 1024")
        }
        if !(10...255).contains(nameMaxLength) {
            throw RuleViolation(attribute: "policy.nameMaxLength", reason: "must be between 10 and 255")
        }
        if !(2048...Policy.maximumRSABits).contains(minimumRSABits) {
            throw RuleViolation(attribute: "policy.minimumRSABits", reason: "must be between 2048 and 16384")
        }

        for key in groupNameMappings.keys.sorted() {
            // Keys are derived names; a displayName written as a key would silently never match.
            let derived = PosixRules.derivedGroupBaseName(fromDisplayName: key, policy: self)
            if derived != key {
                throw RuleViolation(attribute: "policy.groupNameMappings",
                                      reason: "key \(Text.quoted(key)) is not a derived group name; use \(Text.quoted(derived))")
            }
            let target = groupNameMappings[key]!
            do throws(RuleViolation) {
                _ = try PosixRules.groupName(target, policy: self)
            } catch {
                throw RuleViolation(attribute: "policy.groupNameMappings",
                                      reason: "mapping for \(Text.quoted(key)): \(error.reason)")
            }
        }

        if let keyOptions {
            try Policy.validateKeyOptions(keyOptions)
        }
    }

    /// Checks an authorized_keys option string: a comma-separated list (no spaces, no empty items) of
    /// options from `allowedKeyOptions`, compared case-insensitively. Attribute `policy.keyOptions`.
    public static func validateKeyOptions(_ options: String) throws(RuleViolation) {
        if options.isEmpty {
            throw RuleViolation(attribute: "policy.keyOptions", reason: "must not be empty (omit it instead)")
        }
        let allowed = allowedKeyOptions.map(Text.asciiLowercased)
        for item in options.split(separator: ",", omittingEmptySubsequences: false) {
            if item.isEmpty {
                throw RuleViolation(attribute: "policy.keyOptions", reason: "must be a comma-separated list without empty items")
            }
            if !allowed.contains(Text.asciiLowercased(String(item))) {
                throw RuleViolation(attribute: "policy.keyOptions",
                                      reason: "\(Text.quoted(String(item))) is not an allowed option; allowed: "
                                          + allowedKeyOptions.joined(separator: ", "))
            }
        }
    }

    private static func validateRange(_ r: IDRange, field: String) throws(RuleViolation) {
        if r.lower > r.upper {
            throw RuleViolation(attribute: "policy." + field, reason: "lower bound \(r.lower) is above upper bound \(r.upper)")
        }
        if r.lower < minimumRangeLowerBound {
            throw RuleViolation(attribute: "policy." + field,
                                  reason: "\(r) must not start below \(minimumRangeLowerBound) (system ids)")
        }
        if r.upper > maximumID {
            throw RuleViolation(attribute: "policy." + field, reason: "\(r) must not end above \(maximumID)")
        }
    }
}
