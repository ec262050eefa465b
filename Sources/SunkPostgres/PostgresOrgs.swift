import Foundation
import PostgresNIO
import SunkModel
import SunkStore

extension PostgresStore {
    private static let orgColumnNames = ["id", "name", "scimapi", "provisioning", "policy", "serial", "createdat", "changedat"]
    static let orgColumns = orgColumnNames.joined(separator: ", ")
    /// The same columns named by table, for a join (`org.id, org.name, …`).
    static let orgColumnsInJoin = orgColumnNames.map { "org.\($0)" }.joined(separator: ", ")

    static func org(_ row: PostgresRandomAccessRow) throws -> Org {
        try Org(id: row.get("id"), name: row.get("name"), scimAPI: row.get("scimapi"),
                provisioning: row.get("provisioning"), policyJSON: row.get("policy"), serial: row.get("serial"),
                createdAt: row.get("createdat"), changedAt: row.get("changedat"))
    }

    /// The org as stored; with `lock`, its row stays locked until the transaction ends.
    static func org(_ db: PostgresConnection, named name: String, lock: Bool = false) async throws -> Org {
        let sql = "SELECT \(orgColumns) FROM org WHERE name = $1" + (lock ? " FOR UPDATE" : "")
        var binds = PostgresBindings()
        binds.append(name)
        guard let row = try await db.row(PostgresQuery(unsafeSQL: sql, binds: binds)) else {
            throw StoreError.orgNotFound(name)
        }
        return try org(row)
    }

    public func orgs() async throws -> [Org] {
        try await read { db in
            try await db.rows(PostgresQuery(unsafeSQL: "SELECT \(Self.orgColumns) FROM org ORDER BY name")).map(Self.org)
        }
    }

    public func org(named name: String) async throws -> Org {
        try await read { db in try await Self.org(db, named: name) }
    }

    public func createOrg(_ name: String, policy: Policy) async throws -> Org {
        let policyJSON = try OrgName.checkedPolicy(name, policy)
        return try await transaction { db in
            if try await db.row("SELECT 1 AS found FROM org WHERE name = \(name)") != nil {
                throw StoreError.alreadyExists("org \"\(name)\"")
            }
            let now = StoreClock.now()
            guard let row = try await db.row("""
                INSERT INTO org (name, policy, createdat, changedat) VALUES (\(name), \(policyJSON), \(now), \(now))
                RETURNING id
                """) else { throw StoreError.engine("INSERT INTO org returned no id") }
            let orgID: Int64 = try row.get("id")
            _ = try await Self.insertCurrentKey(db, orgID: orgID)
            try await Self.recordAudit(db, orgID: orgID, actor: "cli", method: "ORG CREATE", resource: name,
                                       outcome: AuditOutcome.orgCreated)
            return try await Self.org(db, named: name)
        }
    }

    /// `SQLiteStore.updateOrg`'s steps, as SQL; the rules (refusal, audit words) are shared.
    public func updateOrg(_ name: String, scimAPI: Bool?, provisioning: Bool?, policy: Policy?, force: Bool,
                          actor: String) async throws -> Org {
        if let policy { try policy.validate() }
        return try await mutate(org: name, actor: actor, method: "ORG SET") { mutation in
            let db = mutation.db
            var org = mutation.org
            var changes: [String] = []
            if let scimAPI, scimAPI != org.scimAPI {
                try await db.exec("UPDATE org SET scimapi = \(scimAPI) WHERE id = \(org.id)")
                changes.append(AuditOutcome.scimAPI(scimAPI))
            }
            if let policy, policy != org.policy {
                let (users, groups) = try await Self.everything(db, org: org)
                let stranded = SnapshotQuery.newRefusals(org: org, policy: policy, users: users, groups: groups)
                if !stranded.isEmpty && !force {
                    throw StoreError.invalidValue(PolicyChange.refusal(org: name, stranded))
                }
                try await db.exec("UPDATE org SET policy = \(try Org.encode(policy)) WHERE id = \(org.id)")
                // Now, not at the end: a snapshot frozen below carries the new serial.
                try await mutation.bumpSerialNow()
                changes.append(AuditOutcome.policy(stranded: stranded))
            }
            if let provisioning, provisioning != org.provisioning {
                var frozen: Data? = nil
                if !provisioning {
                    org = try await Self.org(db, named: name)
                    frozen = try await Self.document(db, org: org).encoded()
                }
                try await db.exec("UPDATE org SET provisioning = \(provisioning), frozensnapshot = \(frozen) WHERE id = \(org.id)")
                changes.append(AuditOutcome.provisioning(provisioning))
            }
            if !changes.isEmpty {
                try await db.exec("UPDATE org SET changedat = \(StoreClock.now()) WHERE id = \(org.id)")
                mutation.changed(name, outcome: changes.joined(separator: ", "), visibleToNodes: false)
            }
            return try await Self.org(db, named: name)
        }
    }

    public func policyRefusals(org name: String, policy: Policy) async throws -> [ExportRefusal] {
        try await read { db in
            let org = try await Self.org(db, named: name)
            let (users, groups) = try await Self.everything(db, org: org)
            return SnapshotQuery.newRefusals(org: org, policy: policy, users: users, groups: groups)
        }
    }

    public func exportRefusals(org: Org) async throws -> [ExportRefusal] {
        try await read { db in
            let current = try await Self.org(db, named: org.name)
            let (users, groups) = try await Self.everything(db, org: current)
            return SnapshotQuery.assemble(org: current, policy: current.policy, users: users, groups: groups).refusals
        }
    }

    public func orgStats() async throws -> [OrgStats] {
        try await read { db in
            try await db.rows("""
                SELECT org.name, org.serial, org.changedat,
                       (SELECT count(*) FROM scimuser WHERE scimuser.orgid = org.id) AS users,
                       (SELECT count(*) FROM scimgroup WHERE scimgroup.orgid = org.id) AS groups
                FROM org ORDER BY org.name
                """).map { row in
                OrgStats(org: try row.get("name"), users: Int(try row.get("users", as: Int64.self)),
                         groups: Int(try row.get("groups", as: Int64.self)), serial: try row.get("serial"),
                         changedAt: try row.get("changedat"))
            }
        }
    }

    public func frozenSnapshot(org: Org) async throws -> Data? {
        try await read { db in try await Self.frozenSnapshot(db, orgID: org.id) }
    }

    static func frozenSnapshot(_ db: PostgresConnection, orgID: Int64) async throws -> Data? {
        try await db.row("SELECT frozensnapshot FROM org WHERE id = \(orgID)")?.get("frozensnapshot", as: Data?.self)
    }
}
