// The helper and its parents, the keys cache, the generation layout, the node state's freshness,
// home prefixes.
import Foundation
import NodeSync
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

enum DoctorFileChecks {
    /// sshd's rule (and the helper's own rule for its cache): the file and every directory above it,
    /// up to the root, root-owned and not writable by group or others. With `--root`, directories
    /// above the root prefix are not the node's and are not looked at.
    static func ownershipProblems(_ path: String, ctx: DoctorContext, needSearch: Bool) -> [String] {
        var problems: [String] = []
        var current = DoctorFS.parent(path)
        let top = ctx.root.isEmpty ? "/" : ctx.root
        while true {
            if let i = DoctorFS.info(current) {
                if i.uid != 0 { problems.append("directory \(current) is owned by uid \(i.uid), not root") }
                if i.groupOrWorldWritable {
                    problems.append("directory \(current) is writable by group or others (mode \(DoctorFS.octal(i.mode)))")
                }
                if needSearch && i.mode & 0o001 == 0 {
                    problems.append("directory \(current) is not searchable by others (mode \(DoctorFS.octal(i.mode)))")
                }
            } else {
                problems.append("directory \(current) is missing")
            }
            if current == top || current == "/" || current.count <= top.count { break }
            current = DoctorFS.parent(current)
        }
        return problems
    }

    static func checkHelper(_ helper: String, ctx: DoctorContext) -> DoctorFinding {
        let name = "helper"
        let path = ctx.path(helper)
        guard let i = DoctorFS.info(path) else {
            return .fail(name, "\(path) is missing", fix: "install the sunk-bridge package (it ships the helper there)")
        }
        var problems: [String] = []
        if !i.isRegular { problems.append("\(path) is not a regular file") }
        if i.uid != 0 { problems.append("\(path) is owned by uid \(i.uid), not root") }
        if i.groupOrWorldWritable {
            problems.append("\(path) is writable by group or others (mode \(DoctorFS.octal(i.mode)))")
        }
        if i.mode & 0o001 == 0 { problems.append("\(path) is not executable by others (mode \(DoctorFS.octal(i.mode)))") }
        problems += ownershipProblems(path, ctx: ctx, needSearch: true)
        if problems.isEmpty {
            return .ok(name, "\(path) (mode \(DoctorFS.octal(i.mode))) and every parent up to \(ctx.rootShown) are "
                        + "root-owned and not writable by group or others")
        }
        return .fail(name, problems.joined(separator: "; ") + ": sshd refuses to run it",
                     fix: "chown root:root and chmod go-w (helper 0755) on each path named; "
                        + "keep the helper in /usr/libexec/sunk-bridge")
    }

    static func checkKeysCache(_ ctx: DoctorContext) -> DoctorFinding {
        let name = "keys-cache"
        let link = ctx.paths.keysCache
        guard let i = DoctorFS.info(link) else {
            return .fail(name, "\(link) is missing: the helper exits 1 and no IdP user can log in with a key",
                         fix: "run `sunk-bridge sync` (it writes the cache); see `sunk-bridge status`")
        }
        // A link into the current generation: the helper checks the resolved file and its directories,
        // and the directory holding the link; so does this check.
        var resolved = DoctorFS.realPath(link) ?? link
        if !ctx.root.isEmpty, let realRoot = DoctorFS.realPath(ctx.root), resolved.hasPrefix(realRoot + "/") {
            resolved = ctx.root + resolved.dropFirst(realRoot.count)   // shown and walked below the root as given
        }
        let path = resolved == link ? link : "\(link) (→ \(resolved))"
        var problems: [String] = []
        if i.uid != 0 { problems.append("\(path) is owned by uid \(i.uid), not root") }
        if i.groupOrWorldWritable {
            problems.append("\(path) is writable by group or others (mode \(DoctorFS.octal(i.mode)))")
        }
        if i.mode & 0o004 == 0 { problems.append("\(path) is not readable by others (mode \(DoctorFS.octal(i.mode)))") }
        problems += ownershipProblems(resolved, ctx: ctx, needSearch: true)
        if resolved != link {
            problems += ownershipProblems(link, ctx: ctx, needSearch: true).filter { !problems.contains($0) }
        }
        if problems.isEmpty { return .ok(name, "\(path) is root-owned, readable and not writable by others") }
        return .fail(name, problems.joined(separator: "; ") + ": the helper refuses the cache",
                     fix: "chown root:root and chmod 0755 the directories, 0644 the cache; if the server shares "
                        + "this host its database belongs in /var/lib/sunk-bridge/server, not /var/lib/sunk-bridge")
    }

    // MARK: generations

