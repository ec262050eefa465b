import Foundation
import PostgresNIO
import SunkStore

/// The PostgreSQL side of `Mutation`: what SQLite's `mutate` does, as SQL.
typealias PostgresMutation = Mutation<PostgresConnection>

extension Mutation where Connection == PostgresConnection {
    /// Moves the serial now and tells every listening receiver (`NOTIFY` is delivered at commit,
    /// and not at all on rollback). The end of the mutation does not move it again.
    mutating func bumpSerialNow() async throws {
        guard !serialBumped else { return }
        try await PostgresStore.bumpSerial(db, org: org)
        markSerialBumped()
    }
}

extension PostgresStore {
    /// Runs `body` as one mutation of org `orgName` in its own transaction. The org's row is locked
    /// first (`FOR UPDATE`), so every writer to this org, in this process or another receiver,
    /// waits here and then sees the latest committed state.
    func mutate<T: Sendable>(org orgName: String, actor: String, method: String,
                             _ body: (inout PostgresMutation) async throws -> T) async throws -> T {
        try await transaction { db in
            var mutation = PostgresMutation(db: db, org: try await Self.org(db, named: orgName, lock: true),
                                            actor: actor, method: method)
            let result = try await body(&mutation)
            if mutation.serialPending { try await mutation.bumpSerialNow() }
            if let audit = mutation.audit {
                try await Self.recordAudit(db, orgID: mutation.org.id, actor: actor, method: method,
                                           resource: audit.resource, outcome: audit.outcome)
            }
            return result
        }
    }

    /// The update pattern of PUT and PATCH (SQLite's `optimisticUpdate`): `plan` computes the
    /// change outside any lock from the version it read; `apply` writes it under the org's lock
    /// if the resource still has that version. After three lost races, plan and apply run
    /// together under the lock.
    func optimisticUpdate<Plan: Sendable, Result: Sendable>(
        org: String, actor: String, method: String,
        plan: @escaping @Sendable (PostgresConnection) async throws -> (version: Int64, plan: Plan),
        version: @escaping @Sendable (PostgresConnection) async throws -> Int64,
        apply: @escaping @Sendable (inout PostgresMutation, Plan) async throws -> Result
    ) async throws -> Result {
        for _ in 0..<3 {
            let planned = try await read { db in try await plan(db) }
            let result: Result? = try await mutate(org: org, actor: actor, method: method) { mutation in
                guard try await version(mutation.db) == planned.version else { return nil }
                return try await apply(&mutation, planned.plan)
            }
            if let result { return result }
        }
        return try await mutate(org: org, actor: actor, method: method) { mutation in
            try await apply(&mutation, try await plan(mutation.db).plan)
        }
    }

    static func bumpSerial(_ db: PostgresConnection, org: Org) async throws {
        guard let row = try await db.row("""
            UPDATE org SET serial = serial + 1, changedat = \(StoreClock.now()) WHERE id = \(org.id) RETURNING serial
            """) else { throw StoreError.orgNotFound(org.name) }
        let serial = try row.get("serial", as: Int64.self)
        try await db.exec("SELECT pg_notify(\(PostgresChangeFeed.channel), \(PostgresChangeFeed.payload(org: org.name, serial: serial)))")
    }

    static func recordAudit(_ db: PostgresConnection, orgID: Int64?, actor: String, method: String, resource: String,
                            outcome: String) async throws {
        try await db.exec("""
            INSERT INTO audit (orgid, at, actor, method, resource, outcome)
            VALUES (\(orgID), \(StoreClock.now()), \(actor), \(method), \(resource), \(outcome))
            """)
    }
}
