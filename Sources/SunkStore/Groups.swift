import Foundation
import GRDB
import SCIMProtocol

/// A list of ids as the one JSON text SQLite's `json_each(?)` reads, built before the write
/// transaction is opened.
package struct IDList: Sendable {
    /// The ids, sorted (an engine that binds arrays takes these).
    package var ids: [String]
    var json: String
    package var count: Int
    /// Nil for an empty set: there is nothing to write.
    init?(_ ids: Set<String>) {
        if ids.isEmpty { return nil }
        self.ids = ids.sorted()
        json = SQLiteStore.jsonArray(self.ids)
        count = ids.count
    }
}

/// A `MembershipChange` ready for SQL.
package struct PreparedMembership: Sendable {
    package var replacement: IDList?
    package var added: IDList?
    package var removed: IDList?
    package var toValidate: IDList?
    /// True when the change replaces the member list (so an empty `replacement` still empties it).
    package var replaces: Bool
}

extension MembershipChange {
    package func prepared() -> PreparedMembership {
        PreparedMembership(replacement: replacement.flatMap(IDList.init), added: IDList(added), removed: IDList(removed),
                           toValidate: IDList((replacement ?? []).union(added)), replaces: replacement != nil)
    }
}

extension StoredGroup {
    init(record: GroupRecord, members: [MemberRef]) {
        self.init(id: record.id, displayName: record.displayName, externalID: record.externalID,
                  document: record.document, posixName: record.posixName, gid: UInt32(record.gid), members: members,
                  version: record.version, createdAt: record.createdAt, modifiedAt: record.modifiedAt)
    }
}

extension SQLiteStore {
    /// One group; with `members: false` its member list is not read (and is empty).
    public func group(org: Org, id: String, members: Bool = true) async throws -> StoredGroup {
        try await read { db in try Self.groupHeader(db, orgID: org.id, id: id, members: members) }
    }

    /// Groups of an org narrowed by an indexed lookup; with `members: false` their member lists
    /// are not read (and are empty).
    public func groups(org: Org, lookup: GroupLookup = .all, members: Bool = true) async throws -> [StoredGroup] {
        try await read { db in try Self.groups(db, orgID: org.id, lookup: lookup, members: members) }
    }

    public func groups(org: Org, lookup: GroupLookup = .all) throws -> [StoredGroup] {
        try readSync { db in try Self.groups(db, orgID: org.id, lookup: lookup) }
    }

    static func groups(_ db: Database, orgID: Int64, lookup: GroupLookup, members withMembers: Bool = true) throws
        -> [StoredGroup] {
        let records: [GroupRecord]
        switch lookup {
        case .all: records = try GroupRecord.filter(GroupRecord.Columns.orgID == orgID).order(Column.rowID).fetchAll(db)
        case .displayName(let name):
            records = try PreparedLookups.rows(GroupRecord.self, db, orgID: orgID, where: "displayNameKey", is: name.lowercased())
        case .externalID(let value):
            records = try PreparedLookups.rows(GroupRecord.self, db, orgID: orgID, where: "externalID", is: value)
        case .id(let value):
            records = try PreparedLookups.rows(GroupRecord.self, db, orgID: orgID, where: "id", is: value)
        }
        let members = withMembers
            ? try members(db, groupIDs: lookup == .all ? nil : records.map(\.id), orgID: orgID) : [:]
        return records.map { StoredGroup(record: $0, members: members[$0.id] ?? []) }
    }

    static func members(_ db: Database, groupIDs: [String]?, orgID: Int64? = nil) throws -> [String: [MemberRef]] {
        var sql = """
            SELECT membership.groupID, scimUser.id, scimUser.userName FROM membership
            JOIN scimUser ON scimUser.id = membership.userID
            """
        var arguments: StatementArguments = []
        if let groupIDs {
            if groupIDs.isEmpty { return [:] }
            sql += " WHERE membership.groupID IN (\(Array(repeating: "?", count: groupIDs.count).joined(separator: ",")))"
            arguments = StatementArguments(groupIDs)
        } else if let orgID {
            sql += " WHERE scimUser.orgID = ?"
            arguments = [orgID]
        }
        sql += " ORDER BY scimUser.userNameKey"
        var result: [String: [MemberRef]] = [:]
        for row in try Row.fetchAll(db, sql: sql, arguments: arguments) {
            result[row["groupID"], default: []].append(MemberRef(id: row["id"], userName: row["userName"]))
        }
        return result
    }

