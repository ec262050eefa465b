import ArgumentParser
import SunkStore

/// `sunk-bridge audit`: every write with who made it and how it ended.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "audit", abstract: "Show the audit log.")
    @OptionGroup var database: DatabaseOptions
    @Option(help: "Only this org.") var org: String?
    @Option(help: "Only entries at or after this RFC 3339 time, e.g. 2026-11-29T00:00:00Z.") var since: String?
    @Option(help: "At most this many entries (newest).") var limit = 1000

    func run() async throws {
        for entry in try await database.store(command: "audit").auditEntries(org: org, since: since, limit: limit) {
            say("\(entry.at)  \(entry.org ?? "-")  \(entry.actor)  \(entry.method) \(entry.resource)  \(entry.outcome)")
        }
    }
}
