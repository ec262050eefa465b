// sshd: the effective AuthorizedKeysCommand / AuthorizedKeysCommandUser, from `sshd -T` when the
// binary is there, else from the configuration text (Include followed, Match blocks not applied).
import Foundation
import NodeSync
import ProcessRunner

/// The two settings doctor cares about, and where they came from.
struct DoctorSSHDSettings: Sendable, Equatable {
    var command: String?
    var commandUser: String?
    /// `sshd -T` or `the text of PATH`.
    var source: String
    /// Things worth knowing about how they were read (a setting seen only inside Match, …).
    var notes: [String] = []
}

/// Why `sshd -T` gave no settings: sshd's own complaint, or why it could not run.
struct SSHDRefusal: Error, Sendable { var reason: String }

enum DoctorSSHDChecks {
    static let matchSpec = "user=root,host=localhost,addr=127.0.0.1"

    // MARK: reading

    /// Runs `sshd -T -C … -f CONFIG`. `.failure` carries sshd's complaint.
    static func effective(binary: String, config: String) -> Result<DoctorSSHDSettings, SSHDRefusal> {
        let result: ChildResult
        do throws(ChildLaunchError) {
            result = try ChildProcess(binary, ["-T", "-C", matchSpec, "-f", config]).run()
        } catch {
            let reason = switch error {
            case .launch(let launch): launch.localizedDescription
            case .capture: error.description
            }
            return .failure(.init(reason: "cannot run \(binary): \(reason)"))
        }
        guard result.status == 0 else {
            // sshd says what is wrong first and "terminating, N bad configuration options" last.
            let lines = result.standardError
                .split(whereSeparator: { $0.isNewline })
                .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            let complaint = lines.isEmpty ? "exit status \(result.status)"
                : lines.suffix(4).joined(separator: " / ")
            return .failure(.init(reason: complaint))
        }
        var settings = DoctorSSHDSettings(source: "`sshd -T -C \(matchSpec)`")
        for line in result.standardOutput.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let value = String(parts[1]).trimmingCharacters(in: .whitespaces)
            switch parts[0].lowercased() {
            case "authorizedkeyscommand" where settings.command == nil:
                settings.command = value == "none" ? nil : value
            case "authorizedkeyscommanduser" where settings.commandUser == nil:
                settings.commandUser = value == "none" ? nil : value
            default: break
            }
        }
        return .success(settings)
    }

    /// Reads the configuration text the way sshd does for the global section: keywords are
    /// case-insensitive, the first value wins, `Include` is followed (relative to /etc/ssh, below
    /// the root), and a `Match` block lasts to the next `Match` or the end of that file.
    static func fromText(config: String, ctx: DoctorContext) -> DoctorSSHDSettings? {
        guard DoctorFS.text(config) != nil else { return nil }
        var settings = DoctorSSHDSettings(source: "the text of \(config) (sshd not run)")
        var matchOnly: Set<String> = []
        read(config, ctx: ctx, depth: 0, into: &settings, matchOnly: &matchOnly)
        for key in matchOnly.sorted() {
            settings.notes.append("\(key) is also set inside a Match block, which this reading does not apply")
        }
        return settings
    }

    private static func read(_ file: String, ctx: DoctorContext, depth: Int, into s: inout DoctorSSHDSettings,
                             matchOnly: inout Set<String>) {
        guard depth < 16, let text = DoctorFS.text(file) else { return }
        var inMatch = false
        for raw in text.split(separator: "\n") {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let (keyword, value) = splitKeyword(line)
            switch keyword {
            case "match":
                inMatch = true
            case "include" where !inMatch:
                for pattern in value.split(whereSeparator: { $0 == " " || $0 == "\t" }) {
                    let p = unquote(String(pattern))
                    let absolute = p.hasPrefix("/") ? p : "/etc/ssh/" + p
                    for f in DoctorFS.glob(ctx.path(absolute)) {
                        read(f, ctx: ctx, depth: depth + 1, into: &s, matchOnly: &matchOnly)
                    }
                }
            case "authorizedkeyscommand", "authorizedkeyscommanduser":
                let display = keyword == "authorizedkeyscommand" ? "AuthorizedKeysCommand" : "AuthorizedKeysCommandUser"
                if inMatch { matchOnly.insert(display); continue }
                let v = unquote(value)
                if keyword == "authorizedkeyscommand" {
                    if s.command == nil { s.command = v == "none" ? "" : v }
                } else if s.commandUser == nil {
                    s.commandUser = v == "none" ? "" : v
                }
            default:
                break
            }
        }
    }

    /// Done reading: "" (explicit `none`) becomes nil.
    static func normalised(_ s: DoctorSSHDSettings) -> DoctorSSHDSettings {
        var t = s
        if t.command == "" { t.command = nil }
        if t.commandUser == "" { t.commandUser = nil }
        return t
    }

    /// `Keyword value`, `Keyword=value`, `Keyword = value`.
    static func splitKeyword(_ line: String) -> (String, String) {
        guard let end = line.firstIndex(where: { $0 == " " || $0 == "\t" || $0 == "=" }) else {
            return (line.lowercased(), "")
        }
        let keyword = line[..<end].lowercased()
        var rest = line[end...].drop(while: { $0 == " " || $0 == "\t" })
        if rest.first == "=" { rest = rest.dropFirst().drop(while: { $0 == " " || $0 == "\t" }) }
        return (keyword, String(rest).trimmingCharacters(in: .whitespaces))
    }

    static func unquote(_ s: String) -> String {
        if s.count >= 2, s.hasPrefix("\""), s.hasSuffix("\"") { return String(s.dropFirst().dropLast()) }
        return s
    }

    // MARK: checking

    /// All sshd findings; also returns the helper path the configuration names (for the helper check).
    static func check(_ ctx: DoctorContext) -> (findings: [DoctorFinding], helper: String?) {
        var findings: [DoctorFinding] = []
        var settings: DoctorSSHDSettings?
        if let binary = ctx.sshdBinary, DoctorFS.isExecutableFile(binary) {
            switch effective(binary: binary, config: ctx.sshdConfig) {
            case .success(let s):
                settings = s
            case .failure(let problem) where problem.reason.contains("privilege separation directory"):
                // Not a configuration error: sshd is not running here (its RuntimeDirectory /run/sshd
                // is made when the service starts). The text is read instead.
                findings.append(.warn("sshd-config", "`\(binary) -T` could not run: \(problem.reason) (sshd not "
                                        + "started on this host?); read the file text instead",
                                      fix: "start sshd (systemctl start ssh) or `mkdir -m 0755 /run/sshd`, then run "
                                        + "doctor again for sshd's own reading of the configuration"))
            case .failure(let problem):
                findings.append(.fail("sshd-config", "`\(binary) -T -f \(ctx.sshdConfig)` refused the configuration: "
                                        + problem.reason + " (read the file text instead)",
                                      fix: "run `\(binary) -t -f \(ctx.sshdConfig)` and correct what it reports; "
                                        + "sshd will not (re)start with this configuration"))
            }
        }
        if settings == nil {
            guard let s = fromText(config: ctx.sshdConfig, ctx: ctx) else {
                findings.append(.fail("sshd-config", "\(ctx.sshdConfig) cannot be read",
                                      fix: "point --sshd-config at sshd's configuration file"))
                return (findings, nil)
            }
            settings = s
        }
        let s = normalised(settings!)
        for note in s.notes {
            findings.append(.warn("sshd-config", note + " (\(ctx.sshdConfig))",
                                  fix: "set AuthorizedKeysCommand and AuthorizedKeysCommandUser globally, "
                                    + "before any Match block, or check with `sshd -T -C user=NAME,…`"))
        }
        let commandFinding = checkCommand(s.command, source: s.source)
        findings.append(commandFinding.finding)
        findings.append(checkCommandUser(s.commandUser, source: s.source, ctx: ctx))
        return (findings, commandFinding.helper)
    }

    static let snippet = "/usr/share/doc/sunk-bridge/examples/sshd_config.d/sunk-bridge.conf"

    static func checkCommand(_ command: String?, source: String) -> (finding: DoctorFinding, helper: String?) {
        let name = "sshd-command"
        let wanted = "AuthorizedKeysCommand \(NodePaths.packagedHelper) %u %U"
        guard let command, !command.isEmpty else {
            return (.fail(name, "no AuthorizedKeysCommand in \(source): sshd never asks for IdP keys",
                          fix: "add `\(wanted)` (copy \(snippet) to /etc/ssh/sshd_config.d/ and reload sshd)"), nil)
        }
        let tokens = command.split(whereSeparator: { $0 == " " || $0 == "\t" }).map { unquote(String($0)) }
        let path = tokens[0]
        guard path.hasPrefix("/") else {
            return (.fail(name, "AuthorizedKeysCommand `\(command)` is not an absolute path (\(source)); sshd refuses it",
                          fix: "use `\(wanted)`"), nil)
        }
        let args = Array(tokens.dropFirst())
        guard let u = args.firstIndex(of: "%u"), let uid = args.firstIndex(of: "%U"), u < uid else {
            return (.fail(name, "AuthorizedKeysCommand `\(command)` does not pass `%u %U` (\(source)): the helper "
                            + "needs the user name and the uid sshd resolved",
                          fix: "use `\(wanted)`"), path)
        }
        if path != NodePaths.packagedHelper {
            return (.warn(name, "AuthorizedKeysCommand runs \(path), not the packaged helper "
                            + "\(NodePaths.packagedHelper) (\(source))",
                          fix: "use `\(wanted)` unless \(path) is a deliberate wrapper"), path)
        }
        return (.ok(name, "`AuthorizedKeysCommand \(command)` (\(source))"), path)
    }

    static func checkCommandUser(_ user: String?, source: String, ctx: DoctorContext) -> DoctorFinding {
        let name = "sshd-command-user"
        let wanted = "AuthorizedKeysCommandUser sunk-bridge-keys"
        guard let user, !user.isEmpty else {
            return .fail(name, "no AuthorizedKeysCommandUser in \(source): sshd refuses to run the helper",
                         fix: "add `\(wanted)` (the package creates that unprivileged user)")
        }
        if user == "root" || user == "0" {
            return .fail(name, "AuthorizedKeysCommandUser is root (\(source)): the helper must run unprivileged",
                         fix: "use `\(wanted)`")
        }
        let passwd = ctx.path("/etc/passwd")
        let records = DoctorFS.text(passwd).map(doctorColonRecords) ?? []
        if let record = records.first(where: { $0.first.map(String.init) == user }) {
            if record.count > 2, record[2] == "0" {
                return .fail(name, "AuthorizedKeysCommandUser \(user) has uid 0 in \(passwd)", fix: "use `\(wanted)`")
            }
            return .ok(name, "AuthorizedKeysCommandUser \(user) (\(source)), present in \(passwd)")
        }
        return .warn(name, "AuthorizedKeysCommandUser \(user) is not in \(passwd); sshd refuses to run the helper "
                        + "unless another NSS source knows it",
                     fix: "reinstall the package (it creates sunk-bridge-keys) or `adduser --system sunk-bridge-keys`")
    }
}
