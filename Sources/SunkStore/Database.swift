import Foundation
import GRDB

/// The SUNK Bridge database: one SQLite file in WAL mode with `synchronous=FULL`, so a write
/// that returned is on disk before the HTTP answer leaves. Writers are serialised by GRDB's
/// `DatabasePool` inside one process and by SQLite's busy timeout across processes (the CLI and
/// a running server share the file), so "database is locked" never reaches a client.
public final class SunkDatabase: Sendable {
    /// Where root's database lives when neither `--db` nor `SUNK_BRIDGE_DB` says otherwise.
    public static let defaultPath = "/var/lib/sunk-bridge/server/sunk-bridge.sqlite"

    public let path: String
    let pool: DatabasePool

    /// Opens (and migrates) the database at `path`, creating parent directories with mode 0750.
    /// Refuses a database that has migrations this build does not know.
    public init(path: String) throws {
        self.path = path
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o750])
        }
        var configuration = Configuration()
        configuration.busyMode = .timeout(30)
        configuration.foreignKeysEnabled = true
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        pool = try DatabasePool(path: path, configuration: configuration)
        // GRDB lowers the writer to synchronous=NORMAL when it enables WAL, after
        // prepareDatabase ran: set FULL again so a 2xx is only sent for a write on disk.
        try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        try Self.migrate(pool)
    }

    static func migrate(_ pool: DatabasePool) throws {
        let migrator = Migrations.migrator
        let unknown = try pool.read { db in
            try migrator.appliedIdentifiers(db).subtracting(migrator.migrations)
        }
        if !unknown.isEmpty { throw StoreError.newerSchema(unknown.sorted()) }
        try migrator.migrate(pool)
    }

    /// True when a database file already exists at `path`.
    public static func exists(at path: String) -> Bool {
        FileManager.default.fileExists(atPath: path)
    }

    /// Runs `body` in one serialised write transaction.
    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await pool.write(body)
    }

    func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await pool.read(body)
    }

    /// Synchronous variants for the CLI.
    func writeSync<T>(_ body: (Database) throws -> T) throws -> T { try pool.write(body) }
    func readSync<T>(_ body: (Database) throws -> T) throws -> T { try pool.read(body) }
}

/// Timestamps are stored as RFC 3339 UTC strings: readable in `sqlite3`, sortable as text, and
/// exactly what SCIM's `meta.created`/`meta.lastModified` carry.
enum Clock {
    static func now() -> String {
        Date().formatted(.iso8601)
    }
}
