import GRDB

/// One change to an org, inside its open write transaction. Every write of the store goes
/// through `SQLiteStore.mutate`, which is where the sequence each of them needs is written once:
/// read the org as it is now, check `If-Match`, let the caller write, then — only when the caller
/// says it changed something — bump the org's serial (nodes see a new snapshot) and record the
/// audit row, in the same transaction. A write that changes nothing leaves no trace.
struct Mutation {
    let db: Database
    /// The org as it is inside this transaction (not as the request saw it).
    let org: Org
    let actor: String
    let method: String
    fileprivate var audit: (resource: String, outcome: String)?
    fileprivate var serialPending = false
    fileprivate var serialBumped = false

    /// Refuses the change (`preconditionFailed`, HTTP 412) unless `ifMatch` is absent, `*`, or
    /// names `etag`.
    func require(_ ifMatch: String?, matches etag: String) throws {
        try Precondition.check(ifMatch, current: etag)
    }

    /// Marks the mutation as a change: `outcome` goes to the audit log; with `visibleToNodes`
    /// (anything a snapshot carries) the serial moves on once, at the end.
    mutating func changed(_ resource: String, outcome: String, visibleToNodes: Bool = true) {
        audit = (resource, outcome)
        if visibleToNodes { serialPending = true }
    }

    /// Moves the serial now, for a change whose later steps must see the new serial (a snapshot
    /// frozen in the same transaction). The end of the mutation does not move it again.
    mutating func bumpSerialNow() throws {
        guard !serialBumped else { return }
        try SQLiteStore.bumpSerial(db, orgID: org.id)
        serialBumped = true
    }
}

extension SQLiteStore {
    /// Runs `body` as one mutation of org `orgName` in the open write transaction `db`.
    static func mutate<T>(_ db: Database, org orgName: String, actor: String, method: String,
                          _ body: (inout Mutation) throws -> T) throws -> T {
        var mutation = Mutation(db: db, org: try org(db, named: orgName), actor: actor, method: method)
        let result = try body(&mutation)
        if mutation.serialPending { try mutation.bumpSerialNow() }
        if let audit = mutation.audit {
            try Audit.record(db, orgID: mutation.org.id, actor: actor, method: method, resource: audit.resource,
                             outcome: audit.outcome)
        }
        return result
    }

    /// One mutation in its own write transaction.
    func mutate<T: Sendable>(org: String, actor: String, method: String,
                             _ body: @escaping @Sendable (inout Mutation) throws -> T) async throws -> T {
        try await write { db in try Self.mutate(db, org: org, actor: actor, method: method, body) }
    }

    /// One mutation in its own write transaction, for the CLI.
    func mutateSync<T>(org: String, actor: String, method: String, _ body: (inout Mutation) throws -> T) throws -> T {
        try writeSync { db in try Self.mutate(db, org: org, actor: actor, method: method, body) }
    }

    /// The update pattern of PUT and PATCH, written once. `plan` reads the resource and computes
    /// the change (the PATCH engine, validation) outside the write lock, returning the version it
    /// computed from; `apply` writes it inside the write transaction if `version` still reads that
    /// version there. After three lost races, plan and apply run together under the lock, so
    /// concurrent updates never lose each other's changes and the lock is held only for the write.
    func optimisticUpdate<Plan: Sendable, Result: Sendable>(
        plan: @escaping @Sendable (Database) throws -> (version: Int64, plan: Plan),
        version: @escaping @Sendable (Database) throws -> Int64,
        apply: @escaping @Sendable (Database, Plan) throws -> Result
    ) async throws -> Result {
        for _ in 0..<3 {
            let planned = try await read { db in try plan(db) }
            let result = try await write { db -> Result? in
                guard try version(db) == planned.version else { return nil }
                return try apply(db, planned.plan)
            }
            if let result { return result }
        }
        return try await write { db in try apply(db, try plan(db).plan) }
    }
}
