#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import Foundation
import GRDB

/// What `backup` wrote.
public struct BackupSummary: Sendable, Equatable {
    public var path: String
    public var bytes: Int64
    /// The figures of the copy itself (read back from it, not from the live database).
    public var orgs: [OrgStats]
}

/// Why a backup was not written. Nothing is left behind at the destination in any case.
public enum BackupError: Error, Equatable, Sendable, CustomStringConvertible {
    case exists(String)
    case io(String, String)
    case integrity([String])

    public var description: String {
        switch self {
        case .exists(let path): "\(path) already exists; pass --force to replace it"
        case .io(let what, let reason): "\(what): \(reason)"
        case .integrity(let problems):
            "the copy failed its integrity check (\(problems.prefix(5).joined(separator: "; "))); nothing was written"
        }
    }
}

extension SQLiteStore {
    /// A consistent online copy of the whole database (SQLite's online backup API, in one step
    /// inside one read transaction, so concurrent writers, in this process or another, neither
    /// wait nor leak into it). The copy is a self-contained rollback-journal file: written under
    /// a temporary name with mode 0600 in the destination's directory, checked with
    /// `integrity_check`, synced, then put in place: with `replace` by `rename`, else by `link`,
    /// which refuses an existing destination atomically.
    public func backup(to destination: String, replace: Bool) throws -> BackupSummary {
        let url = URL(fileURLWithPath: destination)
        let directory = url.deletingLastPathComponent().path
        let name = url.lastPathComponent
        var status = stat()
        if !replace && lstat(destination, &status) == 0 { throw BackupError.exists(destination) }

        let temporary = directory + "/." + name + ".partial-\(getpid())-\(UInt32.random(in: 0 ... .max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw BackupError.io("cannot create \(temporary)", Self.errnoText()) }
        fchmod(fd, 0o600)
        closeDescriptor(fd)
        var placed = false
        defer {
            if !placed {
                unlink(temporary)
                unlink(temporary + "-journal")
            }
        }

        let problems: [String], stats: [OrgStats]
        do {
            var configuration = Configuration()
            configuration.busyMode = .timeout(30)
            let copy = try DatabaseQueue(path: temporary, configuration: configuration)
            try pool.backup(to: copy)
            (problems, stats) = try copy.writeWithoutTransaction { db in
                // The copied header says WAL; a backup file is easier to handle as one file.
                try db.execute(sql: "PRAGMA journal_mode = DELETE")
                return (try String.fetchAll(db, sql: "PRAGMA integrity_check"), try Self.orgStats(db))
            }
            try copy.close()
        } catch {
            throw StoreError.mapping(error)
        }
        guard problems == ["ok"] else { throw BackupError.integrity(problems) }
        try Self.sync(temporary)

        if replace {
            guard rename(temporary, destination) == 0 else {
                throw BackupError.io("cannot rename to \(destination)", Self.errnoText())
            }
        } else {
            if link(temporary, destination) != 0 {
                if errno == EEXIST { throw BackupError.exists(destination) }
                throw BackupError.io("cannot create \(destination)", Self.errnoText())
            }
            unlink(temporary)
        }
        placed = true
        try Self.sync(directory)
        guard stat(destination, &status) == 0 else { throw BackupError.io("cannot stat \(destination)", Self.errnoText()) }
        return BackupSummary(path: destination, bytes: Int64(status.st_size), orgs: stats)
    }

    static func sync(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw BackupError.io("cannot open \(path)", errnoText()) }
        defer { closeDescriptor(fd) }
        guard fsync(fd) == 0 else { throw BackupError.io("cannot sync \(path)", errnoText()) }
    }

    static func errnoText() -> String { String(cString: strerror(errno)) }
}

/// The C `close(2)`, which `SQLiteStore.close()` shadows inside the extension.
private func closeDescriptor(_ fd: Int32) {
    _ = close(fd)
}
