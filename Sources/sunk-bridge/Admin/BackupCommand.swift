import ArgumentParser
import Foundation
import SunkPostgres
import SunkStore

/// `sunk-bridge backup`: a consistent copy of the database while the server runs. The database
/// is the only record of allocated uids and gids and of the SCIM ids the IdP holds, so it is what
/// must be backed up.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Write a consistent online copy of the database (safe while `serve` runs).",
        discussion: """
            The copy is one self-contained SQLite file with mode 0600, checked with integrity_check \
            and put in place atomically. Restore: stop the service, replace the database file with \
            the copy (as the service user), remove a stale -wal and -shm beside it, start the service.
            """)

    @OptionGroup var database: DatabaseOptions

    @Option(help: "Where to write the copy.")
    var out: String

    @Flag(help: "Replace FILE if it exists.")
    var force = false

    func validate() throws {
        guard !out.isEmpty else { throw ValidationError("--out needs a file name") }
        if FileManager.default.fileExists(atPath: out) && !force {
            throw ValidationError("\(out) already exists; pass --force to replace it")
        }
    }

    func run() async throws {
        let path = try await database.resolvedPath(command: "backup")
        if PostgresURL.isURL(path) {
            throw ValidationError("backup copies an SQLite database; for PostgreSQL use pg_dump (pg_dump -Fc -f FILE DATABASE), which takes a consistent copy while receivers keep writing")
        }
        let source = URL(fileURLWithPath: path).standardizedFileURL.path
        let target = URL(fileURLWithPath: out).standardizedFileURL.path
        if target == source || target.hasPrefix(source + "-") {
            throw ValidationError("--out must not be the database itself or one of its -wal/-shm files")
        }
        let db = try DatabaseOptions.openExisting(at: path)
        let summary: BackupSummary
        do {
            summary = try db.backup(to: out, replace: force)
        } catch let error as BackupError {
            throw ValidationError(error.description)
        }
        say("wrote \(summary.path) (\(summary.bytes) bytes, mode 0600, integrity ok)")
        for org in summary.orgs {
            say("  org \(org.org): \(org.users) users, \(org.groups) groups, serial \(org.serial)")
        }
    }
}
