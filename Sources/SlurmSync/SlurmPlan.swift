// Desired state (verified snapshot + the cluster's rules) against the current state (sacctmgr) →
// an ordered list of commands. Only accounts marked `Organization=sunk-bridge` and the user
// associations inside them are ever changed.
import SunkSnapshot

/// Errors of `slurm sync`. Each message says what to check.
public enum SlurmSyncError: Error, Sendable, Equatable, CustomStringConvertible {
    case usage(String)
    /// A `sacctmgr -n -P` output that does not have the expected shape.
    case parse(String)
    /// A command failed: the tool, its arguments, exit status and what it printed.
    case command(tool: String, arguments: [String], status: Int32, output: String)
    /// The snapshot could not be fetched, verified or decoded.
    case snapshot(String)
    /// Refused by the mass-change guard.
    case tooManyRemovals(removing: Int, current: Int, allowed: Int, percent: Int)
    /// The snapshot has no users while managed associations exist.
    case emptySnapshot(managedAssociations: Int)
    /// Some commands failed (each described); the others, `applied` of them, were made.
    case failed([String], applied: Int)

    public var description: String {
        switch self {
        case .usage(let m): return m
        case .parse(let m): return "cannot read sacctmgr output: \(m); nothing changed"
        case .command(let tool, let arguments, let status, let output):
            let text = output.trimmingCharacters(in: .whitespacesAndNewlines)
            return "\(SlurmCommand.display(tool: tool, arguments: arguments)) failed (exit \(status))"
                + (text.isEmpty ? "" : ": \(text)")
        case .snapshot(let m): return "\(m); Slurm accounts unchanged"
        case .tooManyRemovals(let removing, let current, let allowed, let percent):
            return "refusing to block or remove \(removing) of \(current) managed associations (limit \(allowed): --max-delete-percent \(percent), at least \(SlurmPlanner.removalFloor)); run once with a higher --max-delete-percent if this is intended; Slurm accounts unchanged"
        case .failed(let failures, let applied):
            return "\(failures.count) command\(failures.count == 1 ? "" : "s") failed (\(applied) other changes made; the next run retries): " + failures.joined(separator: "; ")
        case .emptySnapshot(let n):
            return "refusing an empty snapshot: slurmdbd has \(n) associations managed by sunk-bridge; Slurm accounts unchanged"
        }
    }
}

/// One command `slurm sync` runs, as an argument vector (never a shell string).
public struct SlurmCommand: Sendable, Equatable {
    public enum Tool: String, Sendable { case sacctmgr, scancel }
    public var tool: Tool
    /// Arguments after the tool (and after `-i` for sacctmgr).
    public var arguments: [String]
    /// Why, for the log: "ada joined group slurm-physics".
    public var reason: String
    /// Counted by the mass-change guard (blocks and removals).
    public var isRemoval: Bool

    public init(_ tool: Tool, _ arguments: [String], reason: String, isRemoval: Bool = false) {
        self.tool = tool
        self.arguments = arguments
        self.reason = reason
        self.isRemoval = isRemoval
    }

    /// The full argument vector after the program.
    public var argv: [String] { tool == .sacctmgr ? ["-i"] + arguments : arguments }

    /// As a shell would need it typed (for `--dry-run` and the log).
    public var display: String { Self.display(tool: tool.rawValue, arguments: argv) }

    static func display(tool: String, arguments: [String]) -> String {
        ([tool] + arguments).map(shellQuoted).joined(separator: " ")
    }

