import GRDB

/// One change to an org, inside its open write transaction on an engine's `Connection`. Every
/// write of the store goes through its engine's `mutate` (`SQLiteStore.mutate`, PostgreSQL's
/// likewise), which runs the sequence each of them needs: read (and lock) the org as it is now,
/// check `If-Match`, let the caller write, then — only when the caller says it changed something
/// — bump the org's serial (nodes see a new snapshot) and record the audit row, in the same
/// transaction. A write that changes nothing leaves no trace. What a write marks is kept here,
/// once for every engine.
package struct Mutation<Connection> {
    package let db: Connection
    /// The org as it is inside this transaction (not as the request saw it).
    package let org: Org
    package let actor: String
    package let method: String
    /// The audit row to record at the end, if the mutation changed something.
    package private(set) var audit: (resource: String, outcome: String)?
    /// The serial must move on at the end (it has not moved yet).
    package var serialPending: Bool { serialWanted && !serialBumped }
    private var serialWanted = false
    package private(set) var serialBumped = false

    package init(db: Connection, org: Org, actor: String, method: String) {
        self.db = db; self.org = org; self.actor = actor; self.method = method
    }

    /// Refuses the change (`preconditionFailed`, HTTP 412) unless `ifMatch` is absent, `*`, or
    /// names `etag`.
    package func require(_ ifMatch: String?, matches etag: String) throws {
        try Precondition.check(ifMatch, current: etag)
    }

    /// Marks the mutation as a change: `outcome` goes to the audit log; with `visibleToNodes`
    /// (anything a snapshot carries) the serial moves on once, at the end.
    package mutating func changed(_ resource: String, outcome: String, visibleToNodes: Bool = true) {
        audit = (resource, outcome)
        if visibleToNodes { serialWanted = true }
    }

    /// Records that the engine moved the serial (it does not move again at the end).
    package mutating func markSerialBumped() { serialBumped = true }
}

extension Mutation where Connection == Database {
    /// Moves the serial now, for a change whose later steps must see the new serial (a snapshot
    /// frozen in the same transaction). The end of the mutation does not move it again.
    mutating func bumpSerialNow() throws {
        guard !serialBumped else { return }
        try SQLiteStore.bumpSerial(db, orgID: org.id)
        markSerialBumped()
    }
}

extension SQLiteStore {
    /// Runs `body` as one mutation of org `orgName` in the open write transaction `db`.
    static func mutate<T>(_ db: Database, org orgName: String, actor: String, method: String,
                          _ body: (inout Mutation<Database>) throws -> T) throws -> T {
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
                             _ body: @escaping @Sendable (inout Mutation<Database>) throws -> T) async throws -> T {
        try await write { db in try Self.mutate(db, org: org, actor: actor, method: method, body) }
    }

    /// One mutation in its own write transaction, for the CLI.
    func mutateSync<T>(org: String, actor: String, method: String, _ body: (inout Mutation<Database>) throws -> T) throws -> T {
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
