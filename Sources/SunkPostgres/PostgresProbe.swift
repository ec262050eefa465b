import Foundation
import Logging
import PostgresNIO
import SunkStore

/// What `sunk-bridge doctor --db URL` learns of a receiver's PostgreSQL database without changing
/// it (no migration, no bootstrap): whether it answers, and whether its schema is one this build
/// can serve.
public enum PostgresProbe {
    /// The schema found.
    public enum Schema: Sendable, Equatable {
        /// No schema yet: the first `serve` (or any command with `--db`) creates it.
        case empty
        /// Older than this build: `serve` migrates it on start (these migrations are missing).
        case older(missing: [String])
        /// The schema this build writes.
        case current
        /// Written by a newer sunk-bridge (these migrations are unknown here): this build refuses it.
        case newer(unknown: [String])
    }

    /// Connects to `url`, reads its migrations, and disconnects, within `limit`. Throws
    /// `StoreError.invalidValue` for a malformed URL and `StoreError.engine` (with PostgreSQL's
    /// words) when the database cannot be reached or read.
    public static func schema(url text: String, limit: Duration = .seconds(10)) async throws -> Schema {
        let url = try PostgresURL(text)
        var logger = Logger(label: "sunk-bridge.postgres.probe")
        logger.logLevel = .critical
        let client = PostgresClient(configuration: url.configuration, backgroundLogger: logger)
        let runner = Task { await client.run() }
        defer { runner.cancel() }
        let applied: [String]? = try await withThrowingTaskGroup(of: [String]?.self) { group in
            group.addTask {
                do {
                    return try await client.withConnection { db in
                        let table = try await db.row("SELECT to_regclass('schema_migrations') IS NOT NULL AS present")
                        guard try table?.get("present", as: Bool.self) == true else { return nil }
                        return try await db.rows("SELECT identifier FROM schema_migrations")
                            .map { try $0.get("identifier", as: String.self) }
                    }
                } catch {
                    throw PostgresStore.mapping(error, location: url.location)
                }
            }
            group.addTask {
                try await Task.sleep(for: limit)
                throw StoreError.engine("PostgreSQL \(url.location): no answer within \(limit)")
            }
            defer { group.cancelAll() }
            return try await group.next()!
        }
        guard let applied else { return .empty }
        let unknown = Set(applied).subtracting(Migrations.identifiers)
        if !unknown.isEmpty { return .newer(unknown: unknown.sorted()) }
        let missing = Migrations.identifiers.filter { !applied.contains($0) }
        return missing.isEmpty ? .current : .older(missing: missing)
    }
}
