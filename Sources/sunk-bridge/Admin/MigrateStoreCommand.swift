import ArgumentParser
import Foundation
import SunkPostgres
import SunkStore

/// `sunk-bridge migrate-store --from FILE --to URL`: moves an SQLite store to PostgreSQL (to run
/// several receivers on it) with everything nodes and the IdP depend on kept, and proves it by
/// comparing what both publish.
struct MigrateStoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate-store",
        abstract: "Copy an SQLite store into an empty PostgreSQL database, then compare their snapshots.",
        discussion: """
            Every id, serial, allocation cursor, token hash, signing key, audit row and the instance id \
            are kept: nodes see the same publications and IdP tokens keep working. The copy is one \
            transaction; the SQLite file is only read. Stop `serve` on the file first, so no write \
            lands after the copy. Exit 1 when any org's snapshot differs between the two.
            """)

    @Option(help: "The SQLite database file to copy.")
    var from: String

    @Option(help: "The PostgreSQL database: postgresql://USER:PASSWORD@HOST:PORT/DATABASE?sslmode=…")
    var to: String

    func validate() throws {
        guard PostgresURL.isURL(to) else { throw ValidationError("--to must be a postgresql:// URL") }
    }

    func run() async throws {
        let source = try DatabaseOptions.openExisting(at: from)
        let target = try await PostgresStore(url: to)
        let dump = try source.dump()
        try await target.load(dump)
        say("copied \(dump.orgs.count) orgs, \(dump.users.count) users, \(dump.groups.count) groups, "
            + "\(dump.tokens.count) tokens, \(dump.audit.count) audit rows from \(from) to \(target.location)")
        var differ = false
        for org in try source.orgs() {
            let before = try source.publishedSnapshot(org: org.name)
            let after = try await target.publishedSnapshot(org: try await target.org(named: org.name))
            let same = before.digest == after.digest && before.etag == after.etag
            say("  org \(org.name): serial \(after.serial), snapshot \(after.digest) \(same ? "identical" : "DIFFERS from \(before.digest)")")
            differ = differ || !same
        }
        try await target.close()
        if differ {
            printError("sunk-bridge migrate-store: the copy publishes other snapshots than the source; do not switch to it")
            throw ExitCode.failure
        }
    }
}
