// The helper and its parents, the keys cache, the node state's freshness, home prefixes.
import Foundation

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
        let path = ctx.path(DoctorContext.keysCache)
        guard let i = DoctorFS.info(path) else {
            return .fail(name, "\(path) is missing: the helper exits 1 and no IdP user can log in with a key",
                         fix: "run `sunk-bridge sync` (it writes the cache); see `sunk-bridge status`")
        }
        var problems: [String] = []
        if i.uid != 0 { problems.append("\(path) is owned by uid \(i.uid), not root") }
        if i.groupOrWorldWritable {
            problems.append("\(path) is writable by group or others (mode \(DoctorFS.octal(i.mode)))")
        }
        if i.mode & 0o004 == 0 { problems.append("\(path) is not readable by others (mode \(DoctorFS.octal(i.mode)))") }
        problems += ownershipProblems(path, ctx: ctx, needSearch: true)
        if problems.isEmpty { return .ok(name, "\(path) is root-owned, readable and not writable by others") }
        return .fail(name, problems.joined(separator: "; ") + ": the helper refuses the cache",
                     fix: "chown root:root and chmod 0755 the directories, 0644 the cache; if the server shares "
                        + "this host its database belongs in /var/lib/sunk-bridge/server, not /var/lib/sunk-bridge")
    }

    // MARK: state

    /// The node state file as a JSON object, if any (read loosely: only a few keys matter here).
    static func state(_ ctx: DoctorContext) -> Result<[String: Any], DoctorFS.JSONProblem>? {
        DoctorFS.jsonObject(ctx.path(DoctorContext.stateFile))
    }

    static func parseDate(_ text: String) -> Date? {
        let plain = ISO8601DateFormatter()
        plain.formatOptions = [.withInternetDateTime]
        if let d = plain.date(from: text) { return d }
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return fractional.date(from: text)
    }

    static func checkState(_ ctx: DoctorContext, state: Result<[String: Any], DoctorFS.JSONProblem>?) -> [DoctorFinding] {
        let name = "sync-state"
        let path = ctx.path(DoctorContext.stateFile)
        let fixSync = "run `sunk-bridge sync` by hand and read its error; check `systemctl status "
            + "sunk-bridge-sync.timer` (or the cron file) and `sunk-bridge status`"
        guard let state else {
            return [.fail(name, "\(path) is missing: this node never synced", fix: fixSync)]
        }
        let object: [String: Any]
        switch state {
        case .failure(let p): return [.fail(name, "\(path) \(p.reason)", fix: "delete it and \(fixSync)")]
        case .success(let o): object = o
        }
        var findings: [DoctorFinding] = []
        if let text = object["lastSuccess"] as? String {
            if let date = parseDate(text) {
                let age = Int(ctx.now.timeIntervalSince(date).rounded(.down))
                if age < -300 {
                    findings.append(.warn(name, "last success \(text) is \(-age) s in the future",
                                          fix: "check the clock (timedatectl, chrony)"))
                } else if age > ctx.maxAge {
                    findings.append(.fail(name, "last successful sync \(text), \(age) s ago, older than --max-age "
                                            + "\(ctx.maxAge): users and keys may be out of date", fix: fixSync))
                } else {
                    findings.append(.ok(name, "last successful sync \(text), \(max(age, 0)) s ago "
                                          + "(within --max-age \(ctx.maxAge))"))
                }
            } else {
                findings.append(.fail(name, "\(path): lastSuccess `\(text)` is not an RFC 3339 time",
                                      fix: "delete it and \(fixSync)"))
            }
        } else {
            findings.append(.fail(name, "\(path) has no lastSuccess: no sync has succeeded yet", fix: fixSync))
        }
        if (object["lastResult"] as? String) == "failed" {
            let error = (object["lastError"] as? String) ?? "no reason recorded"
            findings.append(.warn(name, "the latest sync attempt failed: \(error)", fix: fixSync))
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
