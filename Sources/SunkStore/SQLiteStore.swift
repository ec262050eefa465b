#if canImport(Glibc)
import Glibc
#endif
import Foundation
import GRDB

/// The SQLite engine of `IdentityStore`: one SQLite file in WAL mode with `synchronous=FULL`, so
/// a write that returned is on disk before the HTTP answer leaves. Writers are serialised by GRDB's
/// `DatabasePool` inside one process and by SQLite's busy timeout across processes (the CLI and
/// a running server share the file), so "database is locked" never reaches a client.
public final class SQLiteStore: Sendable {
    /// Where root's database lives when neither `--db` nor `SUNK_BRIDGE_DB` says otherwise.
    public static let defaultPath = "/var/lib/sunk-bridge/server/sunk-bridge.sqlite"

    public let path: String
    let pool: DatabasePool
    /// The door of `write`: concurrent writes share a transaction and its fsync.
    private let groupCommit: GroupCommit

    /// Opens (and migrates) the database at `path`, creating parent directories with mode 0750
    /// and a new database file with mode 0600. Refuses a database that has migrations this build
    /// does not know.
    ///
    /// Run as root, a new database in a directory that belongs to another user (the service's
    /// `StateDirectory`) is given to that user, so `sunk-bridge org create` by root before the
    /// first `serve` does not lock the service out; SQLite itself gives the -wal and -shm files
    /// it creates as root the database file's owner.
    public init(path: String) throws {
        self.path = path
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o750])
        }
        try Self.createFileIfMissing(path, directory: directory.isEmpty ? "." : directory)
        var configuration = Configuration()
        configuration.busyMode = .timeout(30)
        configuration.foreignKeysEnabled = true
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            // GRDB lowers the writer to synchronous=NORMAL when it enables WAL, after
            // prepareDatabase ran: set FULL again so a 2xx is only sent for a write on disk.
            try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
            try Self.migrate(pool)
        } catch {
            throw StoreError.mapping(error)
        }
        groupCommit = GroupCommit(pool: pool)
    }

    static func migrate(_ pool: DatabasePool) throws {
        let migrator = Migrations.migrator
        try Migrations.refuseNewer(applied: try pool.read { db in try migrator.appliedIdentifiers(db) })
        try migrator.migrate(pool)
    }

    /// Creates an empty database file (SQLite takes a 0-byte file as a new database) with mode
    /// 0600, owned by the directory's owner when root creates it in someone else's directory.
    static func createFileIfMissing(_ path: String, directory: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        if fd < 0 {
            if errno == EEXIST { return }
            throw StoreError.unusableFile("cannot create the database \(path): \(String(cString: strerror(errno)))")
        }
        defer { Glibc.close(fd) }
        var parent = stat()
        guard geteuid() == 0, stat(directory, &parent) == 0, parent.st_uid != 0 else { return }
        if fchown(fd, parent.st_uid, parent.st_gid) != 0 {
            throw StoreError.unusableFile("cannot give the new database \(path) to the owner of \(directory): \(String(cString: strerror(errno)))")
        }
    }

    /// True when a database already exists at `path`. An empty file (left by an open that failed
    /// right after creating it) is not one yet, so the next `serve` still bootstraps it.
    public static func exists(at path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && info.st_size > 0
    }

    /// Runs `body` as one serialised write and returns once it is durable. These four are the
    /// only doors to the pool: each maps GRDB's errors to `StoreError` (see `StoreError.mapping`).
    /// Concurrent writes are group-committed (`GroupCommit`): each in its own savepoint of one
    /// transaction, so `body` must not end the transaction itself.
    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do { return try await groupCommit.write(body) } catch { throw StoreError.mapping(error) }
    }

    func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do { return try await pool.read(body) } catch { throw StoreError.mapping(error) }
    }

    /// Synchronous variants for the CLI.
    func writeSync<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try pool.write(body) } catch { throw StoreError.mapping(error) }
    }

    func readSync<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try pool.read(body) } catch { throw StoreError.mapping(error) }
    }
}

/// The SQLite engine's former name, kept so the SCIM server tests and the org commands read
/// unchanged; new code says `SQLiteStore` (or `IdentityStore`).
public typealias SunkDatabase = SQLiteStore

/// Timestamps are stored as RFC 3339 UTC strings: readable in `sqlite3`, sortable as text, and
/// exactly what SCIM's `meta.created`/`meta.lastModified` carry. (Not `Clock`: that name is the
/// standard library's clock protocol.)
package enum StoreClock {
    package static func now() -> String {
        Date().formatted(.iso8601)
    }
}
