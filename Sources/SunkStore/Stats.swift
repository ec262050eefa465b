import Foundation
import GRDB

/// Per-org figures for `/metrics` and `sunk-bridge backup`: counts only, never a name of a user
/// or a group.
public struct OrgStats: Sendable, Equatable {
    public var org: String
    public var users: Int
    public var groups: Int
    public var serial: Int64
    /// The org's last change nodes could see (or switch change), as Unix seconds.
    public var lastWrite: Double?

    /// `changedAt` is the org's stored RFC 3339 time.
    package init(org: String, users: Int, groups: Int, serial: Int64, changedAt: String) {
        self.org = org; self.users = users; self.groups = groups; self.serial = serial
        lastWrite = (try? Date(changedAt, strategy: .iso8601))?.timeIntervalSince1970
    }
}

extension SQLiteStore {
    /// One cheap read: the org rows with the number of users and groups of each (the counts use
    /// the `(orgID, …)` unique indexes).
    public func orgStats() async throws -> [OrgStats] {
        try await read { db in try Self.orgStats(db) }
    }

    public func orgStatsSync() throws -> [OrgStats] {
        try readSync { db in try Self.orgStats(db) }
    }

    static func orgStats(_ db: Database) throws -> [OrgStats] {
        let rows = try Row.fetchAll(db, sql: """
            SELECT org.name, org.serial, org.changedAt,
                   (SELECT count(*) FROM scimUser WHERE scimUser.orgID = org.id) AS users,
                   (SELECT count(*) FROM scimGroup WHERE scimGroup.orgID = org.id) AS groups
            FROM org ORDER BY org.name
            """)
        return rows.map { row in
            OrgStats(org: row["name"], users: row["users"], groups: row["groups"], serial: row["serial"],
                     changedAt: row["changedAt"])
        }
    }

    /// Readiness: the database answers a trivial read of the schema it needs.
    public func isReadable() async -> Bool {
        do {
            _ = try await read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM org") }
            return true
        } catch {
            return false
        }
    }

    /// Copies the WAL into the main file and empties it, then closes every connection. (GRDB's
    /// read connections are read-only and close last, so SQLite's own checkpoint-on-close does
    /// not happen.) Any later use of this object throws. `serve` calls it once the HTTP server
    /// has drained.
    public func close() throws {
        do {
            try pool.writeWithoutTransaction { db in _ = try db.checkpoint(.truncate) }
            try pool.close()
        } catch {
            throw StoreError.mapping(error)
        }
    }

    /// `PRAGMA integrity_check`: `["ok"]` for a sound file, else SQLite's list of problems.
    public func integrityCheck() throws -> [String] {
        try readSync { db in try String.fetchAll(db, sql: "PRAGMA integrity_check") }
    }
}
