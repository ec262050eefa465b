// `/etc/sudoers.d/sunk-bridge`: sudo for the POSIX groups this node names (`sync --sudo-group`,
// `node.sudoGroups`). The rule comes only from the node's own options; the snapshot decides who is in
// those groups (the group file sync writes), never which groups get sudo.
import AuthorizedKeys
import Foundation
import ProcessRunner
import SunkModel
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// The sudo rule this node asks for: the groups, and whether sudo asks for a password.
public struct SudoRule: Equatable, Sendable {
    /// Group names as given (validated by `Sudoers.validateGroupName`), duplicates removed, in order.
    public var groups: [String]
    /// `NOPASSWD:` (`--sudo-nopasswd`, `node.sudoNoPassword`). Identity-provider users have no local
    /// password, so without it sudo only works where PAM authenticates sudo some other way.
    public var noPassword: Bool

    public init(groups: [String] = [], noPassword: Bool = false) {
        var seen = Set<String>()
        self.groups = groups.filter { seen.insert($0).inserted }
        self.noPassword = noPassword
    }

    public var isEmpty: Bool { groups.isEmpty }

    /// The sudoers line of one group.
    func line(_ group: String) -> String {
        "%\(group) ALL=(ALL:ALL) " + (noPassword ? "NOPASSWD: ALL" : "ALL")
    }
}

/// What the sudo step of a run did, kept in `last-run.json` for `sunk-bridge status`.
public struct SudoersOutcome: Codable, Equatable, Sendable {
    public enum Action: String, Codable, Sendable {
        /// The file was created or replaced.
        case written
        /// The file already held exactly this rule.
        case unchanged
        /// No group is configured any more: our file was removed.
        case removed
        /// No group is configured and there is no file.
        case none
        /// No group is configured and the file exists but was not written by sunk-bridge: left alone.
        case foreign
    }

    /// The file, as seen on the node (without `--root`).
    public var path: String
    public var action: Action
    /// The groups granted by the file after this run (empty when there is none).
    public var groups: [String]
    public var noPassword: Bool
    /// Things an operator should know (a named group this node does not have, a locked user whose
    /// primary group is named, a foreign file left alone…).
    public var warnings: [String]

    public init(path: String, action: Action, groups: [String], noPassword: Bool, warnings: [String]) {
        self.path = path
        self.action = action
        self.groups = groups
        self.noPassword = noPassword
        self.warnings = warnings
    }

    /// One line for `status` and the sync summary.
    public var summary: String {
        switch action {
        case .written, .unchanged:
            return "\(path) grants " + groups.map { "%" + $0 }.joined(separator: ", ")
                + (noPassword ? " (NOPASSWD)" : " (password)") + (action == .written ? ", written" : "")
        case .removed: return "\(path) removed (no sudo group configured)"
        case .none: return "no sudo group configured"
        case .foreign: return "no sudo group configured; \(path) was not written by sunk-bridge and is left alone"
        }
    }
}

public enum Sudoers {
    /// The drop-in, below `--root`. sudo ignores names with a `.` or ending in `~`, so the temp files
    /// of `AtomicFileWriter` (`.sunk-bridge.sunk-tmp.…`) are never read by sudo.
    public static let path = "/etc/sudoers.d/sunk-bridge"
    /// The first line of every file sync writes: how a later run knows the file is its own.
    public static let marker = "# Managed by sunk-bridge sync (--sudo-group, node.sudoGroups): every sync replaces or removes this file; do not edit."
    static let attributes = FileAttributes(mode: 0o440)

    /// A group name a node may grant sudo to: a valid POSIX group name (`PosixRules`, `^[a-z_][a-z0-9_-]{0,31}$`)
    /// that is not one of the system groups of `Policy.defaultReservedGroupNames` (`sudo`, `wheel`,
    /// `admin`, `root`…: those get their rules in `/etc/sudoers`, never from sunk-bridge). `attribute`
    /// names where the value came from (`--sudo-group`, `node.sudoGroups`).
    public static func validateGroupName(_ raw: String, attribute: String) throws(RuleViolation) -> String {
        let quoted = String(raw.prefix(64)).debugDescription
        let lower = raw.lowercased()
        if Policy.default.reservedGroupNames.contains(where: { $0.lowercased() == lower }) {
            throw RuleViolation(attribute: attribute, reason: "\(quoted) is a system group; sunk-bridge grants sudo only to groups from the identity provider (system groups get their rules in /etc/sudoers)")
        }
        do throws(RuleViolation) {
            return try PosixRules.groupName(raw, policy: .default)
        } catch {
            throw RuleViolation(attribute: attribute, reason: "\(quoted) is not a POSIX group name: \(error.reason)")
        }
    }