    /// The generation layout: `current` names an existing generation and every fixed path of `format`
    /// (and keys.cache, state.json, snapshot.json) is the link into it. The layout before generations
    /// (regular files) is fine: the next sync converts it. No finding on a node that never synced.
    static func checkGenerations(_ ctx: DoctorContext, format: NSSFormat) -> DoctorFinding? {
        let name = "node-files"
        let paths = ctx.paths
        let links = NodeLayout.links(format, paths: paths)
        let fixSync = "run `sunk-bridge sync` (it finishes or rolls back a half-done switch and recreates the links); "
            + "see `sunk-bridge status`"
        guard DoctorFS.linkText(paths.currentLink) != nil || DoctorFS.lexists(paths.currentLink) else {
            let regular = links.filter { DoctorFS.lexists($0.path) && DoctorFS.linkText($0.path) == nil }
            if regular.isEmpty { return nil }
            return .ok(name, "\(regular.count) node files are regular files (the layout before generations, "
                        + "no \(paths.currentLink)); the next `sunk-bridge sync` converts them")
        }
        guard let text = DoctorFS.linkText(paths.currentLink), text.hasPrefix("generations/"),
              let generation = GenerationStore.currentName(paths),
              DoctorFS.info(paths.generation(generation))?.isDirectory == true else {
            return .fail(name, "\(paths.currentLink) does not point at an existing generation directory "
                            + "(generations/<G>): every node file is unreadable", fix: fixSync)
        }
        var problems: [String] = []
        var unconverted: [String] = []
        for link in links {
            if let target = DoctorFS.linkText(link.path) {
                if target != link.target {
                    problems.append("\(link.path) points at \(target), not \(link.target)")
                } else if !DoctorFS.exists(link.path) {
                    problems.append("\(link.path) → \(link.target) is missing from generation \(generation)")
                }
            } else if DoctorFS.lexists(link.path) {
                unconverted.append(link.path)
            } else {
                problems.append("\(link.path) is missing")
            }
        }
        if !problems.isEmpty {
            return .fail(name, problems.joined(separator: "; "), fix: fixSync)
        }
        if !unconverted.isEmpty {
            return .warn(name, "not links into \(paths.currentLink) yet (a conversion to generations not finished): "
                            + unconverted.joined(separator: ", "), fix: fixSync)
        }
        return .ok(name, "\(paths.currentLink) → \(text); all \(links.count) node files (\(format.rawValue), keys cache, "
                    + "state, snapshot) are links into it")
    }

    // MARK: state

    static func checkState(_ ctx: DoctorContext, node: DoctorNodeState) -> [DoctorFinding] {
        let name = "sync-state"
        let path = ctx.paths.stateFile
        let fixSync = "run `sunk-bridge sync` by hand and read its error; check `systemctl status "
            + "sunk-bridge-sync.timer` (or the cron file) and `sunk-bridge status`"
        let state: SyncState
        switch node.state {
        case nil: return [.fail(name, "\(path) is missing: this node never synced", fix: fixSync)]
        case .failure(let error)?: return [.fail(name, "\(error)", fix: "delete it and \(fixSync)")]
        case .success(let s)?: state = s
        }
        var findings: [DoctorFinding] = []
        if let date = state.lastSuccess {
            let shown = ISO8601DateFormatter().string(from: date)
            let age = Int(ctx.now.timeIntervalSince(date).rounded(.down))
            if age < -300 {
                findings.append(.warn(name, "last success \(shown) is \(-age) s in the future",
                                      fix: "check the clock (timedatectl, chrony)"))
            } else if age > ctx.maxAge {
                findings.append(.fail(name, "last successful sync \(shown), \(age) s ago, older than --max-age "
                                        + "\(ctx.maxAge): users and keys may be out of date", fix: fixSync))
            } else {
                findings.append(.ok(name, "last successful sync \(shown), \(max(age, 0)) s ago "
                                      + "(within --max-age \(ctx.maxAge))"))
            }
        } else {
            findings.append(.fail(name, "\(ctx.paths.lastRunFile) has no lastSuccess: no sync has succeeded yet",
                                  fix: fixSync))
        }
        if state.lastResult == .failed {
            findings.append(.warn(name, "the latest sync attempt failed: \(state.lastError ?? "no reason recorded")",
                                  fix: fixSync))
        }
        if let held = state.held, !held.isEmpty {
            findings.append(.warn(name, "the latest sync held back mass changes: \(held.joined(separator: "; "))",
                                  fix: "check them in the IdP; apply once with `sunk-bridge sync --accept-changes`"))
        }
        return findings
    }

    // MARK: homes

    static func checkHomePrefix(_ prefix: String, ctx: DoctorContext) -> DoctorFinding {
        let name = "home-prefix"
        let path = ctx.path(prefix)
        guard let i = DoctorFS.info(path) else {
            return .fail(name, "\(path) is missing: `sync --create-homes` cannot create homes below it",
                         fix: "create it (`install -d -m 0755 -o root -g root \(prefix)`) or mount the home file system")
        }
        guard i.isDirectory else {
            return .fail(name, "\(path) is not a directory", fix: "make \(prefix) a directory owned by root, mode 0755")
        }
        if i.groupOrWorldWritable {
            return .fail(name, "\(path) is writable by group or others (mode \(DoctorFS.octal(i.mode))): anyone can "
                            + "plant a directory or symlink where a user's home will be",
                         fix: "chmod 0755 \(prefix) (and chown root:root)")
        }
        if i.uid != 0 {
            return .warn(name, "\(path) is owned by uid \(i.uid), not root",
                         fix: "chown root:root \(prefix) unless it is a file system that maps root (root_squash)")
        }
        return .ok(name, "\(path) exists, root-owned, mode \(DoctorFS.octal(i.mode))")
    }
}
