// The org policy's fields, declared once. `PolicyPatch` is the policy with every field optional;
// `Policy` decodes as a patch applied to `Policy.default` and encodes as a full patch. `PolicyField.all`
// names each field once for every text front end: the JSON key is also the YAML key below
// `orgs.<org>.policy` and, split into words, the `org set` flag (`userIDRange` ↔ `--user-id-range`);
// both parse values with the same functions (`IDRange.parse`, `PolicyField.parseBoolean`…), and
// `org show` prints each field under the same name.

/// Policy fields given somewhere (a JSON document, the configuration file, `org set` flags); nil
/// fields leave the base policy as it is.
public struct PolicyPatch: Codable, Sendable, Equatable {
    public var userIDRange: IDRange?
    public var groupIDRange: IDRange?
    public var allocatedUserIDRange: IDRange?
    public var allocatedGroupIDRange: IDRange?
    public var homePrefixes: [String]?
    public var shells: [String]?
    public var defaultShell: String?
    public var reservedUserNames: [String]?
    public var reservedGroupNames: [String]?
    public var legacyConsoleGroupNames: [String]?
    public var reserveLegacyConsoleGroups: Bool?
    public var groupNameMappings: [String: String]?
    public var deactivation: DeactivationPolicy?
    /// An empty string clears the options (`org set --key-options ''`).
    public var keyOptions: String?
    public var maxKeys: Int?
    public var nameMaxLength: Int?
    public var minimumRSABits: Int?

    public init() {}

    /// Every field of `policy` (`keyOptions` only when the policy has options).
    public init(_ policy: Policy) {
        for field in PolicyField.all { field.copy(policy, &self) }
    }

    public var isEmpty: Bool { self == PolicyPatch() }

    /// `base` with every given field replaced.
    public func applied(to base: Policy) -> Policy {
        var policy = base
        for field in PolicyField.all { field.apply(self, &policy) }
        return policy
    }
}

/// A field value as text front ends hold it: one scalar, a list (YAML sequence, repeated flag) or
/// a mapping.
public enum PolicyInput: Sendable, Equatable {
    case text(String)
    case list([String])
    case map([String: String])
}

/// One policy field: its name (JSON key, configuration key, and `--flag` once split into words),
/// older spellings still accepted, its kind, and how it is parsed, applied and shown.
public struct PolicyField: Sendable {
    public enum Kind: Sendable, Equatable {
        case idRange, string, integer, boolean, choice([String]), stringList, stringMap
    }

    /// The JSON key and the configuration key: `userIDRange`.
    public let name: String
    /// Earlier configuration keys (and, as words, flags) that still set the field: `uidRange`.
    public let aliases: [String]
    public let kind: Kind
    /// One line for `--help` and the documentation.
    public let summary: String

    let copy: @Sendable (Policy, inout PolicyPatch) -> Void
    let apply: @Sendable (PolicyPatch, inout Policy) -> Void
    let parse: @Sendable (PolicyInput, inout PolicyPatch) throws(RuleViolation) -> Void
    let show: @Sendable (Policy) -> String

    /// `--user-id-range` for `userIDRange`.
    public var flag: String { "--" + PolicyField.words(name) }
    /// Every spelling that sets the field: the name first, then the aliases.
    public var spellings: [String] { [name] + aliases }
    /// `policy.userIDRange`, as `Policy.validate()` names the field.
    public var attribute: String { "policy." + name }

    /// Sets the field of `patch` from text (checking its syntax only; `Policy.validate()` checks the
    /// value). Attribute `policy.<name>`.
    public func set(_ input: PolicyInput, in patch: inout PolicyPatch) throws(RuleViolation) {
        try parse(input, &patch)
    }

    /// The field's value in `policy` as `org show` prints it (text `set` accepts back).
    public func value(in policy: Policy) -> String { show(policy) }

