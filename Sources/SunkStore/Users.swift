import Foundation
import GRDB
import SunkModel

extension StoredUser {
    init(record: UserRecord, groups: [GroupRef]) throws {
        try self.init(id: record.id, resolved: record.resolved, version: record.version, createdAt: record.createdAt,
                      modifiedAt: record.modifiedAt, groups: groups)
    }
}

extension SQLiteStore {
    public func user(org: Org, id: String) async throws -> StoredUser {
        try await read { db in try Self.user(db, orgID: org.id, id: id) }
    }

    public func user(org: Org, id: String) throws -> StoredUser {
        try readSync { db in try Self.user(db, orgID: org.id, id: id) }
    }

    /// Users of an org narrowed by an indexed lookup, in stable (insertion) order.
    public func users(org: Org, lookup: UserLookup = .all) async throws -> [StoredUser] {
        try await read { db in try Self.users(db, orgID: org.id, lookup: lookup) }
    }

    public func users(org: Org, lookup: UserLookup = .all) throws -> [StoredUser] {
        try readSync { db in try Self.users(db, orgID: org.id, lookup: lookup) }
    }

    /// Total number of users of an org and one page of them (no filter), in stable order.
    public func userPage(org: Org, page: Page) async throws -> (total: Int, users: [StoredUser]) {
        try await read { db in
            let all = UserRecord.filter(UserRecord.Columns.orgID == org.id)
            let total = try all.fetchCount(db)
            let records = try all.order(Column.rowID).limit(page.count, offset: page.startIndex - 1).fetchAll(db)
            return (total, try Self.storedUsers(db, records, allOfOrg: false))
        }
    }

    static func user(_ db: Database, orgID: Int64, id: String) throws -> StoredUser {
        guard let record = try userRecord(db, orgID: orgID, id: id) else { throw StoreError.notFound("user \(id)") }
        return try StoredUser(record: record, groups: try groupRefs(db, userIDs: [id])[id] ?? [])
    }

    static func userRecord(_ db: Database, orgID: Int64, id: String) throws -> UserRecord? {
        try PreparedLookups.rows(UserRecord.self, db, orgID: orgID, where: "id", is: id).first
    }

    static func users(_ db: Database, orgID: Int64, lookup: UserLookup) throws -> [StoredUser] {
        let records: [UserRecord]
        switch lookup {
        case .all:
            records = try UserRecord.filter(UserRecord.Columns.orgID == orgID).order(Column.rowID).fetchAll(db)
        case .userName(let name):
            records = try PreparedLookups.rows(UserRecord.self, db, orgID: orgID, where: "userNameKey", is: UserKey.fold(name))
        case .userNamePrefix(let prefix):
            let range = UserLookup.prefixRange(prefix)
            records = try UserRecord.filter(UserRecord.Columns.orgID == orgID && UserRecord.Columns.userNameKey >= range.lower
                                            && UserRecord.Columns.userNameKey < range.upper)
                .order(Column.rowID).limit(UserLookup.prefixLimit).fetchAll(db)
        case .externalID(let value):
            records = try PreparedLookups.rows(UserRecord.self, db, orgID: orgID, where: "externalID", is: value)
        case .id(let value):
            records = try PreparedLookups.rows(UserRecord.self, db, orgID: orgID, where: "id", is: value)
        }
        return try storedUsers(db, records, allOfOrg: lookup == .all)
    }

    /// The users of `records` with their groups (read in one query: for the whole org when the
    /// records are all of it, else for their ids).
    static func storedUsers(_ db: Database, _ records: [UserRecord], allOfOrg: Bool) throws -> [StoredUser] {
        let groups = try groupRefs(db, userIDs: allOfOrg ? nil : records.map(\.id))
        return try records.map { try StoredUser(record: $0, groups: groups[$0.id] ?? []) }
    }

    /// Group memberships per user id; all users when `userIDs` is nil.
    static func groupRefs(_ db: Database, userIDs: [String]?) throws -> [String: [GroupRef]] {
        var result: [String: [GroupRef]] = [:]
        let base = """
            SELECT membership.userID, scimGroup.id, scimGroup.displayName FROM membership
            JOIN scimGroup ON scimGroup.id = membership.groupID
            """
        let rows: [Row]
        if let userIDs {
            if userIDs.isEmpty { return [:] }
            let marks = Array(repeating: "?", count: userIDs.count).joined(separator: ",")
            let sql = base + " WHERE membership.userID IN (\(marks)) ORDER BY scimGroup.displayNameKey"
            // One user's groups (every write answers with its user) from a statement kept prepared.
            let statement = userIDs.count == 1 ? try db.cachedStatement(sql: sql) : try db.makeStatement(sql: sql)
            rows = try Row.fetchAll(statement, arguments: StatementArguments(userIDs))
        } else {
            rows = try Row.fetchAll(db, sql: base + " ORDER BY scimGroup.displayNameKey")
        }
        for row in rows {
            result[row["userID"], default: []].append(GroupRef(id: row["id"], displayName: row["displayName"]))
        }
        return result
    }

