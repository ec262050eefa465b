#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import ArgumentParser
@preconcurrency import Foundation
import SunkStore

/// `--db PATH` for every command that opens the database.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "SQLite database file.",
        discussion: "Default: $SUNK_BRIDGE_DB, else \(SunkDatabase.defaultPath) (as root) or ~/.local/share/sunk-bridge/sunk-bridge.sqlite."))
    var db: String?

    var path: String { DatabasePath.resolve(db) }

    /// Opens an existing database; admin commands never create one by accident.
    func open() throws -> SunkDatabase {
        let path = self.path
        guard SunkDatabase.exists(at: path) else {
            throw ValidationError("no database at \(path): start `sunk-bridge serve` once (it creates it) or pass --db")
        }
        return try SunkDatabase(path: path)
    }
}

/// `--org NAME` (default `default`).
struct OrgOption: ParsableArguments {
    @Option(name: .long, help: "Org name (the ORG in /scim/ORG).")
    var org: String = SunkDatabase.defaultOrg
}

enum DatabasePath {
    /// The flag, else `SUNK_BRIDGE_DB`, else the system path for root and a per-user path otherwise.
    static func resolve(_ flag: String?) -> String {
        if let flag, !flag.isEmpty { return flag }
        if let env = ProcessInfo.processInfo.environment["SUNK_BRIDGE_DB"], !env.isEmpty { return env }
        if getuid() == 0 { return SunkDatabase.defaultPath }
        let home = ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()
        return home + "/.local/share/sunk-bridge/sunk-bridge.sqlite"
    }
}

/// Writes to stdout and flushes, so lines reach a pipe (tests, systemd) at once.
func say(_ line: String) {
    print(line)
    fflush(stdout)
}
