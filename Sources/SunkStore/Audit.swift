import GRDB

/// One row per write: when, who (token name or "cli"), what, on which resource, and the outcome.
public struct AuditEntry: Sendable, Equatable {
    public var at: String
    public var org: String?
    public var actor: String
    public var method: String
    public var resource: String
    public var outcome: String
}

enum Audit {
    static func record(_ db: Database, orgID: Int64?, actor: String, method: String,
                       resource: String, outcome: String) throws {
        try db.execute(
            sql: "INSERT INTO audit (orgID, at, actor, method, resource, outcome) VALUES (?, ?, ?, ?, ?, ?)",
            arguments: [orgID, Clock.now(), actor, method, resource, outcome])
    }
}

extension SunkDatabase {
    /// Records the outcome of a request that changed nothing (a refused write), so the audit
    /// trail shows what the IdP tried.
    public func audit(org: Org?, actor: String, method: String, resource: String, outcome: String) async throws {
        let orgID = org?.id
        try await write { db in
            try Audit.record(db, orgID: orgID, actor: actor, method: method, resource: resource, outcome: outcome)
        }
    }

    /// Audit rows, newest last; `since` is an RFC 3339 timestamp compared as text.
    public func auditEntries(org: String?, since: String?, limit: Int = 1000) throws -> [AuditEntry] {
        try readSync { db in
            var sql = "SELECT audit.*, org.name AS orgName FROM audit LEFT JOIN org ON org.id = audit.orgID WHERE 1"
            var arguments: StatementArguments = []
            if let org { sql += " AND org.name = ?"; arguments += [org] }
            if let since { sql += " AND audit.at >= ?"; arguments += [since] }
            sql += " ORDER BY audit.id DESC LIMIT ?"
            arguments += [limit]
            return try Row.fetchAll(db, sql: sql, arguments: arguments).reversed().map { row in
                AuditEntry(at: row["at"], org: row["orgName"], actor: row["actor"], method: row["method"],
                           resource: row["resource"], outcome: row["outcome"])
            }
        }
    }
}