    /// Creates a user. Uniqueness of userName (case-insensitive), POSIX name, uid and home is
    /// checked inside the serialised write transaction; SQLite's unique indexes back it up.
    public func createUser(org: Org, draft: UserDraft, actor: String) async throws -> StoredUser {
        try await mutate(org: org.name, actor: actor, method: "POST") { mutation in
            let db = mutation.db
            let id = UUID().uuidString.lowercased()
            let now = StoreClock.now()
            let lookups = SQLiteUserLookups(db: db, org: mutation.org)
            let resolved = try UserResolver.resolve(lookups, org: mutation.org, draft: draft, existing: nil)
            try resolved.record(id: id, orgID: mutation.org.id, version: 1, createdAt: now, modifiedAt: now).insert(db)
            mutation.changed(AuditOutcome.userResource(id), outcome: AuditOutcome.userCreated(draft.userName))
            return try Self.user(db, orgID: mutation.org.id, id: id)
        }
    }

    /// Replaces a user with what `transform` makes of the current one (PUT and PATCH).
    /// `transform` (the PATCH engine and every validation rule) runs before the write transaction
    /// is opened, on the user as read (see `optimisticUpdate`), so concurrent updates never lose
    /// each other's changes and the write lock is held only for the uniqueness checks and the row
    /// update. `ifMatch` is compared with the current ETag. An update that changes nothing writes
    /// nothing.
    public func updateUser(
        org: Org, id: String, ifMatch: String?, actor: String, method: String,
        transform: @escaping @Sendable (StoredUser) throws -> UserDraft
    ) async throws -> StoredUser {
        try await optimisticUpdate(
            plan: { db in
                let current = try Self.user(db, orgID: org.id, id: id)
                try Precondition.check(ifMatch, current: current.etag)
                return (current.version, try transform(current))
            },
            version: { db in try Self.user(db, orgID: org.id, id: id).version },
            apply: { db, draft in
                try Self.store(draft, over: try Self.user(db, orgID: org.id, id: id), db: db, orgName: org.name,
                               actor: actor, method: method)
            })
    }

    /// Writes `draft` over `current` (the stored version) in the open write transaction.
    static func store(_ draft: UserDraft, over current: StoredUser, db: Database, orgName: String, actor: String,
                      method: String) throws -> StoredUser {
        try mutate(db, org: orgName, actor: actor, method: method) { mutation in
            guard let stored = try userRecord(db, orgID: mutation.org.id, id: current.id) else {
                throw StoreError.notFound("user \(current.id)")
            }
            let lookups = SQLiteUserLookups(db: db, org: mutation.org)
            let resolved = try UserResolver.resolve(lookups, org: mutation.org, draft: draft, existing: current)
            let updated = resolved.record(id: current.id, orgID: mutation.org.id, version: stored.version + 1,
                                          createdAt: stored.createdAt, modifiedAt: StoreClock.now())
            if updated.sameContent(as: stored) { return current }
            try updated.update(db)
            mutation.changed(AuditOutcome.userResource(current.id), outcome: AuditOutcome.userUpdated(draft.userName))
            return try Self.user(db, orgID: mutation.org.id, id: current.id)
        }
    }

    /// Deletes a user and its memberships. Allocated ids are never handed out again.
    public func deleteUser(org: Org, id: String, ifMatch: String?, actor: String) async throws {
        try await mutate(org: org.name, actor: actor, method: "DELETE") { mutation in
            let db = mutation.db
            let current = try Self.user(db, orgID: mutation.org.id, id: id)
            try mutation.require(ifMatch, matches: current.etag)
            // Groups lose a member: their version (ETag) and lastModified change too.
            try GroupRecord
                .filter(sql: "id IN (SELECT groupID FROM membership WHERE userID = ?)", arguments: [id])
                .updateAll(db, GroupRecord.Columns.version += 1, GroupRecord.Columns.modifiedAt.set(to: StoreClock.now()))
            _ = try UserRecord.deleteOne(db, key: id)
            mutation.changed(AuditOutcome.userResource(id), outcome: AuditOutcome.userDeleted(current.userName))
        }
    }
}
