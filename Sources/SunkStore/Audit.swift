import GRDB

/// One row per write: when, who (token name or "cli"), what, on which resource, and the outcome.
public struct AuditEntry: Sendable, Equatable {
    public var at: String
    public var org: String?
    public var actor: String
    public var method: String
    public var resource: String
    public var outcome: String

    package init(at: String, org: String?, actor: String, method: String, resource: String, outcome: String) {
        self.at = at; self.org = org; self.actor = actor; self.method = method; self.resource = resource
        self.outcome = outcome
    }
}

enum Audit {
    static func record(_ db: Database, orgID: Int64?, actor: String, method: String,
                       resource: String, outcome: String) throws {
        try AuditRecord(id: nil, orgID: orgID, at: StoreClock.now(), actor: actor, method: method, resource: resource,
                        outcome: outcome).insert(db)
    }
}

extension SQLiteStore {
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
            var names: [Int64: String] = [:]
            for org in try OrgRecord.fetchAll(db) { names[org.id ?? 0] = org.name }
            var request = AuditRecord.all()
            if let org {
                // An unknown org has no entries (not an error: its rows may outlive it).
                let id = names.first { $0.value == org }?.key ?? -1
                request = request.filter(AuditRecord.Columns.orgID == id)
            }
            if let since { request = request.filter(AuditRecord.Columns.at >= since) }
            return try request.order(AuditRecord.Columns.id.desc).limit(limit).fetchAll(db).reversed().map { row in
                AuditEntry(at: row.at, org: row.orgID.flatMap { names[$0] }, actor: row.actor, method: row.method,
                           resource: row.resource, outcome: row.outcome)
            }
        }
    }
}
