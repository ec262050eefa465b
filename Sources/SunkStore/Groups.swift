import Foundation
import GRDB
import SCIMProtocol

/// A group as the SCIM layer hands it to the store. `posixName` is already derived from
/// displayName (and mapped/validated) by `SunkModel.PosixRules.derivedGroupName`.
public struct GroupDraft: Sendable, Equatable {
    public var displayName: String
    public var externalID: String?
    /// Normalised SCIM document without id, meta and members, serialised JSON.
    public var document: String
    public var posixName: String
    /// The complete member list (user ids), in the order given.
    public var memberIDs: [String]

    public init(displayName: String, externalID: String?, document: String, posixName: String, memberIDs: [String]) {
        self.displayName = displayName; self.externalID = externalID; self.document = document
        self.posixName = posixName; self.memberIDs = memberIDs
    }
}

/// How a write changes a group's members, as sets, so the store touches only the rows that
/// change: `replacement` (when set) is the complete new list, then `removed` are deleted and
/// `added` inserted. Built by applying add/remove/replace operations in order; each costs O(k)
/// for its k ids, never O(group size).
public struct MembershipChange: Sendable, Equatable {
    /// The complete new member list, when an operation replaced it (PUT, `replace members`).
    public private(set) var replacement: Set<String>?
    /// Ids to add (to `replacement` or the current members); disjoint from `removed`.
    public private(set) var added = Set<String>()
    /// Ids to remove from the current members.
    public private(set) var removed = Set<String>()

    public init() {}

    /// The change of a PUT or POST: exactly these members.
    public init(replacingWith ids: [String]) { replace(with: ids) }

    /// Nothing changes.
    public var isEmpty: Bool { replacement == nil && added.isEmpty && removed.isEmpty }

    public mutating func replace(with ids: [String]) {
        replacement = Set(ids)
        added = []
        removed = []
    }

    public mutating func add(_ ids: [String]) {
        if replacement != nil { replacement!.formUnion(ids); return }
        removed.subtract(ids)
        added.formUnion(ids)
    }

    public mutating func remove(_ ids: [String]) {
        if replacement != nil { replacement!.subtract(ids); return }
        added.subtract(ids)
        removed.formUnion(ids)
    }

    /// The members after the change, given the current ones (for filters that must see them).
    public func applied(to current: [String]) -> Set<String> {
        if let replacement { return replacement }
        return Set(current).subtracting(removed).union(added)
    }
}

/// A list of ids as the one JSON text SQLite's `json_each(?)` reads, built before the write
/// transaction is opened.
struct IDList: Sendable {
    var json: String
    var count: Int
    /// Nil for an empty set: there is nothing to write.
    init?(_ ids: Set<String>) {
        if ids.isEmpty { return nil }
        json = SunkDatabase.jsonArray(ids.sorted())
        count = ids.count
    }
}

/// A `MembershipChange` ready for SQL.
struct PreparedMembership: Sendable {
    var replacement: IDList?
    var added: IDList?
    var removed: IDList?
    var toValidate: IDList?
    /// True when the change replaces the member list (so an empty `replacement` still empties it).
    var replaces: Bool
}

extension MembershipChange {
    func prepared() -> PreparedMembership {
        PreparedMembership(replacement: replacement.flatMap(IDList.init), added: IDList(added), removed: IDList(removed),
                           toValidate: IDList((replacement ?? []).union(added)), replaces: replacement != nil)
    }
}

/// What a PUT or PATCH makes of a group: its new row (`group.memberIDs` is ignored) and how its
/// members change.
public struct GroupChange: Sendable, Equatable {
    public var group: GroupDraft
    public var membership: MembershipChange
    public init(group: GroupDraft, membership: MembershipChange) { self.group = group; self.membership = membership }
}

/// A member as stored: the user id and the userName SCIM shows as `display`.
public struct MemberRef: Sendable, Equatable {
    public var id: String
    public var userName: String
}

public struct StoredGroup: Sendable, Equatable {
    public var id: String
    public var displayName: String
    public var externalID: String?
    public var document: String
    public var posixName: String
    public var gid: UInt32
    public var members: [MemberRef]
    public var version: Int64
    public var createdAt: String
    public var modifiedAt: String
    public var etag: String { "W/\"\(version)\"" }
}