    /// The file for `rule` (not empty).
    public static func render(_ rule: SudoRule) -> [UInt8] {
        var text = marker + "\n"
        text += "# sudo for the POSIX groups this node names. Who is in them comes from the identity provider\n"
        text += "# (the group file sync writes); locked users are in no supplementary group.\n"
        for group in rule.groups { text += rule.line(group) + "\n" }
        return Array(text.utf8)
    }

    /// True when `bytes` were written by sunk-bridge (they start with the marker line).
    public static func isOurs(_ bytes: [UInt8]) -> Bool {
        bytes.starts(with: Array((marker + "\n").utf8))
    }

    /// The grants of a file sunk-bridge wrote: group → NOPASSWD. Nil when a line is not one this code
    /// renders (then nothing is inferred from the file).
    public static func grants(_ bytes: [UInt8]) -> [String: Bool]? {
        guard isOurs(bytes) else { return nil }
        var result: [String: Bool] = [:]
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].hasPrefix("%") else { return nil }
            let group = String(parts[0].dropFirst())
            if parts[1] == "ALL=(ALL:ALL) NOPASSWD: ALL" { result[group] = true }
            else if parts[1] == "ALL=(ALL:ALL) ALL" { result[group] = result[group] ?? false }
            else { return nil }
        }
        return result
    }

    /// `visudo` from `PATH`, else `/usr/sbin/visudo`, `/sbin/visudo`; nil when there is none.
    public static func findVisudo(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        let directories = (environment["PATH"] ?? "").split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin"]
        for directory in directories where directory.hasPrefix("/") {
            let candidate = directory + "/visudo"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    /// Runs `visudo -cf FILE`; throws with its output when it refuses the file or cannot run.
    public static func check(_ file: String, visudo: String) throws(SyncError) {
        let result: ChildResult
        do throws(ChildLaunchError) {
            result = try ChildProcess(visudo, ["-c", "-f", file],
                                      environment: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C"],
                                      outputLimit: 64 << 10, mergeStandardError: true).run()
        } catch {
            throw .sudoers("cannot run \(visudo) -cf \(file): \(error)")
        }
        if !result.succeeded {
            let text = result.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
            throw .sudoers("\(visudo) -cf refused the new file (exit \(result.status)): \(text)")
        }
    }

    /// Warnings about `rule` on this node: a group the written group file lacks (the rule grants
    /// nobody until the identity provider sends it), and a group that is the primary group of a
    /// locked user (sudo matches the primary group too, and locking only removes supplementary ones).
    public static func warnings(_ rule: SudoRule, plan: NodePlan) -> [String] {
        var result: [String] = []
        for name in rule.groups {
            guard let group = plan.groups.first(where: { $0.name == name }) else {
                result.append("sudo group \(name) is not in the group file this node writes (the identity provider sent no group by that name, or this node skipped it): the rule grants nobody until it is")
                continue
            }
            let locked = plan.users.filter { $0.locked && $0.gid == group.gid }.map(\.name)
            if !locked.isEmpty {
                result.append("sudo group \(name) is the primary group of locked user(s) \(locked.joined(separator: ", ")): sudo also matches a primary group, so locking does not take it away; give administrators another primary group")
            }
        }
        return result
    }

    /// Makes the node's file match `rule`: writes it (checked with `visudo -cf` on the temp file,
    /// then renamed into place; mode 0440, root) or, when `rule` is empty, removes it if sunk-bridge
    /// wrote it. A file sunk-bridge did not write is never replaced or removed.
    ///
    /// - Parameter narrowingOnly: only apply `rule` when it grants nothing the installed file does not
    ///   (used when the run failed before its NSS files were committed: a revocation never waits for
    ///   the receiver, a grant always waits for the group file).
    static func apply(_ rule: SudoRule, paths: NodePaths, visudo: String?, warnings: [String],
                      narrowingOnly: Bool = false,
                      failurePoint: (@Sendable (String) throws(SyncError) -> Void)?) throws(SyncError) -> SudoersOutcome?
    {
        let file = paths.path(path)
        try removeStaleTempFiles(paths)
        let st = try SystemCall.status(file)
        var installed: [UInt8]?
        if let st, (st.st_mode & S_IFMT) == S_IFREG { installed = try SystemCall.read(file) }
        let ours = st != nil && installed.map(isOurs) == true
        var outcome = SudoersOutcome(path: path, action: .none, groups: rule.groups, noPassword: rule.noPassword,
                                     warnings: warnings)
        if narrowingOnly {
            guard ours, let installed, let granted = grants(installed) else { return nil }
            let widens = rule.groups.contains { granted[$0] == nil || (rule.noPassword && granted[$0] == false) }
            if widens { return nil }
        }

        if rule.isEmpty {
            outcome.noPassword = false
            guard st != nil else { return outcome }
            guard ours else {
                outcome.action = .foreign
                outcome.warnings.append("\(path) exists but was not written by sunk-bridge (no marker line): left alone")
                return outcome
            }
            try failurePoint?("remove etc/sudoers.d/sunk-bridge")
            if unlink(file) != 0 && errno != ENOENT { throw .io(operation: "unlink", path: file, errno: errno) }
            try AtomicFileWriter.syncDirectory(paths.path("/etc/sudoers.d"))
            outcome.action = .removed
            return outcome
        }

        if st != nil && !ours {
            throw .sudoers("\(file) exists but was not written by sunk-bridge (its first line is not the sunk-bridge marker); move it away, or remove --sudo-group/node.sudoGroups")
        }
        let directory = paths.path("/etc/sudoers.d")
        guard let dst = try SystemCall.status(directory), (dst.st_mode & S_IFMT) == S_IFDIR else {
            throw .sudoers("\(directory) does not exist: is sudo installed? (apt-get install sudo; its /etc/sudoers reads @includedir /etc/sudoers.d)")
        }
        let contents = render(rule)
        if try AtomicFileWriter.isCurrent(contents, at: file, attributes: attributes) {
            outcome.action = .unchanged
            return outcome
        }
        guard let visudo, access(visudo, X_OK) == 0 else {
            throw .sudoers("visudo not found\(visudo.map { " at \($0)" } ?? " (PATH, /usr/sbin, /sbin)"): the sudoers file is only installed after `visudo -cf` accepts it; install sudo")
        }
        try failurePoint?("write etc/sudoers.d/sunk-bridge")
        try AtomicFileWriter.write(contents, to: file, attributes: attributes) { (temp: String) throws(SyncError) in
            try check(temp, visudo: visudo)
        }
        outcome.action = .written
        return outcome
    }

    /// Removes the temp files of a run killed between writing and renaming (`.sunk-bridge.sunk-tmp.…`;
    /// sudo ignores them, but they are litter). The caller holds the sync lock, so no other run is
    /// writing one.
    static func removeStaleTempFiles(_ paths: NodePaths) throws(SyncError) {
        let directory = paths.path("/etc/sudoers.d")
        for name in try SystemCall.directoryEntries(directory) where name.hasPrefix(".sunk-bridge.sunk-tmp.") {
            if unlink(directory + "/" + name) != 0 && errno != ENOENT {
                throw .io(operation: "unlink", path: directory + "/" + name, errno: errno)
            }
        }
    }

    /// A warning when `<root>/etc/sudoers` exists but does not read `/etc/sudoers.d`.
    static func includeWarning(_ paths: NodePaths) -> String? {
        guard let bytes = try? SystemCall.read(paths.path("/etc/sudoers")) else { return nil }
        let text = String(decoding: bytes, as: UTF8.self)
        for line in text.split(separator: "\n") {
            let t = line.trimmingBlanks()
            if t.hasPrefix("@includedir /etc/sudoers.d") || t.hasPrefix("#includedir /etc/sudoers.d") { return nil }
        }
        return "/etc/sudoers has no `@includedir /etc/sudoers.d` line: sudo does not read \(path)"
    }
}
