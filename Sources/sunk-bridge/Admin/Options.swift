#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import ArgumentParser
@preconcurrency import Foundation
import SunkConfig
import SunkPostgres
import SunkStore

/// `--db PATH` and `--config FILE` for every command that opens the database.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "SQLite database file, or a postgresql://USER:PASSWORD@HOST:PORT/DATABASE?sslmode=… URL.",
        discussion: "Default: $SUNK_BRIDGE_DB, else database.url or database.path from the configuration, else \(SQLiteStore.defaultPath) (as root) or ~/.local/share/sunk-bridge/sunk-bridge.sqlite."))
    var db: String?

    @Option(name: .customLong("config"),
            help: "Configuration file (default: $SUNK_BRIDGE_CONFIG, else /etc/sunk-bridge/config.yaml if present).")
    var config: String?

    /// `--db`, else `$SUNK_BRIDGE_DB`: a path that needs no configuration file.
    private var explicitPath: String? {
        if let db, !db.isEmpty { return db }
        if let env = ProcessInfo.processInfo.environment["SUNK_BRIDGE_DB"], !env.isEmpty { return env }
        return nil
    }

    /// `--db`, else `$SUNK_BRIDGE_DB`, else `configured` (`database.path` from the file or
    /// `$SUNK_BRIDGE_DATABASE_PATH`), else the built-in default.
    func path(configured: String?) -> String {
        explicitPath ?? configured ?? DatabasePath.builtInDefault()
    }

    /// The database path for an admin command. The configuration is read only when neither `--db`
    /// nor `$SUNK_BRIDGE_DB` decides, so an admin on the head node finds the database `serve` uses;
    /// only problems that bear on the path stop the command, others are printed as warnings.
    func resolvedPath(command: String) async throws -> String {
        if let explicitPath { return explicitPath }
        let file = await ConfigLoader.load(flag: config)
        try file.requireValid(command: command) { $0.key == "(file)" || $0.key.hasPrefix("database.") }
        return path(configured: file.databasePath)
    }

    /// The existing store of an admin command. Commands reach the store through `IdentityStore`;
    /// which engine serves it is decided here: a `postgresql://` URL opens PostgreSQL, anything
    /// else is an SQLite file.
    func store(command: String) async throws -> any IdentityStore {
        try await Self.openStore(at: await resolvedPath(command: command), create: false)
    }

    /// Opens the store at `location` (a URL or a file); a file that does not exist is created only
    /// with `create` (admin commands never create one by accident). A PostgreSQL database is
    /// created by its operator; the schema is made on first open.
    static func openStore(at location: String, create: Bool) async throws -> any IdentityStore {
        if PostgresURL.isURL(location) { return try await PostgresStore(url: location) }
        return create ? try SQLiteStore(path: location) : try openExisting(at: location)
    }

    /// Opens the existing SQLite database of an admin command, for what only that engine does;
    /// on a PostgreSQL URL, says so and what to use instead (`instead`).
    func open(command: String, instead: String) async throws -> SQLiteStore {
        let path = try await resolvedPath(command: command)
        if PostgresURL.isURL(path) {
            throw ValidationError("\(command) works on an SQLite database only; for PostgreSQL, \(instead)")
        }
        return try Self.openExisting(at: path)
    }

    /// Opens an existing database; admin commands never create one by accident.
    static func openExisting(at path: String) throws -> SQLiteStore {
        guard SQLiteStore.exists(at: path) else {
            throw ValidationError("no database at \(path): start `sunk-bridge serve` once (it creates it), or pass --db or set database.path in the configuration")
        }
        return try SQLiteStore(path: path)
    }
}

/// `--org NAME` (default `default`).
struct OrgOption: ParsableArguments {
    @Option(name: .long, help: "Org name (the ORG in /scim/ORG).")
    var org: String = SQLiteStore.defaultOrg
}

enum DatabasePath {
    /// The system path for root and a per-user path otherwise.
    static func builtInDefault() -> String {
        if getuid() == 0 { return SQLiteStore.defaultPath }
        let home = ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()
        return home + "/.local/share/sunk-bridge/sunk-bridge.sqlite"
    }
}

/// Writes to stdout and flushes, so lines reach a pipe (tests, systemd) at once.
func say(_ line: String) {
    print(line)
    fflush(stdout)
}
