import Foundation
import PostgresNIO
import SunkStore

extension PostgresStore {
    public func createToken(org orgName: String, name: String, scope: TokenScope, actor: String) async throws -> String {
        let trimmed = try TokenName.checked(name)
        let secret = TokenSecret.generate()
        let hash = TokenSecret.hash(secret)
        try await mutate(org: orgName, actor: actor, method: "TOKEN CREATE") { mutation in
            let db = mutation.db
            if try await db.row("SELECT 1 AS found FROM token WHERE orgid = \(mutation.org.id) AND name = \(trimmed)") != nil {
                throw TokenName.taken(trimmed, org: orgName)
            }
            try await db.exec("""
                INSERT INTO token (orgid, name, scope, secrethash, createdat)
                VALUES (\(mutation.org.id), \(trimmed), \(scope.rawValue), \(hash), \(StoreClock.now()))
                """)
            // A token is not something nodes see: no new serial.
            mutation.changed(trimmed, outcome: AuditOutcome.tokenCreated(scope), visibleToNodes: false)
        }
        return secret
    }

    public func tokens(org: String?) async throws -> [TokenInfo] {
        try await read { db in
            if let org { _ = try await Self.org(db, named: org) }
            return try await db.rows("""
                SELECT org.name AS org, token.name, token.scope, token.createdat, token.lastusedat
                FROM token JOIN org ON org.id = token.orgid
                WHERE \(org)::text IS NULL OR org.name = \(org) ORDER BY org.name, token.name
                """).map { row in
                TokenInfo(org: try row.get("org"), name: try row.get("name"),
                          scope: TokenScope(rawValue: try row.get("scope")) ?? .scim,
                          createdAt: try row.get("createdat"), lastUsedAt: try row.get("lastusedat"))
            }
        }
    }

    public func revokeToken(org orgName: String, name: String, actor: String) async throws {
        try await mutate(org: orgName, actor: actor, method: "TOKEN REVOKE") { mutation in
            let deleted = try await mutation.db.rows("""
                DELETE FROM token WHERE orgid = \(mutation.org.id) AND name = \(name) RETURNING id
                """)
            guard deleted.count == 1 else { throw TokenName.missing(name, org: orgName) }
            mutation.changed(name, outcome: AuditOutcome.tokenRevoked, visibleToNodes: false)
        }
    }

    /// As `SQLiteStore.authenticate`: looked up by hash on every request, compared in constant
    /// time; "last used" written at most once a minute, outside any org lock (not a change).
    public func authorization(secret: String, org orgName: String) async throws -> Authorization? {
        let hash = TokenSecret.hash(secret)
        var binds = PostgresBindings()
        try binds.append(hash)
        let query = PostgresQuery(unsafeSQL: """
            SELECT token.name AS tokenname, token.scope, token.secrethash, token.lastusedat, \(Self.orgColumnsInJoin)
            FROM token JOIN org ON org.id = token.orgid WHERE token.secrethash = $1
            """, binds: binds)
        let found = try await withConnection { db -> (Authorization, String?)? in
            guard let row = try await db.row(query),
                  TokenSecret.equal(try row.get("secrethash", as: Data.self), hash),
                  try row.get("name", as: String.self) == orgName   // else another org's token
            else { return nil }
            let org = try Self.org(row)
            let principal = Principal(orgID: org.id, org: orgName, tokenName: try row.get("tokenname"),
                                      scope: TokenScope(rawValue: try row.get("scope")) ?? .node)
            return (Authorization(principal: principal, org: org), try row.get("lastusedat", as: String?.self))
        }
        guard let (authorization, lastUsed) = found else { return nil }
        let now = Date()
        if TokenSecret.lastUseIsStale(lastUsed, now: now) {
            let stamp = now.formatted(.iso8601)
            try await withConnection { db in
                try await db.exec("UPDATE token SET lastusedat = \(stamp) WHERE secrethash = \(hash)")
            }
        }
        return authorization
    }

    // MARK: Audit

    public func audit(org: Org?, actor: String, method: String, resource: String, outcome: String) async throws {
        try await withConnection { db in
            try await Self.recordAudit(db, orgID: org?.id, actor: actor, method: method, resource: resource,
                                       outcome: outcome)
        }
    }

    /// Audit rows, newest last; an unknown org has none (its rows may outlive it).
    public func auditEntries(org: String?, since: String?, limit: Int) async throws -> [AuditEntry] {
        try await read { db in
            try await db.rows("""
                SELECT * FROM (
                    SELECT audit.id, audit.at, org.name AS org, audit.actor, audit.method, audit.resource, audit.outcome
                    FROM audit LEFT JOIN org ON org.id = audit.orgid
                    WHERE (\(org)::text IS NULL OR org.name = \(org))
                      AND (\(since)::text IS NULL OR audit.at >= \(since))
                    ORDER BY audit.id DESC LIMIT \(Int64(limit))
                ) AS newest ORDER BY id
                """).map { row in
                AuditEntry(at: try row.get("at"), org: try row.get("org"), actor: try row.get("actor"),
                           method: try row.get("method"), resource: try row.get("resource"),
                           outcome: try row.get("outcome"))
            }
        }
    }
}
