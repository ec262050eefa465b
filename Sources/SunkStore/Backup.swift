#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import AuthorizedKeys
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
    /// Creating, syncing or publishing the copy failed (`AtomicFile`).
    case file(SystemCallError)
    case integrity([String])

    public var description: String {
        switch self {
        case .exists(let path): "\(path) already exists; pass --force to replace it"
        case .io(let what, let reason): "\(what): \(reason)"
        case .file(let error): error.description
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
    /// which refuses an existing destination atomically. The temporary name, the syncs and both
    /// ways of publishing are `AtomicFile`'s, the project's one writer; only the contents are
    /// SQLite's.
    public func backup(to destination: String, replace: Bool) throws -> BackupSummary {
        var status = stat()
        if !replace && lstat(destination, &status) == 0 { throw BackupError.exists(destination) }

        let temporary = AtomicFile.tempName(for: destination)
        do throws(SystemCallError) {
            // Empty, mode 0600, owned by whoever runs the backup (no chown).
            try AtomicFile.create(temporary, with: [], attributes: FileAttributes(mode: 0o600, uid: geteuid(), gid: getegid()))
        } catch {
            throw BackupError.file(error)
        }
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
        do throws(SystemCallError) {
            try AtomicFile.syncFile(temporary)
            if replace {
                try AtomicFile.publish(temporary, as: destination)
            } else {
                try AtomicFile.publishNew(temporary, as: destination)
            }
        } catch where error.errno == EEXIST && !replace {
            throw BackupError.exists(destination)
        } catch {
            throw BackupError.file(error)
        }
        placed = true
        guard stat(destination, &status) == 0 else {
            throw BackupError.io("cannot stat \(destination)", SystemError.message(errno))
        }
        return BackupSummary(path: destination, bytes: Int64(status.st_size), orgs: stats)
    }
}