    /// Every field, in the order `org show` prints them.
    public static let all: [PolicyField] = [
        scalar("userIDRange", aliases: ["uidRange"], .idRange,
               "uids an IdP may send (sunkPosixUserId), LOW-HIGH; 60000-65535 are always refused",
               \.userIDRange, \.userIDRange, parse: IDRange.parse, show: \.description),
        scalar("allocatedUserIDRange", aliases: ["allocatedUidRange"], .idRange,
               "where missing uids are allocated from, LOW-HIGH inside userIDRange",
               \.allocatedUserIDRange, \.allocatedUserIDRange, parse: IDRange.parse, show: \.description),
        scalar("groupIDRange", aliases: ["gidRange"], .idRange,
               "gids an IdP may send and SCIM groups may have, LOW-HIGH",
               \.groupIDRange, \.groupIDRange, parse: IDRange.parse, show: \.description),
        scalar("allocatedGroupIDRange", aliases: ["allocatedGidRange"], .idRange,
               "where SCIM group gids are allocated from, LOW-HIGH inside groupIDRange",
               \.allocatedGroupIDRange, \.allocatedGroupIDRange, parse: IDRange.parse, show: \.description),
        list("homePrefixes", aliases: ["homePrefix"], "home directories must lie below one of these",
             \.homePrefixes, \.homePrefixes),
        list("shells", aliases: ["shell"], "the login shells an IdP may choose (replaces the allowlist)",
             \.shells, \.shells),
        scalar("defaultShell", .string, "the shell used when the IdP sends none; one of shells",
               \.defaultShell, \.defaultShell, parse: { text in text }, show: { $0 }),
        list("reservedUserNames", aliases: ["reservedUserName"], "user names that are refused (replaces the list)",
             \.reservedUserNames, \.reservedUserNames),
        list("reservedGroupNames", aliases: ["reservedGroupName"], "group names that are refused (replaces the list)",
             \.reservedGroupNames, \.reservedGroupNames),
        list("legacyConsoleGroupNames", "the legacy CoreWeave console groups",
             \.legacyConsoleGroupNames, \.legacyConsoleGroupNames),
        scalar("reserveLegacyConsoleGroups", aliases: ["legacyConsoleGroups"], .boolean,
               "also reserve legacyConsoleGroupNames (true/false, on/off)",
               \.reserveLegacyConsoleGroups, \.reserveLegacyConsoleGroups,
               parse: parseBoolean, show: { $0 ? "true" : "false" }),
        PolicyField(
            name: "groupNameMappings", aliases: [], kind: .stringMap,
            summary: "derived group name → POSIX group name (DERIVED=POSIX)",
            copy: { $1.groupNameMappings = $0.groupNameMappings },
            apply: { patch, policy in if let v = patch.groupNameMappings { policy.groupNameMappings = v } },
            parse: { input, patch throws(RuleViolation) in
                patch.groupNameMappings = try parseMap(input, attribute: "policy.groupNameMappings")
            },
            show: { $0.groupNameMappings.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ") }),
        scalar("deactivation", .choice(DeactivationPolicy.allCases.map(\.rawValue)),
               "what deactivated users become on nodes: lock or remove",
               \.deactivation, \.deactivation, parse: parseDeactivation, show: \.rawValue),
        PolicyField(
            name: "keyOptions", aliases: [], kind: .string,
            summary: "authorized_keys options put before every key, e.g. restrict (empty clears)",
            copy: { $1.keyOptions = $0.keyOptions },
            apply: { patch, policy in if let v = patch.keyOptions { policy.keyOptions = v.isEmpty ? nil : v } },
            parse: { input, patch throws(RuleViolation) in
                patch.keyOptions = try text(input, attribute: "policy.keyOptions")
            },
            show: { $0.keyOptions ?? "" }),
        scalar("maxKeys", .integer, "at most this many SSH keys per user (0-1024)",
               \.maxKeys, \.maxKeys, parse: parseInteger, show: { "\($0)" }),
        scalar("nameMaxLength", .integer, "longest POSIX user or group name (10-255)",
               \.nameMaxLength, \.nameMaxLength, parse: parseInteger, show: { "\($0)" }),
        scalar("minimumRSABits", .integer, "smallest accepted RSA modulus in bits (2048-16384)",
               \.minimumRSABits, \.minimumRSABits, parse: parseInteger, show: { "\($0)" }),
    ]

    /// The field one of its spellings names (configuration key, or flag without `--`).
    public static func named(_ spelling: String) -> PolicyField? {
        all.first { field in field.spellings.contains { $0 == spelling || words($0) == spelling } }
    }

    /// The field a `Policy.validate()` attribute (`policy.userIDRange`) concerns.
    public static func forAttribute(_ attribute: String) -> PolicyField? {
        all.first { $0.attribute == attribute }
    }

    // MARK: - Parsers shared by every front end

    /// `true`/`false`, `on`/`off`, `yes`/`no`, `1`/`0` (ASCII case-insensitive).
    public static func parseBoolean(_ text: String) throws(RuleViolation) -> Bool {
        switch Text.asciiLowercased(String(Text.trimmingBlanks(text))) {
        case "true", "yes", "on", "1": return true
        case "false", "no", "off", "0": return false
        default: throw RuleViolation(attribute: "", reason: "\(Text.quoted(text)) is not true or false")
        }
    }

    public static func parseInteger(_ text: String) throws(RuleViolation) -> Int {
        guard let value = Int(Text.trimmingBlanks(text)) else {
            throw RuleViolation(attribute: "", reason: "\(Text.quoted(text)) is not an integer")
        }
        return value
    }

    static func parseDeactivation(_ text: String) throws(RuleViolation) -> DeactivationPolicy {
        guard let value = DeactivationPolicy(rawValue: String(Text.trimmingBlanks(text))) else {
            throw RuleViolation(attribute: "", reason: "\(Text.quoted(text)) must be "
                + DeactivationPolicy.allCases.map(\.rawValue).joined(separator: " or "))
        }
        return value
    }

    /// `name` split into lowercase words joined by `-`: `allocatedUserIDRange` → `allocated-user-id-range`.
    public static func words(_ name: String) -> String {
        let chars = Array(name)
        var out = ""
        for (i, ch) in chars.enumerated() {
            if i > 0 && ch.isUppercase {
                let previous = chars[i - 1]
                let nextIsLower = i + 1 < chars.count && chars[i + 1].isLowercase
                if previous.isLowercase || previous.isNumber || (previous.isUppercase && nextIsLower) { out.append("-") }
            }
            out += ch.lowercased()
        }
        return out
    }

    // MARK: - Building the table

    private static func text(_ input: PolicyInput, attribute: String) throws(RuleViolation) -> String {
        switch input {
        case .text(let t): return t
        case .list(let items) where items.count == 1: return items[0]
        default: throw RuleViolation(attribute: attribute, reason: "must be a single value")
        }
    }

    private static func parseMap(_ input: PolicyInput, attribute: String) throws(RuleViolation) -> [String: String] {
        let entries: [String]
        switch input {
        case .map(let map): return map
        case .text(let t): entries = [t]
        case .list(let items): entries = items
        }
        var map: [String: String] = [:]
        for entry in entries {
            let parts = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw RuleViolation(attribute: attribute, reason: "\(Text.quoted(entry)) must look like DERIVED=POSIX")
            }
            map[String(parts[0])] = String(parts[1])
        }
        return map
    }

    private static func scalar<T: Sendable>(
        _ name: String, aliases: [String] = [], _ kind: Kind, _ summary: String,
        _ patchPath: any WritableKeyPath<PolicyPatch, T?> & Sendable, _ policyPath: any WritableKeyPath<Policy, T> & Sendable,
        parse: @escaping @Sendable (String) throws(RuleViolation) -> T, show: @escaping @Sendable (T) -> String
    ) -> PolicyField {
        let attribute = "policy." + name
        return PolicyField(
            name: name, aliases: aliases, kind: kind, summary: summary,
            copy: { policy, patch in patch[keyPath: patchPath] = policy[keyPath: policyPath] },
            apply: { patch, policy in if let v = patch[keyPath: patchPath] { policy[keyPath: policyPath] = v } },
            parse: { input, patch throws(RuleViolation) in
                let raw = try text(input, attribute: attribute)
                do throws(RuleViolation) {
                    patch[keyPath: patchPath] = try parse(raw)
                } catch {
                    throw RuleViolation(attribute: attribute, reason: error.reason)
                }
            },
            show: { show($0[keyPath: policyPath]) })
    }

    private static func list(
        _ name: String, aliases: [String] = [], _ summary: String,
        _ patchPath: any WritableKeyPath<PolicyPatch, [String]?> & Sendable,
        _ policyPath: any WritableKeyPath<Policy, [String]> & Sendable
    ) -> PolicyField {
        PolicyField(
            name: name, aliases: aliases, kind: .stringList, summary: summary,
            copy: { policy, patch in patch[keyPath: patchPath] = policy[keyPath: policyPath] },
            apply: { patch, policy in if let v = patch[keyPath: patchPath] { policy[keyPath: policyPath] = v } },
            parse: { input, patch throws(RuleViolation) in
                switch input {
                case .text(let t): patch[keyPath: patchPath] = [t]
                case .list(let items): patch[keyPath: patchPath] = items
                case .map: throw RuleViolation(attribute: "policy." + name, reason: "must be a list")
                }
            },
            show: { $0[keyPath: policyPath].joined(separator: " ") })
    }
}

extension IDRange {
    /// `LOW-HIGH` (or `LOW–HIGH`, as `description` prints it), blanks allowed around each bound. Only
    /// the syntax is checked here; `Policy.validate()` checks order and limits.
    public static func parse(_ text: String) throws(RuleViolation) -> IDRange {
        let parts = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "-" || $0 == "–" })
            .map { Text.trimmingBlanks(String($0)) }
        guard parts.count == 2, let low = UInt32(parts[0]), let high = UInt32(parts[1]) else {
            throw RuleViolation(attribute: "",
                                  reason: "\(Text.quoted(text)) must look like LOW-HIGH, for example 10000-2147483647")
        }
        return IDRange(lower: low, upper: high)
    }
}
