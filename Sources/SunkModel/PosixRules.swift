// The POSIX rules (design.md §2): names, ids, homes, shells, GECOS, derived names, SSH key lists.

/// A POSIX id as the IdP sent it. Okta's `Number` type is a double, so `100001.0` arrives as
/// `.double(100001.0)`; some clients send strings.
public enum PosixIDInput: Sendable, Equatable {
    case integer(Int64)
    /// Accepted only when whole and finite: `100001.0` → 100001; `100001.5`, NaN, ±inf are refused.
    case double(Double)
    /// ASCII decimal digits only: no sign, no spaces, no leading zeros (except `"0"` itself, which is
    /// then refused as an id), no exponent.
    case string(String)
}

public enum PosixRules {

    // MARK: - Names

    /// `sunkPosixUsername`: `^[a-z_][a-z0-9_-]{0,N-1}$` with N = `policy.nameMaxLength` (default 32),
    /// and not one of `policy.reservedUserNames` (compared case-insensitively). Returns the name.
    public static func userName(_ raw: String, policy: Policy) throws(RuleViolation) -> String {
        try checkNameSyntax(raw, policy: policy, attribute: SCIMAttribute.userName)
        if policy.reservedUserNames.contains(where: { Text.equalsIgnoringASCIICase($0, raw) }) {
            throw RuleViolation(attribute: SCIMAttribute.userName,
                                  reason: "\(Text.quoted(raw)) is a reserved system name")
        }
        return raw
    }

    /// An explicit POSIX group name (attribute `displayName`): the same character rules as user names,
    /// and not one of `policy.reservedGroupNames` (plus `legacyConsoleGroupNames` when
    /// `reserveLegacyConsoleGroups`), compared case-insensitively. Returns the name.
    public static func groupName(_ raw: String, policy: Policy) throws(RuleViolation) -> String {
        try checkNameSyntax(raw, policy: policy, attribute: SCIMAttribute.groupDisplayName)
        try checkGroupNotReserved(raw, policy: policy)
        return raw
    }

    /// The POSIX user name derived from a SCIM `userName` when `sunkPosixUsername` is missing: the part
    /// before the first `@` (the whole value when there is none), with ASCII letters lowercased, if that
    /// is a valid, non-reserved user name as is; otherwise nil (the user is then stored but not exported).
    ///
    /// Nothing else is rewritten: dots are not allowed in POSIX names by default, so
    /// `ada.lovelace@example.com` derives nil, while `Ada@example.com` derives `ada`.
    public static func derivedUserName(fromUserName userName: String, policy: Policy) -> String? {
        let local = userName.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let candidate = Text.asciiLowercased(String(local))
        return try? PosixRules.userName(candidate, policy: policy)
    }

    /// The POSIX group name of a SCIM group, derived from its `displayName` by a deterministic rule that
    /// maps any displayName to a valid name:
    ///
    /// 1. lowercase ASCII letters (A–Z → a–z);
    /// 2. every run of characters outside `[a-z0-9_]` (spaces, punctuation, `-`, non-ASCII letters…)
    ///    becomes a single `-`;
    /// 3. trim leading and trailing `-`;
    /// 4. if the result is empty or starts with a digit, prefix `g` (`"2027 Team"` → `g2027-team`);
    /// 5. if longer than `policy.nameMaxLength` (N), keep the first N − 9 characters, trim trailing
    ///    `-`, and append `-` and 8 lowercase hex digits of FNV-1a-32 over the UTF-8 bytes of the
    ///    full original displayName (so long names that share a prefix stay distinct, and the result
    ///    never changes between releases);
    /// 6. if `policy.groupNameMappings` has an entry for the derived name, its target is used instead
    ///    (and validated as an explicit group name);
    /// 7. a reserved result is refused, telling the administrator to rename or map the group.
    ///
    /// `"HPC Research (EU)"` → `hpc-research-eu`.
    public static func derivedGroupName(fromDisplayName displayName: String, policy: Policy)
        throws(RuleViolation) -> String
    {
        let name = derivedGroupBaseName(fromDisplayName: displayName, policy: policy)
        if let mapped = policy.groupNameMappings[name] {
            do throws(RuleViolation) {
                return try groupName(mapped, policy: policy)
            } catch {
                throw RuleViolation(attribute: SCIMAttribute.groupDisplayName,
                                      reason: "groupNameMappings maps \(Text.quoted(name)) to \(Text.quoted(mapped)), which is invalid: \(error.reason)")
            }
        }
        try checkNameSyntax(name, policy: policy, attribute: SCIMAttribute.groupDisplayName)
        try checkGroupNotReserved(name, policy: policy)
        return name
    }