    /// Creates a group with its members in one write transaction: the member ids are checked
    /// with one set-based query and inserted with one statement, so a group of 100k members
    /// holds the write lock for a fraction of a second.
    public func createGroup(org: Org, draft: GroupDraft, actor: String) async throws -> StoredGroup {
        let members = MembershipChange(replacingWith: draft.memberIDs).prepared()
        let id = try await mutate(org: org.name, actor: actor, method: "POST") { mutation in
            let db = mutation.db
            let id = UUID().uuidString.lowercased()
            try Self.checkGroupUniqueness(db, org: mutation.org, draft: draft, selfID: "")
            try Self.validateMembers(db, org: mutation.org, members.toValidate)
            let gid = try Allocator.allocateGID(db, org: mutation.org)
            let now = StoreClock.now()
            try GroupRecord(id: id, orgID: mutation.org.id, displayName: draft.displayName,
                            displayNameKey: draft.displayName.lowercased(), externalID: draft.externalID,
                            document: draft.document, posixName: draft.posixName, gid: gid, version: 1,
                            createdAt: now, modifiedAt: now).insert(db)
            let count = try Self.insertMembers(db, groupID: id, members.replacement)
            mutation.changed(AuditOutcome.groupResource(id), outcome: AuditOutcome.groupCreated(draft.displayName, members: count))
            return id
        }
        // Read after the commit, outside the write lock: nobody else knows the id yet.
        return try await group(org: org, id: id)
    }

    /// Applies a change to a group (PUT and PATCH). `transform` computes the change from the
    /// group's row (its members are read only with `readingMembers`, else `StoredGroup.members`
    /// is empty) outside the write transaction, and the member ids it adds are checked there too
    /// (see `optimisticUpdate`); inside it, the added members are checked again with one
    /// set-based query, and only the membership rows that change are touched. Parallel PATCHes
    /// from Okta never lose a member change, a refused member leaves the group exactly as it was,
    /// and no write waits long on another. The answer is read after the commit (without its
    /// members when `answerWithMembers` is false).
    public func updateGroup(
        org: Org, id: String, ifMatch: String?, actor: String, method: String, readingMembers: Bool = false,
        answerWithMembers: Bool = true, transform: @escaping @Sendable (StoredGroup) throws -> GroupChange
    ) async throws -> StoredGroup {
        try await optimisticUpdate(
            plan: { db in
                let current = try Self.groupHeader(db, orgID: org.id, id: id, members: readingMembers)
                try Precondition.check(ifMatch, current: current.etag)
                let change = try transform(current)
                let members = change.membership.prepared()
                try Self.validateMembers(db, org: org, members.toValidate)
                return (current.version, (change.group, members))
            },
            version: { db in try Self.groupHeader(db, orgID: org.id, id: id).version },
            apply: { db, planned in
                try Self.apply(planned.0, planned.1, to: try Self.groupHeader(db, orgID: org.id, id: id), db: db,
                               orgName: org.name, actor: actor, method: method)
            })
        return try await group(org: org, id: id, members: answerWithMembers)
    }

    /// Writes the group's new row and member changes (computed from `current`, whose version is
    /// the one stored) in the open write transaction: one set-based check of the added members,
    /// then one statement per kind of change. A change that changes nothing writes nothing.
    static func apply(_ draft: GroupDraft, _ members: PreparedMembership, to current: StoredGroup, db: Database,
                      orgName: String, actor: String, method: String) throws {
        try mutate(db, org: orgName, actor: actor, method: method) { mutation in
            try Self.checkGroupUniqueness(db, org: mutation.org, draft: draft, selfID: current.id)
            try Self.validateMembers(db, org: mutation.org, members.toValidate)
            var added = 0
            var removed = 0
            if members.replaces {
                try db.execute(sql: "DELETE FROM membership WHERE groupID = ? AND userID NOT IN (SELECT value FROM json_each(?))",
                               arguments: [current.id, members.replacement?.json ?? "[]"])
                removed += db.changesCount
                added += try insertMembers(db, groupID: current.id, members.replacement)
            }
            if let gone = members.removed {
                try db.cachedStatement(sql: "DELETE FROM membership WHERE groupID = ? AND userID IN (SELECT value FROM json_each(?))")
                    .execute(arguments: [current.id, gone.json])
                removed += db.changesCount
            }
            if let new = members.added { added += try insertMembers(db, groupID: current.id, new) }
            if added == 0 && removed == 0 && GroupRules.sameRow(draft, as: current) { return }
            guard var record = try PreparedLookups.rows(GroupRecord.self, db, orgID: mutation.org.id, where: "id",
                                                        is: current.id).first else {
                throw StoreError.notFound("group \(current.id)")
            }
            record.displayName = draft.displayName
            record.displayNameKey = draft.displayName.lowercased()
            record.externalID = draft.externalID
            record.document = draft.document
            record.posixName = draft.posixName
            record.version += 1
            record.modifiedAt = StoreClock.now()
            try record.update(db)
            mutation.changed(AuditOutcome.groupResource(current.id),
                             outcome: AuditOutcome.groupUpdated(draft.displayName, added: added, removed: removed))
        }
    }