    static func shellQuoted(_ word: String) -> String {
        let plain = word.unicodeScalars.allSatisfy { c in
            (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9") || "-_=.,/:@+".unicodeScalars.contains(c)
        }
        if plain && !word.isEmpty { return word }
        return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

/// The result of planning: commands in order, and what was left alone (with reasons).
public struct SlurmPlan: Sendable, Equatable {
    public var commands: [SlurmCommand]
    /// Groups, accounts or users not acted on, one sentence each.
    public var notes: [String]
    /// Managed user associations in slurmdbd before the run (the guard's base).
    public var managedAssociations: Int
    public var removals: Int { commands.filter(\.isRemoval).count }
}

public enum SlurmPlanner {
    /// The smallest number of blocks/removals always allowed (the same floor as `sync`'s guard).
    public static let removalFloor = 5

    /// Plans the changes. `users` and `groups` come from a verified, validated snapshot.
    /// `localNames`/`localUIDs` are the controller's own accounts (`/etc/passwd`): as `sync`'s node
    /// floor skips an IdP user whose name or uid is a local account, so does this — a local account
    /// never gets an association from an IdP group.
    public static func plan(body: SnapshotBody, state: SlurmState, rules: SlurmAccountRules,
                            localNames: Set<String> = [], localUIDs: Set<UInt32> = []) -> SlurmPlan {
        var notes: [String] = []
        var commands: [SlurmCommand] = []
        let clusterArgs = rules.cluster.map { ["cluster=\($0)"] } ?? []
        for u in body.users where u.active && (localNames.contains(u.name) || localUIDs.contains(u.uid)) {
            notes.append("user \(u.name) (uid \(u.uid)) skipped: the name or uid is a local account of this host, which wins (as for sync)")
        }

        // Desired accounts and their members.
        var members: [String: Set<String>] = [:]
        var sources: [String: [String]] = [:]
        let active = Set(body.users.filter { $0.active && !localNames.contains($0.name) && !localUIDs.contains($0.uid) }.map(\.name))
        for group in body.groups {
            guard let account = rules.account(forGroup: group.name) else { continue }
            if let reason = SlurmNames.accountProblem(account) {
                notes.append("group \(group.name) (\"\(group.displayName)\") not used: \(reason)")
                continue
            }
            members[account, default: []].formUnion(group.members.filter { active.contains($0) })
            sources[account, default: []].append(group.name)
        }
        if let fallback = rules.defaultAccount {
            members[fallback, default: []].formUnion(active)
            sources[fallback, default: []].append("every active user")
        }
        // Accounts that exist but are not ours are never touched.
        for account in members.keys.sorted() {
            if let existing = state.accounts[account], !existing.isManaged {
                notes.append("account \(account) exists and was not created by sunk-bridge (Organization=\(existing.organization.isEmpty ? "none" : existing.organization)); left alone, its members from \(sources[account]!.joined(separator: ", ")) not added")
                members[account] = nil
            }
        }
        for user in active.sorted() where !SlurmNames.isUserName(user) {
            notes.append("user \(user) skipped: not a valid Slurm user name")
        }

        let managed = Set(state.accounts.values.filter(\.isManaged).map(\.name))
        let current = state.associations.filter { managed.contains($0.account) && $0.partition.isEmpty }
        var currentByUser: [String: [SlurmAssociation]] = [:]
        for a in current { currentByUser[a.user, default: []].append(a) }
        var desiredByUser: [String: Set<String>] = [:]
        for (account, users) in members { for u in users where SlurmNames.isUserName(u) { desiredByUser[u, default: []].insert(account) } }
        let allAssociationsByUser = Dictionary(grouping: state.associations.filter { $0.partition.isEmpty }, by: \.user)

        // 1. Accounts.
        for account in members.keys.sorted() where state.accounts[account] == nil {
            commands.append(SlurmCommand(.sacctmgr, ["add", "account", account] + clusterArgs
                + ["Parent=\(rules.parent)", "Description=\(SlurmMarker.description)", "Organization=\(SlurmMarker.organization)"],
                reason: "account \(account) for \(sources[account]!.joined(separator: ", "))"))
        }

        // 2. Active users: add, unblock, default account, remove what they left.
        for user in desiredByUser.keys.sorted() {
            let want = desiredByUser[user]!
            let have = Dictionary((currentByUser[user] ?? []).map { ($0.account, $0) }, uniquingKeysWith: { a, _ in a })
            let preferred = rules.defaultAccount.flatMap { want.contains($0) ? $0 : nil } ?? want.sorted().first!
            let existingUser = state.defaultAccounts[user] != nil
            var defaultAccount = state.defaultAccounts[user]
            for account in want.sorted() where have[account] == nil {
                var args = ["add", "user", user] + clusterArgs + ["Account=\(account)"]
                if !existingUser && defaultAccount == nil {
                    args.append("DefaultAccount=\(preferred)")
                    defaultAccount = preferred
                }
                commands.append(SlurmCommand(.sacctmgr, args, reason: "\(user) is in \(sources[account]!.joined(separator: ", "))"))
            }
            for account in want.sorted() { if let a = have[account], a.isBlocked {
                commands.append(SlurmCommand(.sacctmgr, ["modify", "user", "where", "name=\(user)", "account=\(account)"] + clusterArgs
                    + ["set", "MaxSubmitJobs=-1"], reason: "\(user) is active again in \(account)"))
            } }
            // The default moves only away from a managed account the user no longer has (or to the
            // configured default account from another managed one); an admin's choice of an
            // account sunk-bridge does not manage stays.
            if let d = defaultAccount, d != preferred, managed.contains(d) || members[d] != nil,
               !want.contains(d) || (rules.defaultAccount == preferred) {
                commands.append(SlurmCommand(.sacctmgr, ["modify", "user", "where", "name=\(user)"] + clusterArgs
                    + ["set", "DefaultAccount=\(preferred)"], reason: "default account of \(user)"))
            }
            for account in have.keys.sorted() where !want.contains(account) {
                commands.append(SlurmCommand(.sacctmgr, ["delete", "user", "where", "name=\(user)", "account=\(account)"] + clusterArgs,
                    reason: "\(user) left the groups of account \(account)", isRemoval: true))
            }
        }

        // 3. Users with managed associations who are no longer active members of anything:
        // locked, removed from the snapshot, or left every group.
        let inSnapshot = Dictionary(body.users.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for user in currentByUser.keys.sorted() where desiredByUser[user] == nil {
            guard SlurmNames.isUserName(user) else {
                notes.append("association of \"\(user)\" left alone: not a valid user name")
                continue
            }
            let assocs = currentByUser[user]!.sorted { $0.account < $1.account }
            let why: String
            if let u = inSnapshot[user] { why = u.active ? "\(user) is in no managed group" : "\(user) is locked" }
            else { why = "\(user) is no longer provisioned" }
            let gone = inSnapshot[user] == nil || inSnapshot[user]!.active == false
            if gone && rules.onRemove == .block {
                for a in assocs where !a.isBlocked {
                    commands.append(SlurmCommand(.sacctmgr, ["modify", "user", "where", "name=\(user)", "account=\(a.account)"] + clusterArgs
                        + ["set", "MaxSubmitJobs=0"], reason: "\(why): blocked in \(a.account)", isRemoval: true))
                    if rules.cancelJobs {
                        commands.append(SlurmCommand(.scancel, ["--user=\(user)", "--account=\(a.account)"]
                            + (rules.cluster.map { ["--clusters=\($0)"] } ?? []),
                            reason: "\(why): jobs in \(a.account) cancelled"))
                    }
                }
            } else {
                // Deleting the default association needs another default first, when one is left.
                let others = (allAssociationsByUser[user] ?? []).filter { !managed.contains($0.account) }.map(\.account).sorted()
                if let d = state.defaultAccounts[user], managed.contains(d), let other = others.first {
                    commands.append(SlurmCommand(.sacctmgr, ["modify", "user", "where", "name=\(user)"] + clusterArgs
                        + ["set", "DefaultAccount=\(other)"], reason: "default account of \(user) before removal"))
                }
                for a in assocs {
                    commands.append(SlurmCommand(.sacctmgr, ["delete", "user", "where", "name=\(user)", "account=\(a.account)"] + clusterArgs,
                        reason: "\(why): removed from \(a.account)", isRemoval: true))
                }
            }
        }
        return SlurmPlan(commands: commands, notes: notes, managedAssociations: current.count)
    }

    /// The same rule as `sync`: refuse an empty snapshot over managed associations, and more
    /// blocks/removals than `max(removalFloor, current × percent / 100)`.
    public static func guardCheck(_ plan: SlurmPlan, body: SnapshotBody, maxDeletePercent: Int) throws(SlurmSyncError) {
        if body.users.isEmpty && plan.managedAssociations > 0 {
            throw .emptySnapshot(managedAssociations: plan.managedAssociations)
        }
        let allowed = max(removalFloor, plan.managedAssociations * maxDeletePercent / 100)
        if plan.removals > allowed {
            throw .tooManyRemovals(removing: plan.removals, current: plan.managedAssociations, allowed: allowed,
                                   percent: maxDeletePercent)
        }
    }
}