    /// Steps 1–5 of `derivedGroupName` only: the name before `groupNameMappings` and the reserved-name
    /// check (the key to use in `groupNameMappings`). Never throws.
    public static func derivedGroupBaseName(fromDisplayName displayName: String, policy: Policy) -> String {
        var name = ""
        var pendingDash = false
        for u in displayName.unicodeScalars {
            var v = u.value
            if v >= 0x41 && v <= 0x5A { v += 0x20 }
            let keep = (v >= 0x61 && v <= 0x7A) || (v >= 0x30 && v <= 0x39) || v == 0x5F
            if keep {
                if pendingDash && !name.isEmpty { name.append("-") }
                pendingDash = false
                name.unicodeScalars.append(Unicode.Scalar(UInt8(v)))
            } else {
                pendingDash = true
            }
        }
        // Leading dashes were never emitted and a trailing run is still pending: both are trimmed.
        if name.isEmpty || name.utf8.first.map({ $0 >= 0x30 && $0 <= 0x39 }) == true {
            name = "g" + name
        }
        let maxLength = policy.nameMaxLength
        if name.utf8.count > maxLength {
            var head = Substring(name.prefix(max(1, maxLength - 9)))
            while head.last == "-" { head.removeLast() }
            name = String(head) + "-" + Text.hex8(Text.fnv1a32(displayName))
        }
        return name
    }

    // MARK: - Ids

    /// `sunkPosixUserId`: inside `policy.userIDRange`; never 0, never 60000–65535, never ≥ 2^31.
    public static func userID(_ v: PosixIDInput, policy: Policy) throws(RuleViolation) -> UInt32 {
        try posixID(v, range: policy.userIDRange, attribute: SCIMAttribute.userID)
    }

    /// `sunkPosixGroupId`: inside `policy.groupIDRange`; never 0, never 60000–65535, never ≥ 2^31.
    public static func groupID(_ v: PosixIDInput, policy: Policy) throws(RuleViolation) -> UInt32 {
        try posixID(v, range: policy.groupIDRange, attribute: SCIMAttribute.groupID)
    }

    /// True for ids no policy can allow: 0, 60000–65535 and everything above 2147483647.
    public static func isForbiddenID(_ id: UInt32) -> Bool {
        id == 0 || Policy.reservedIDs.contains(id) || id > Policy.maximumID
    }

    /// Checks an id already held as a number (for example an allocated one, or one read from a
    /// snapshot) against a range and the ids that are always refused.
    public static func checkID(_ id: UInt32, range: IDRange, attribute: String) throws(RuleViolation) {
        _ = try posixID(.integer(Int64(id)), range: range, attribute: attribute)
    }

