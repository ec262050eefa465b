// nsswitch.conf: the module after `files`, no stale module of the other format; the module's
// shared object installed.
import Foundation
import NodeSync

enum DoctorNSSChecks {
    static let databases = ["passwd", "group", "shadow"]

    /// `database -> [source]` from nsswitch.conf text; `[NOTFOUND=return]` style actions dropped.
    /// A database listed twice keeps its first line (glibc does the same).
    static func parse(_ text: String) -> [String: [String]] {
        var out: [String: [String]] = [:]
        for raw in text.split(separator: "\n") {
            var line = Substring(raw)
            if let hash = line.firstIndex(of: "#") { line = line[..<hash] }
            guard let colon = line.firstIndex(of: ":") else { continue }
            let db = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            if db.isEmpty || out[db] != nil { continue }
            var sources: [String] = []
            var inAction = false
            for token in line[line.index(after: colon)...].split(whereSeparator: { $0 == " " || $0 == "\t" }) {
                if token.hasPrefix("[") { inAction = true }
                if !inAction { sources.append(String(token)) }
                if token.hasSuffix("]") { inAction = false }
            }
            out[db] = sources
        }
        return out
    }

    static func check(nsswitchPath: String, format: NSSFormat, formatSource: String) -> [DoctorFinding] {
        let name = "nsswitch"
        guard let text = DoctorFS.text(nsswitchPath) else {
            return [.fail(name, "\(nsswitchPath) cannot be read",
                          fix: "create it with `passwd: files \(format.module)` (and group, shadow); "
                            + "see /usr/share/doc/sunk-bridge/examples/nsswitch.conf.snippet")]
        }
        let table = parse(text)
        var findings: [DoctorFinding] = []
        for db in databases {
            let wanted = "\(db): files \(format.module)"
            guard let sources = table[db] else {
                findings.append(.fail(name, "\(nsswitchPath) has no `\(db):` line, so \(format.module) "
                                        + "(\(formatSource)) is never asked",
                                      fix: "add `\(wanted)`"))
                continue
            }
            let shown = "`\(db): \(sources.joined(separator: " "))`"
            var problems: [String] = []
            let files = sources.firstIndex(of: "files") ?? sources.firstIndex(of: "compat")
            let module = sources.firstIndex(of: format.module)
            if files == nil { problems.append("no `files` source (local accounts must come first)") }
            if module == nil {
                problems.append("\(format.module) missing (\(formatSource))")
            } else if let f = files, let m = module, m < f {
                problems.append("\(format.module) comes before `files`")
            }
            if sources.contains(format.other.module) {
                problems.append("stale \(format.other.module) module of the other NSS format")
            }
            if problems.isEmpty {
                findings.append(.ok(name, "\(shown) has \(format.module) after files"))
            } else {
                let stale = sources.contains(format.other.module)
                    ? "; remove \(format.other.module) and its files (\(staleFiles(format.other)))" : ""
                findings.append(.fail(name, "\(shown): " + problems.joined(separator: "; "),
                                      fix: "edit \(nsswitchPath): `\(wanted)` (other sources such as systemd "
                                        + "or sss may follow)\(stale)"))
            }
        }
        return findings
    }

    static func staleFiles(_ format: NSSFormat) -> String {
        switch format {
        case .extrausers: "/var/lib/extrausers/{passwd,group,shadow}"
        case .cache: "/etc/{passwd,group,shadow}.cache and their index files"
        }
    }

    /// Directories where glibc finds NSS modules: /lib, /usr/lib, /lib64, /usr/lib64 and every
    /// multiarch directory below /lib and /usr/lib.
    static func libraryDirectories(_ ctx: DoctorContext) -> [String] {
        var dirs: [String] = []
        for base in ["/lib", "/usr/lib", "/lib64", "/usr/lib64"] {
            dirs.append(ctx.path(base))
            if base.hasSuffix("64") { continue }
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: ctx.path(base))) ?? []
            for e in entries.sorted() where e.hasSuffix("-linux-gnu") || e.hasSuffix("-linux-gnueabihf") {
                dirs.append(ctx.path(base) + "/" + e)
            }
        }
        return dirs
    }

    static func checkModule(_ ctx: DoctorContext, format: NSSFormat) -> DoctorFinding {
        let name = "nss-module"
        let dirs = libraryDirectories(ctx)
        if let found = dirs.map({ $0 + "/" + format.library }).first(where: { DoctorFS.exists($0) }) {
            return .ok(name, "\(format.library) installed at \(found)")
        }
        let package = format == .extrausers ? "libnss-extrausers" : "libnss-cache"
        return .fail(name, "\(format.library) not found under \(ctx.rootShown) (lib, usr/lib and multiarch "
                            + "directories): glibc silently ignores the \(format.module) source",
                     fix: "apt-get install \(package)")
    }
}
