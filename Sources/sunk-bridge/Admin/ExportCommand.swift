import ArgumentParser
import Foundation
import NodeSync
import SunkSnapshot
import SunkStore

/// `sunk-bridge export`: the signed snapshot nodes would receive, written without a server
/// (single-node setups, air-gapped copies, debugging). Honours a paused org like the server does.
struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Write the org's snapshot document to a file (or stdout).")
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var org: OrgOption
    @Option(help: "Output file, written atomically with mode 0644; '-' for stdout.") var out = "-"

    func run() async throws {
        let store = try await database.store(command: "export")
        let published = try await store.publishedSnapshot(org: try await store.org(named: org.org))
        if out == "-" {
            FileHandle.standardOutput.write(published.signed)
        } else {
            try AtomicFileWriter.write(Array(published.signed), to: out,
                                       attributes: .init(mode: 0o644, uid: getuid(), gid: getgid()))
            let document = try SignedSnapshot.parse(published.signed).decodeDocument()
            say("wrote \(out): serial \(document.body.serial), \(document.body.users.count) users, "
                + "\(document.body.groups.count) groups, \(document.body.skipped.count) skipped, \(document.digest), signed")
        }
    }
}

/// `sync --db PATH` on a single-node setup: reads the snapshot from the database file.
struct DatabaseSnapshotSource: SnapshotSource {
    let path: String
    let org: String

    var label: String { "\(path) (org \(org))" }
    /// The database publishes for several orgs: the one asked for is the one expected.
    var expectedOrg: String? { org }

    func fetch(ifNoneMatch: String?) async throws(SyncError) -> SnapshotFetch {
        do {
            guard SQLiteStore.exists(at: path) else { throw StoreError.notFound("database \(path)") }
            return .document(try SQLiteStore(path: path).publishedSnapshot(org: org).signed, etag: nil)
        } catch {
            throw .fetch(url: path, reason: "\(error)")
        }
    }
}