    static func posixID(_ v: PosixIDInput, range: IDRange, attribute: String) throws(RuleViolation) -> UInt32 {
        let value: UInt64
        switch v {
        case .integer(let i):
            if i < 0 { throw RuleViolation(attribute: attribute, reason: "\(i) is negative") }
            value = UInt64(i)
        case .double(let d):
            // No rounding functions here: they live in libm, which the static key helper does not link.
            // Range first (so the conversion cannot trap), then an exact round trip proves wholeness.
            if !d.isFinite {
                throw RuleViolation(attribute: attribute, reason: "must be a finite whole number")
            }
            guard d > -4_294_967_296, d < 4_294_967_296 else {
                throw RuleViolation(attribute: attribute,
                                      reason: d < 0 ? "\(d) is negative" : "\(d) is above \(Policy.maximumID)")
            }
            let whole = Int64(d) // truncates toward zero
            if Double(whole) != d {
                throw RuleViolation(attribute: attribute, reason: "\(d) is not a whole number")
            }
            if whole < 0 { throw RuleViolation(attribute: attribute, reason: "\(whole) is negative") }
            value = UInt64(whole)
        case .string(let s):
            let bytes = Array(s.utf8)
            guard !bytes.isEmpty, bytes.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
                throw RuleViolation(attribute: attribute,
                                      reason: "\(Text.quoted(s)) must be written with decimal digits only")
            }
            if bytes.count > 1 && bytes[0] == 0x30 {
                throw RuleViolation(attribute: attribute,
                                      reason: "\(Text.quoted(s)) must not have leading zeros")
            }
            if bytes.count > 10 {
                throw RuleViolation(attribute: attribute, reason: "\(Text.quoted(s)) is above \(Policy.maximumID)")
            }
            value = bytes.reduce(0) { $0 * 10 + UInt64($1 - 0x30) }
        }
        if value == 0 {
            throw RuleViolation(attribute: attribute, reason: "0 is root's id and is never allowed")
        }
        if value > UInt64(Policy.maximumID) {
            throw RuleViolation(attribute: attribute,
                                  reason: "\(value) is above \(Policy.maximumID), the largest id NSS caches find")
        }
        let id = UInt32(value)
        if Policy.reservedIDs.contains(id) {
            throw RuleViolation(attribute: attribute,
                                  reason: "\(id) is in \(Policy.reservedIDs), which Debian and systemd reserve (65534 is nobody)")
        }
        if id < range.lower {
            throw RuleViolation(attribute: attribute, reason: "\(id) is below the allowed range \(range)")
        }
        if id > range.upper {
            throw RuleViolation(attribute: attribute, reason: "\(id) is above the allowed range \(range)")
        }
        return id
    }

    // MARK: - Paths

    /// `sunkPreferredHomeDirectory`: absolute; no control characters or `:`; no `//`, `.` or `..`
    /// component; one trailing `/` is removed; at most 4096 bytes, 255 per component; strictly below
    /// one of `policy.homePrefixes` on a component boundary (`/home/ada` for `/home`, never `/home`
    /// itself nor `/homeX/ada`). Returns the normalised path.
    public static func homeDirectory(_ raw: String, policy: Policy) throws(RuleViolation) -> String {
        try homeDirectory(raw, prefixes: policy.homePrefixes)
    }

    /// A home checked against an explicit list of prefixes (a node's own `--home-prefix` list), by the
    /// same rule as `homeDirectory(_:policy:)`. Returns the normalised path.
    public static func homeDirectory(_ raw: String, prefixes: [String]) throws(RuleViolation) -> String {
        let components: [Substring]
        do throws(PathProblem) {
            components = try Paths.components(raw, stripTrailingSlash: true)
        } catch {
            throw RuleViolation(attribute: SCIMAttribute.homeDirectory, reason: error.reason)
        }
        for prefix in prefixes {
            guard let p = try? Paths.components(prefix, stripTrailingSlash: true), !p.isEmpty else { continue }
            // Components compared as bytes: a canonically equivalent spelling is another directory.
            if components.count > p.count && components.starts(with: p, by: { $0.utf8.elementsEqual($1.utf8) }) {
                return "/" + components.joined(separator: "/")
            }
        }
        throw RuleViolation(attribute: SCIMAttribute.homeDirectory,
                              reason: "must be strictly below an allowed prefix ("
                                  + prefixes.map { Text.quoted($0) }.joined(separator: ", ") + ")")
    }

    /// The operating system's trees. No home prefix may be one of them or lie inside one: homes are
    /// directories handed to identity-provider users, so a prefix there would give them system
    /// files' places (`/etc/systemd/system/x`). `/lib*` means every top-level directory whose name
    /// starts with `lib` (`/lib`, `/lib32`, `/lib64`, `/libx32`…). The one exception is `/var/home`
    /// and below, where image-based systems (Fedora Atomic, Silverblue) keep homes.
    public static let systemTrees = [
        "/bin", "/boot", "/dev", "/etc", "/lib*", "/proc", "/root", "/run", "/sbin", "/sys", "/tmp", "/usr", "/var",
    ]

    /// A home prefix, from an org's policy (`policy.homePrefixes`) or a node's own configuration
    /// (`--home-prefix`, `node.homePrefixes`); `attribute` names where it came from. Absolute,
    /// normalised (no trailing `/`, no `//`, `.` or `..`), not `/`, and neither one of `systemTrees`
    /// nor inside one (compared by whole components: `/etcetera` is fine), except `/var/home` and
    /// below. Returns the prefix.
    public static func homePrefix(_ raw: String, attribute: String) throws(RuleViolation) -> String {
        let components: [Substring]
        do throws(PathProblem) {
            components = try Paths.components(raw, stripTrailingSlash: false)
        } catch {
            throw RuleViolation(attribute: attribute, reason: "\(Text.quoted(raw)) \(error.reason)")
        }
        guard let top = components.first else {
            throw RuleViolation(attribute: attribute, reason: "\"/\" is not allowed as a home prefix")
        }
        let systemTree = top.hasPrefix("lib") || systemTrees.contains("/" + String(top))
        let varHome = top == "var" && components.count > 1 && components[1] == "home"
        if systemTree && !varHome {
            let relation = components.count == 1 ? "is the system tree" : "lies inside the system tree"
            throw RuleViolation(
                attribute: attribute,
                reason: "\(Text.quoted(raw)) \(relation) /\(top); a home prefix must be outside "
                    + systemTrees.joined(separator: ", ") + " (only /var/home and below is allowed in /var)")
        }
        return raw
    }

    /// The default home of a user: the first prefix, then the name (`/home/ada`), checked like an
    /// IdP-sent home.
    public static func defaultHomeDirectory(userName: String, policy: Policy) throws(RuleViolation) -> String {
        let prefix = policy.homePrefixes.first ?? Policy.defaultHomePrefixes[0]
        let base = prefix.utf8.last == UInt8(ascii: "/") ? String(prefix.dropLast()) : prefix
        return try homeDirectory(base + "/" + userName, policy: policy)
    }

    /// The directories above an absolute path, nearest first, without `/`: `/home/ada/x` →
    /// `/home/ada`, `/home`. Found on the UTF-8 bytes: `lastIndex(of: "/")` compares Characters and
    /// skips a "/" that a combining mark follows (`/home/ada/\u{301}x` lies inside `/home/ada`).
    public static func ancestors(of path: String) -> [String] {
        var result: [String] = []
        var parent = Substring(path)
        while let slash = parent.utf8.lastIndex(of: UInt8(ascii: "/")), slash != parent.utf8.startIndex {
            parent = parent[..<slash]
            result.append(String(parent))
        }
        return result
    }

    /// True when `path` is `ancestor` or lies below it on a component boundary (both normalised).
    /// Used for "not inside another user's home".
    public static func isSameOrBelow(_ path: String, _ ancestor: String) -> Bool {
        if path == ancestor { return true }
        if ancestor == "/" { return path.utf8.first == UInt8(ascii: "/") }
        return path.hasPrefix(ancestor) && path.utf8.dropFirst(ancestor.utf8.count).first == UInt8(ascii: "/")
    }

    /// `sunkLoginShell`: a clean absolute path (as for homes, without stripping a trailing `/`) that is
    /// exactly one of `policy.shells`. Returns it.
    public static func loginShell(_ raw: String, policy: Policy) throws(RuleViolation) -> String {
        do throws(PathProblem) {
            _ = try Paths.components(raw, stripTrailingSlash: false)
        } catch {
            throw RuleViolation(attribute: SCIMAttribute.loginShell, reason: error.reason)
        }
        guard policy.shells.contains(raw) else {
            throw RuleViolation(attribute: SCIMAttribute.loginShell,
                                  reason: "\(Text.quoted(raw)) is not an allowed shell; allowed: "
                                      + policy.shells.joined(separator: ", "))
        }
        return raw
    }

    /// The shells that refuse logins: exactly these paths, never a path that merely ends in
    /// `nologin` or `false` (`/opt/evil/nologin` is an ordinary shell).
    public static let nologinShells = ["/usr/sbin/nologin", "/sbin/nologin", "/bin/false", "/usr/bin/false"]

    /// True for exactly the paths of `nologinShells`. Such a shell is never replaced by the default
    /// shell, even on a node whose /etc/shells does not list it (Debian's does not).
    public static func isNologinShell(_ path: String) -> Bool {
        nologinShells.contains(path)
    }

    /// The shell written for locked (deactivated) users when `policy.deactivation` is `.lock` (one of
    /// `nologinShells`).
    public static let lockedShell = "/usr/sbin/nologin"

    // MARK: - GECOS

    /// The GECOS field derived from free text (`displayName`, `name.*`). Never throws:
    /// whitespace (including tabs and newlines) runs become one space; other control and format
    /// characters and `:`, `,`, `=`, `\` are dropped; the result is trimmed and cut to at most 128
    /// UTF-8 bytes on a Character boundary.
    public static func gecos(_ freeText: String) -> String {
        var scalars = String.UnicodeScalarView()
        var pendingSpace = false
        for u in freeText.unicodeScalars {
            if u.properties.isWhitespace {
                pendingSpace = true
                continue
            }
            if Text.isUnsafe(u) || u == ":" || u == "," || u == "=" || u == "\\" { continue }
            if pendingSpace && !scalars.isEmpty { scalars.append(" ") }
            pendingSpace = false
            scalars.append(u)
        }
        var result = ""
        var bytes = 0
        for ch in String(scalars) {
            let n = ch.utf8.count
            if bytes + n > 128 { break }
            bytes += n
            result.append(ch)
        }
        while result.last == " " { result.removeLast() }
        return result
    }

    // MARK: - SSH keys

    /// `sunkSshKeys`: each non-empty line (after trimming spaces and tabs) is parsed with
    /// `SSHPublicKey(parsing:minimumRSABits:)`; empty strings are dropped; more than `policy.maxKeys`
    /// non-empty lines are refused; keys with identical blobs are kept once (the first). Reasons name
    /// the 1-based position in `lines`: `"key 2: options such as command= are not allowed"`.
    public static func sshKeys(_ lines: [String], policy: Policy) throws(RuleViolation) -> [SSHPublicKey] {
        var nonEmpty: [(Int, Substring)] = []
        for (i, line) in lines.enumerated() {
            let trimmed = Text.trimmingBlanks(line)
            if !trimmed.isEmpty { nonEmpty.append((i + 1, trimmed)) }
        }
        if nonEmpty.count > policy.maxKeys {
            throw RuleViolation(attribute: SCIMAttribute.sshKeys,
                                  reason: "at most \(policy.maxKeys) keys are allowed, got \(nonEmpty.count)")
        }
        var keys: [SSHPublicKey] = []
        var seen = Set<[UInt8]>()
        for (index, line) in nonEmpty {
            let key: SSHPublicKey
            do throws(RuleViolation) {
                key = try SSHPublicKey(parsing: String(line), minimumRSABits: policy.minimumRSABits)
            } catch {
                throw RuleViolation(attribute: SCIMAttribute.sshKeys, reason: "key \(index): \(error.reason)")
            }
            if seen.insert(key.blob).inserted { keys.append(key) }
        }
        return keys
    }

    // MARK: - Helpers

    static func nameRegex(_ policy: Policy) -> String {
        "^[a-z_][a-z0-9_-]{0,\(max(0, policy.nameMaxLength - 1))}$"
    }

    static func checkNameSyntax(_ raw: String, policy: Policy, attribute: String) throws(RuleViolation) {
        var valid = !raw.isEmpty
        for (i, b) in raw.utf8.enumerated() where valid {
            let lowerOrUnderscore = (b >= 0x61 && b <= 0x7A) || b == 0x5F
            valid = i == 0 ? lowerOrUnderscore : (lowerOrUnderscore || (b >= 0x30 && b <= 0x39) || b == 0x2D)
        }
        if !valid {
            throw RuleViolation(attribute: attribute,
                                  reason: raw.isEmpty ? "must not be empty; it must match \(nameRegex(policy))"
                                                      : "must match \(nameRegex(policy))")
        }
        if raw.utf8.count > policy.nameMaxLength {
            throw RuleViolation(attribute: attribute,
                                  reason: "must be at most \(policy.nameMaxLength) characters (\(nameRegex(policy)))")
        }
    }

    static func checkGroupNotReserved(_ name: String, policy: Policy) throws(RuleViolation) {
        if policy.reservesGroupName(name) {
            throw RuleViolation(attribute: SCIMAttribute.groupDisplayName,
                                  reason: "\(Text.quoted(name)) is a reserved system group; rename the group in the IdP or map it with groupNameMappings")
        }
    }
}