/// Columns a group listing can be narrowed by with an index.
public enum GroupLookup: Sendable, Equatable {
    case all
    case displayName(String)
    case externalID(String)
    case id(String)
}

extension StoredGroup {
    init(row: Row, members: [MemberRef]) {
        id = row["id"]; displayName = row["displayName"]; externalID = row["externalID"]
        document = row["document"]; posixName = row["posixName"]; gid = UInt32(row["gid"] as Int64)
        version = row["version"]; createdAt = row["createdAt"]; modifiedAt = row["modifiedAt"]
        self.members = members
    }
}

extension SunkDatabase {
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

    static func group(_ db: Database, orgID: Int64, id: String) throws -> StoredGroup {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM scimGroup WHERE orgID = ? AND id = ?",
                                         arguments: [orgID, id])
        else { throw StoreError.notFound("group \(id)") }
        return StoredGroup(row: row, members: try members(db, groupIDs: [id])[id] ?? [])
    }

    static func groups(_ db: Database, orgID: Int64, lookup: GroupLookup, members withMembers: Bool = true) throws
        -> [StoredGroup] {
        var sql = "SELECT * FROM scimGroup WHERE orgID = ?"
        var arguments: StatementArguments = [orgID]
        switch lookup {
        case .all: break
        case .displayName(let name): sql += " AND displayNameKey = ?"; arguments += [name.lowercased()]
        case .externalID(let value): sql += " AND externalID = ?"; arguments += [value]
        case .id(let value): sql += " AND id = ?"; arguments += [value]
        }
        sql += " ORDER BY rowid"
        let rows = try Row.fetchAll(db, sql: sql, arguments: arguments)
        let members = withMembers ? try members(db, groupIDs: lookup == .all ? nil : rows.map { $0["id"] }, orgID: orgID) : [:]
        return rows.map { StoredGroup(row: $0, members: members[$0["id"] as String] ?? []) }
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
        let id = try await write { db in
            let org = try Self.org(db, named: org.name)
            let id = UUID().uuidString.lowercased()
            try Self.checkGroupUniqueness(db, org: org, draft: draft, selfID: "")
            try Self.validateMembers(db, org: org, members.toValidate)
            let gid = try Allocator.allocateGID(db, org: org)
            let now = Clock.now()
            try db.execute(
                sql: """
                    INSERT INTO scimGroup (id, orgID, displayName, displayNameKey, externalID, document, posixName,
                        gid, version, createdAt, modifiedAt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)
                    """,
                arguments: [id, org.id, draft.displayName, draft.displayName.lowercased(), draft.externalID,
                            draft.document, draft.posixName, gid, now, now])
            let count = try Self.insertMembers(db, groupID: id, members.replacement)
            try Self.bumpSerial(db, orgID: org.id)
            try Audit.record(db, orgID: org.id, actor: actor, method: "POST", resource: "Groups/\(id)",
                             outcome: "201 created \(draft.displayName) (\(count) members)")
            return id
        }
        // Read after the commit, outside the write lock: nobody else knows the id yet.
        return try await group(org: org, id: id)
    }

    /// Applies a change to a group (PUT and PATCH). `transform` computes the change from the
    /// group's row (its members are read only with `readingMembers`, else `StoredGroup.members`
    /// is empty) outside the write
    /// transaction, and the member ids it adds are checked there too; the write transaction then
    /// re-checks that the group's version is still the one the change was computed from (else it
    /// computes again, up to three times, and then once more inside the transaction), re-checks
    /// the added members with one set-based query, and touches only the membership rows that
    /// change. Parallel PATCHes from Okta never lose a member change, a refused member leaves
    /// the group exactly as it was, and no write waits long on another. The answer is read after
    /// the commit (without its members when `answerWithMembers` is false).
    public func updateGroup(
        org: Org, id: String, ifMatch: String?, actor: String, method: String, readingMembers: Bool = false,
        answerWithMembers: Bool = true, transform: @escaping @Sendable (StoredGroup) throws -> GroupChange
    ) async throws -> StoredGroup {
        for _ in 0..<3 {
            let (current, change, members) = try await read { db in
                let current = try Self.groupHeader(db, orgID: org.id, id: id, members: readingMembers)
                try Precondition.check(ifMatch, current: current.etag)
                let change = try transform(current)
                let members = change.membership.prepared()
                try Self.validateMembers(db, org: org, members.toValidate)
                return (current, change, members)
            }
            let applied = try await write { db -> Bool in
                let now = try Self.groupHeader(db, orgID: org.id, id: id)
                guard now.version == current.version else { return false }
                try Self.apply(change.group, members, to: now, db: db, orgName: org.name, actor: actor, method: method)
                return true
            }
            if applied { return try await group(org: org, id: id, members: answerWithMembers) }
        }
        try await write { db in
            let current = try Self.groupHeader(db, orgID: org.id, id: id, members: readingMembers)
            try Precondition.check(ifMatch, current: current.etag)
            let change = try transform(current)
            try Self.apply(change.group, change.membership.prepared(), to: current, db: db, orgName: org.name,
                           actor: actor, method: method)
        }
        return try await group(org: org, id: id, members: answerWithMembers)
    }

    /// Writes the group's new row and member changes (computed from `current`, whose version is
    /// the one stored) in the open write transaction: one set-based check of the added members,
    /// then one statement per kind of change. A change that changes nothing writes nothing.
    static func apply(_ draft: GroupDraft, _ members: PreparedMembership, to current: StoredGroup, db: Database,
                      orgName: String, actor: String, method: String) throws {
        let org = try Self.org(db, named: orgName)
        try Self.checkGroupUniqueness(db, org: org, draft: draft, selfID: current.id)
        try Self.validateMembers(db, org: org, members.toValidate)
        var added = 0
        var removed = 0
        if members.replaces {
            try db.execute(sql: "DELETE FROM membership WHERE groupID = ? AND userID NOT IN (SELECT value FROM json_each(?))",
                           arguments: [current.id, members.replacement?.json ?? "[]"])
            removed += db.changesCount
            added += try insertMembers(db, groupID: current.id, members.replacement)
        }
        if let gone = members.removed {
            try db.execute(sql: "DELETE FROM membership WHERE groupID = ? AND userID IN (SELECT value FROM json_each(?))",
                           arguments: [current.id, gone.json])
            removed += db.changesCount
        }
        if let new = members.added { added += try insertMembers(db, groupID: current.id, new) }
        let same = added == 0 && removed == 0 && draft.displayName == current.displayName
            && draft.externalID == current.externalID && draft.document == current.document
            && draft.posixName == current.posixName
        if same { return }
        try db.execute(
            sql: """
                UPDATE scimGroup SET displayName = ?, displayNameKey = ?, externalID = ?, document = ?, posixName = ?,
                    version = version + 1, modifiedAt = ? WHERE id = ?
                """,
            arguments: [draft.displayName, draft.displayName.lowercased(), draft.externalID, draft.document,
                        draft.posixName, Clock.now(), current.id])
        try Self.bumpSerial(db, orgID: org.id)
        try Audit.record(db, orgID: org.id, actor: actor, method: method, resource: "Groups/\(current.id)",
                         outcome: "200 updated \(draft.displayName) (+\(added) -\(removed) members)")
    }

    /// `INSERT OR IGNORE` of every id in one statement; returns how many rows were new.
    static func insertMembers(_ db: Database, groupID: String, _ ids: IDList?) throws -> Int {
        guard let ids else { return 0 }
        try db.execute(sql: "INSERT OR IGNORE INTO membership (groupID, userID) SELECT ?, value FROM json_each(?)",
                       arguments: [groupID, ids.json])
        return db.changesCount
    }

    /// A JSON array of strings, for `json_each(?)`: one bound argument however many ids.
    static func jsonArray(_ ids: [String]) -> String {
        String(decoding: JSONValue.array(ids.map { .string($0) }).serialized(), as: UTF8.self)
    }

    /// The group's row; its members only when `members` is true (else `members` is empty).
    static func groupHeader(_ db: Database, orgID: Int64, id: String, members: Bool = false) throws -> StoredGroup {
        guard let row = try groupRow(db, orgID: orgID, id: id) else { throw StoreError.notFound("group \(id)") }
        return StoredGroup(row: row, members: members ? try Self.members(db, groupIDs: [id])[id] ?? [] : [])
    }

    static func groupRow(_ db: Database, orgID: Int64, id: String) throws -> Row? {
        try Row.fetchOne(db, sql: "SELECT * FROM scimGroup WHERE orgID = ? AND id = ?", arguments: [orgID, id])
    }

    public func deleteGroup(org: Org, id: String, ifMatch: String?, actor: String) async throws {
        try await write { db in
            let current = try Self.group(db, orgID: org.id, id: id)
            try Precondition.check(ifMatch, current: current.etag)
            try db.execute(sql: "DELETE FROM scimGroup WHERE id = ?", arguments: [id])
            try Self.bumpSerial(db, orgID: org.id)
            try Audit.record(db, orgID: org.id, actor: actor, method: "DELETE", resource: "Groups/\(id)",
                             outcome: "204 deleted \(current.displayName)")
        }
    }

    static func checkGroupUniqueness(_ db: Database, org: Org, draft: GroupDraft, selfID: String) throws {
        if let other = try String.fetchOne(
            db, sql: "SELECT displayName FROM scimGroup WHERE orgID = ? AND displayNameKey = ? AND id != ?",
            arguments: [org.id, draft.displayName.lowercased(), selfID]) {
            throw StoreError.uniqueness("displayName \"\(draft.displayName)\" is already used (by \"\(other)\"); displayName is case-insensitive")
        }
        if let other = try String.fetchOne(
            db, sql: "SELECT displayName FROM scimGroup WHERE orgID = ? AND posixName = ? AND id != ?",
            arguments: [org.id, draft.posixName, selfID]) {
            throw StoreError.uniqueness("displayName \"\(draft.displayName)\" maps to the POSIX group name \"\(draft.posixName)\", which group \"\(other)\" already has; rename one of them in the IdP or map it with groupNameMappings")
        }
    }

    /// Flat groups only: every member must be a user of this org. One counting query for the whole
    /// list (`json_each`), however long; only when it comes up short is the offender looked up: a
    /// group id or an unknown id is refused with a message naming it (the first in sorted order,
    /// and how many others), and nothing changes. (`CROSS JOIN` keeps the id list as the outer
    /// loop: SQLite would otherwise scan the list once per user of the org.)
    static func validateMembers(_ db: Database, org: Org, _ ids: IDList?) throws {
        guard let ids else { return }
        let found = try Int.fetchOne(db, sql: """
            SELECT count(*) FROM json_each(?) AS wanted
            CROSS JOIN scimUser ON scimUser.id = wanted.value AND scimUser.orgID = ?
            """, arguments: [ids.json, org.id]) ?? 0
        if found == ids.count { return }
        let missing = try String.fetchAll(db, sql: """
            SELECT wanted.value FROM json_each(?) AS wanted
            WHERE NOT EXISTS (SELECT 1 FROM scimUser WHERE scimUser.id = wanted.value AND scimUser.orgID = ?)
            ORDER BY wanted.value
            """, arguments: [ids.json, org.id])
        guard let first = missing.first else { return }
        let others = missing.count > 1 ? " (and \(missing.count - 1) other unknown member\(missing.count > 2 ? "s" : ""))" : ""
        if let nested = try Row.fetchOne(db, sql: """
            SELECT id, displayName FROM scimGroup WHERE orgID = ? AND id IN (SELECT value FROM json_each(?)) ORDER BY id LIMIT 1
            """, arguments: [org.id, jsonArray(missing)]) {
            let id: String = nested["id"], name: String = nested["displayName"]
            throw StoreError.invalidValue("member \"\(id)\" is the group \"\(name)\": nested groups are not supported; push only flat groups\(others)")
        }
        throw StoreError.invalidValue("member \"\(first)\" is not a user of this org\(others)")
    }
}

