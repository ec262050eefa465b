import Foundation
import GRDB

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
    public func group(org: Org, id: String) async throws -> StoredGroup {
        try await read { db in try Self.group(db, orgID: org.id, id: id) }
    }

    public func groups(org: Org, lookup: GroupLookup = .all) async throws -> [StoredGroup] {
        try await read { db in try Self.groups(db, orgID: org.id, lookup: lookup) }
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

    static func groups(_ db: Database, orgID: Int64, lookup: GroupLookup) throws -> [StoredGroup] {
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
        let members = try members(db, groupIDs: lookup == .all ? nil : rows.map { $0["id"] }, orgID: orgID)
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

    public func createGroup(org: Org, draft: GroupDraft, actor: String) async throws -> StoredGroup {
        try await write { db in
            let org = try Self.org(db, named: org.name)
            let id = UUID().uuidString.lowercased()
            try Self.checkGroupUniqueness(db, org: org, draft: draft, selfID: "")
            let members = try Self.validateMembers(db, org: org, ids: draft.memberIDs)
            let gid = try Allocator.allocateGID(db, org: org)
            let now = Clock.now()
            try db.execute(
                sql: """
                    INSERT INTO scimGroup (id, orgID, displayName, displayNameKey, externalID, document, posixName,
                        gid, version, createdAt, modifiedAt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)
                    """,
                arguments: [id, org.id, draft.displayName, draft.displayName.lowercased(), draft.externalID,
                            draft.document, draft.posixName, gid, now, now])
            for member in members {
                try db.execute(sql: "INSERT INTO membership (groupID, userID) VALUES (?, ?)", arguments: [id, member])
            }
            try Self.bumpSerial(db, orgID: org.id)
            try Audit.record(db, orgID: org.id, actor: actor, method: "POST", resource: "Groups/\(id)",
                             outcome: "201 created \(draft.displayName) (\(members.count) members)")
            return try Self.group(db, orgID: org.id, id: id)
        }
    }

    /// Replaces a group with what `transform` makes of the current one (PUT and PATCH) in one
    /// serialised write transaction: parallel PATCHes from Okta never lose a member change, and
    /// a refused member leaves the group exactly as it was.
    public func updateGroup(
        org: Org, id: String, ifMatch: String?, actor: String, method: String,
        transform: @escaping @Sendable (StoredGroup) throws -> GroupDraft
    ) async throws -> StoredGroup {
        try await write { db in
            let org = try Self.org(db, named: org.name)
            let current = try Self.group(db, orgID: org.id, id: id)
            try Precondition.check(ifMatch, current: current.etag)
            let draft = try transform(current)
            try Self.checkGroupUniqueness(db, org: org, draft: draft, selfID: id)
            let members = try Self.validateMembers(db, org: org, ids: draft.memberIDs)
            let before = Set(current.members.map(\.id))
            let after = Set(members)
            let same = before == after && draft.displayName == current.displayName
                && draft.externalID == current.externalID && draft.document == current.document
                && draft.posixName == current.posixName
            if same { return current }
            try db.execute(
                sql: """
                    UPDATE scimGroup SET displayName = ?, displayNameKey = ?, externalID = ?, document = ?, posixName = ?,
                        version = version + 1, modifiedAt = ? WHERE id = ?
                    """,
                arguments: [draft.displayName, draft.displayName.lowercased(), draft.externalID, draft.document,
                            draft.posixName, Clock.now(), id])
            for removed in before.subtracting(after) {
                try db.execute(sql: "DELETE FROM membership WHERE groupID = ? AND userID = ?", arguments: [id, removed])
            }
            for added in members where !before.contains(added) {
                try db.execute(sql: "INSERT INTO membership (groupID, userID) VALUES (?, ?)", arguments: [id, added])
            }
            try Self.bumpSerial(db, orgID: org.id)
            try Audit.record(db, orgID: org.id, actor: actor, method: method, resource: "Groups/\(id)",
                             outcome: "200 updated \(draft.displayName) (+\(after.subtracting(before).count) -\(before.subtracting(after).count) members)")
            return try Self.group(db, orgID: org.id, id: id)
        }
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

    /// Flat groups only: every member must be a user of this org. A group id or an unknown id is
    /// refused with a message naming it, and nothing changes. Duplicates collapse.
    static func validateMembers(_ db: Database, org: Org, ids: [String]) throws -> [String] {
        var seen = Set<String>()
        var result: [String] = []
        for id in ids where seen.insert(id).inserted {
            if try Int.fetchOne(db, sql: "SELECT 1 FROM scimUser WHERE orgID = ? AND id = ?", arguments: [org.id, id]) != nil {
                result.append(id)
            } else if let name = try String.fetchOne(
                db, sql: "SELECT displayName FROM scimGroup WHERE orgID = ? AND id = ?", arguments: [org.id, id]) {
                throw StoreError.invalidValue("member \"\(id)\" is the group \"\(name)\": nested groups are not supported; push only flat groups")
            } else {
                throw StoreError.invalidValue("member \"\(id)\" is not a user of this org")
            }
        }
        return result
    }
}