    /// `INSERT OR IGNORE` of every id in one statement; returns how many rows were new.
    static func insertMembers(_ db: Database, groupID: String, _ ids: IDList?) throws -> Int {
        guard let ids else { return 0 }
        try db.cachedStatement(sql: "INSERT OR IGNORE INTO membership (groupID, userID) SELECT ?, value FROM json_each(?)")
            .execute(arguments: [groupID, ids.json])
        return db.changesCount
    }

    /// A JSON array of strings, for `json_each(?)`: one bound argument however many ids.
    static func jsonArray(_ ids: [String]) -> String {
        String(decoding: JSONValue.array(ids.map { .string($0) }).serialized(), as: UTF8.self)
    }

    /// The group's row; its members only when `members` is true (else `members` is empty).
    static func groupHeader(_ db: Database, orgID: Int64, id: String, members: Bool = false) throws -> StoredGroup {
        guard let record = try PreparedLookups.rows(GroupRecord.self, db, orgID: orgID, where: "id", is: id).first
        else { throw StoreError.notFound("group \(id)") }
        return StoredGroup(record: record, members: members ? try Self.members(db, groupIDs: [id])[id] ?? [] : [])
    }

    public func deleteGroup(org: Org, id: String, ifMatch: String?, actor: String) async throws {
        try await mutate(org: org.name, actor: actor, method: "DELETE") { mutation in
            let current = try Self.groupHeader(mutation.db, orgID: mutation.org.id, id: id)
            try mutation.require(ifMatch, matches: current.etag)
            _ = try GroupRecord.deleteOne(mutation.db, key: id)
            mutation.changed(AuditOutcome.groupResource(id), outcome: AuditOutcome.groupDeleted(current.displayName))
        }
    }

    static func checkGroupUniqueness(_ db: Database, org: Org, draft: GroupDraft, selfID: String) throws {
        func holder(_ column: String, _ value: String) throws -> String? {
            try PreparedLookups.holder(db, table: GroupRecord.databaseTableName, answer: "displayName", orgID: org.id,
                                       where: column, is: value, except: selfID)
        }
        if let other = try holder("displayNameKey", draft.displayName.lowercased()) {
            throw GroupRules.displayNameTaken(draft, by: other)
        }
        if let other = try holder("posixName", draft.posixName) {
            throw GroupRules.posixNameTaken(draft, by: other)
        }
    }
    /// Flat groups only: every member must be a user of this org. One counting query for the whole
    /// list (`json_each`), however long; only when it comes up short is the offender looked up: a
    /// group id or an unknown id is refused with a message naming it (the first in sorted order,
    /// and how many others), and nothing changes. (`CROSS JOIN` keeps the id list as the outer
    /// loop: SQLite would otherwise scan the list once per user of the org.)
    static func validateMembers(_ db: Database, org: Org, _ ids: IDList?) throws {
        guard let ids else { return }
        let found = try Int.fetchOne(db.cachedStatement(sql: """
            SELECT count(*) FROM json_each(?) AS wanted
            CROSS JOIN scimUser ON scimUser.id = wanted.value AND scimUser.orgID = ?
            """), arguments: [ids.json, org.id]) ?? 0
        if found == ids.count { return }
        let missing = try String.fetchAll(db, sql: """
            SELECT wanted.value FROM json_each(?) AS wanted
            WHERE NOT EXISTS (SELECT 1 FROM scimUser WHERE scimUser.id = wanted.value AND scimUser.orgID = ?)
            ORDER BY wanted.value
            """, arguments: [ids.json, org.id])
        guard !missing.isEmpty else { return }
        let nested = try Row.fetchOne(db, sql: """
            SELECT id, displayName FROM scimGroup WHERE orgID = ? AND id IN (SELECT value FROM json_each(?)) ORDER BY id LIMIT 1
            """, arguments: [org.id, jsonArray(missing)]).map { (id: $0["id"] as String, displayName: $0["displayName"] as String) }
        throw GroupRules.memberRefusal(missing: missing, nested: nested)
    }
}

