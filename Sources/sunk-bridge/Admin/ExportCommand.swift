import ArgumentParser
import Foundation
import NodeSync
import SunkSnapshot
import SunkStore

/// `sunk-bridge export`: the snapshot document nodes would receive, written without a server
/// (single-node setups, air-gapped copies, debugging). Honours a paused org like the server does.
struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Write the org's snapshot document to a file (or stdout).")
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var org: OrgOption
    @Option(help: "Output file, written atomically with mode 0644; '-' for stdout.") var out = "-"

    func run() async throws {
        let data = try DatabaseSnapshot.published(database: await database.open(command: "export"), org: org.org)
        if out == "-" {
            FileHandle.standardOutput.write(data)
        } else {
            try AtomicFileWriter.write(Array(data), to: out, attributes: .init(mode: 0o644, uid: getuid(), gid: getgid()))
            let document = try SnapshotDocument.decode(data)
            say("wrote \(out): serial \(document.body.serial), \(document.body.users.count) users, "
                + "\(document.body.groups.count) groups, \(document.body.skipped.count) skipped, \(document.digest)")
        }
    }
}

/// The published snapshot straight from a local database: what the server would serve.
enum DatabaseSnapshot {
    static func published(database: SunkDatabase, org name: String) throws -> Data {
        let org = try database.org(named: name)
        if !org.provisioning, let frozen = try database.frozenSnapshotSync(org: org) { return frozen }
        return try database.snapshot(org: org).encoded()
    }
}

/// `sync --db PATH` on a single-node setup: reads the snapshot from the database file.
struct DatabaseSnapshotSource: SnapshotSource {
    let path: String
    let org: String

    var label: String { "\(path) (org \(org))" }

    func fetch(ifNoneMatch: String?) async throws(SyncError) -> SnapshotFetch {
        do {
            guard SunkDatabase.exists(at: path) else { throw StoreError.notFound("database \(path)") }
            return .document(try DatabaseSnapshot.published(database: SunkDatabase(path: path), org: org), etag: nil)
        } catch {
            throw .fetch(url: path, reason: "\(error)")
        }
    }
}
