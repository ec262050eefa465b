import Foundation
import GRDB
import SunkModel

/// A user as the SCIM layer hands it to the store: the normalised SCIM document plus the
/// CoreWeave attributes already validated by `SunkModel.PosixRules` under the org's policy.
/// `nil` means "the IdP did not send it"; the store fills in defaults and allocations.
public struct UserDraft: Sendable, Equatable {
    public var userName: String
    public var externalID: String?
    public var active: Bool
    /// The normalised SCIM document (no id, meta, groups or password), serialised JSON.
    public var document: String
    /// GECOS text derived from displayName/name, already sanitised.
    public var gecos: String
    public var posixName: String?
    /// The POSIX name derived from userName, used when `posixName` is nil.
    public var derivedName: String?
    public var uid: UInt32?
    public var gid: UInt32?
    public var home: String?
    public var shell: String?
    /// Canonical one-line renderings of the validated keys.
    public var keys: [String]

    public init(userName: String, externalID: String?, active: Bool, document: String, gecos: String,
                posixName: String?, derivedName: String?, uid: UInt32?, gid: UInt32?, home: String?,
                shell: String?, keys: [String]) {
        self.userName = userName; self.externalID = externalID; self.active = active
        self.document = document; self.gecos = gecos; self.posixName = posixName
        self.derivedName = derivedName; self.uid = uid; self.gid = gid; self.home = home
        self.shell = shell; self.keys = keys
    }
}

/// A stored user with every POSIX field resolved.
public struct StoredUser: Sendable, Equatable {
    public var id: String
    public var userName: String
    public var externalID: String?
    public var active: Bool
    public var document: String
    public var gecos: String
    public var explicitName: String?
    /// The effective POSIX name; nil when the user cannot be exported (see `exportProblem`).
    public var posixName: String?
    public var explicitUID: UInt32?
    public var uid: UInt32
    public var uidAllocated: Bool
    public var explicitGID: UInt32?
    public var gid: UInt32
    public var explicitHome: String?
    public var home: String?
    public var explicitShell: String?
    public var shell: String
    public var keys: [String]
    public var exportProblem: String?
    public var version: Int64
    public var createdAt: String
    public var modifiedAt: String
    /// Groups this user belongs to: (group id, displayName), computed from memberships.
    public var groups: [GroupRef]

    /// The weak ETag of this version.
    public var etag: String { "W/\"\(version)\"" }
}

/// A reference from a user to a group it belongs to.
public struct GroupRef: Sendable, Equatable {
    public var id: String
    public var displayName: String
}

extension StoredUser {
    init(row: Row, groups: [GroupRef]) throws {
        id = row["id"]
        userName = row["userName"]
        externalID = row["externalID"]
        active = row["active"]
        document = row["document"]
        gecos = row["gecos"]
        explicitName = row["explicitName"]
        posixName = row["posixName"]
        explicitUID = (row["explicitUID"] as Int64?).map { UInt32($0) }
        uid = UInt32(row["uid"] as Int64)
        uidAllocated = explicitUID == nil
        explicitGID = (row["explicitGID"] as Int64?).map { UInt32($0) }
        gid = UInt32(row["gid"] as Int64)
        explicitHome = row["explicitHome"]
        home = row["home"]
        explicitShell = row["explicitShell"]
        shell = row["shell"]
        keys = try JSONDecoder().decode([String].self, from: Data((row["keys"] as String).utf8))
        exportProblem = row["exportProblem"]
        version = row["version"]
        createdAt = row["createdAt"]
        modifiedAt = row["modifiedAt"]
        self.groups = groups
    }
}

/// How to order and slice a listing. SCIM's `startIndex` is 1-based.
public struct Page: Sendable, Equatable {
    public var startIndex: Int
    public var count: Int
    public init(startIndex: Int, count: Int) { self.startIndex = max(1, startIndex); self.count = max(0, count) }
}

/// Columns a listing can be narrowed by with an index (`userName eq "x"` from Okta's existence check).
public enum UserLookup: Sendable, Equatable {
    case all
    case userName(String)
    case externalID(String)
    case id(String)
}

extension SunkDatabase {
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
            let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM scimUser WHERE orgID = ?",
                                         arguments: [org.id]) ?? 0
            let rows = try Row.fetchAll(
                db, sql: "SELECT * FROM scimUser WHERE orgID = ? ORDER BY rowid LIMIT ? OFFSET ?",
                arguments: [org.id, page.count, page.startIndex - 1])
            let groups = try Self.groupRefs(db, userIDs: rows.map { $0["id"] })
            return (total, try rows.map { try StoredUser(row: $0, groups: groups[$0["id"] as String] ?? []) })
        }
    }

    static func user(_ db: Database, orgID: Int64, id: String) throws -> StoredUser {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM scimUser WHERE orgID = ? AND id = ?",
                                         arguments: [orgID, id])
        else { throw StoreError.notFound("user \(id)") }
        let groups = try groupRefs(db, userIDs: [id])
        return try StoredUser(row: row, groups: groups[id] ?? [])
    }

    static func users(_ db: Database, orgID: Int64, lookup: UserLookup) throws -> [StoredUser] {
        var sql = "SELECT * FROM scimUser WHERE orgID = ?"
        var arguments: StatementArguments = [orgID]
        switch lookup {
        case .all: break
        case .userName(let name): sql += " AND userNameKey = ?"; arguments += [UserKey.fold(name)]
        case .externalID(let value): sql += " AND externalID = ?"; arguments += [value]
        case .id(let value): sql += " AND id = ?"; arguments += [value]
        }
        sql += " ORDER BY rowid"
        let rows = try Row.fetchAll(db, sql: sql, arguments: arguments)
        let groups = try groupRefs(db, userIDs: lookup == .all ? nil : rows.map { $0["id"] })
        return try rows.map { try StoredUser(row: $0, groups: groups[$0["id"] as String] ?? []) }
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
            rows = try Row.fetchAll(db, sql: base + " WHERE membership.userID IN (\(marks)) ORDER BY scimGroup.displayNameKey",
                                    arguments: StatementArguments(userIDs))
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
        try await write { db in
            let org = try Self.org(db, named: org.name)
            let id = UUID().uuidString.lowercased()
            let resolved = try UserResolver.resolve(db, org: org, draft: draft, existing: nil)
            let now = Clock.now()
            try db.execute(
                sql: """
                    INSERT INTO scimUser (id, orgID, userName, userNameKey, externalID, active, document, gecos,
                        explicitName, posixName, explicitUID, allocatedUID, uid, explicitGID, gid, explicitHome, home,
                        explicitShell, shell, keys, exportProblem, version, createdAt, modifiedAt)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)
                    """,
                arguments: [id, org.id] + resolved.arguments + [now, now])
            try Self.bumpSerial(db, orgID: org.id)
            try Audit.record(db, orgID: org.id, actor: actor, method: "POST", resource: "Users/\(id)",
                             outcome: "201 created \(draft.userName)")
            return try Self.user(db, orgID: org.id, id: id)
        }
    }

    /// Replaces a user with what `transform` makes of the current one (PUT and PATCH).
    /// `transform` (the PATCH engine and every validation rule) runs before the write transaction
    /// is opened, on the user as read; the write transaction then re-checks that the user's
    /// version is still that one (else it computes again, up to three times, and then once more
    /// inside the transaction), so concurrent updates never lose each other's changes and the
    /// write lock is held only for the uniqueness checks and the row update. `ifMatch` is
    /// compared with the current ETag. An update that changes nothing writes nothing.
    public func updateUser(
        org: Org, id: String, ifMatch: String?, actor: String, method: String,
        transform: @escaping @Sendable (StoredUser) throws -> UserDraft
    ) async throws -> StoredUser {
        for _ in 0..<3 {
            let (current, draft) = try await read { db in
                let current = try Self.user(db, orgID: org.id, id: id)
                try Precondition.check(ifMatch, current: current.etag)
                return (current, try transform(current))
            }
            let stored = try await write { db -> StoredUser? in
                let now = try Self.user(db, orgID: org.id, id: id)
                guard now.version == current.version else { return nil }
                return try Self.store(draft, over: now, db: db, orgName: org.name, actor: actor, method: method)
            }
            if let stored { return stored }
        }
        return try await write { db in
            let current = try Self.user(db, orgID: org.id, id: id)
            try Precondition.check(ifMatch, current: current.etag)
            return try Self.store(try transform(current), over: current, db: db, orgName: org.name, actor: actor,
                                  method: method)
        }
    }

    /// Writes `draft` over `current` (the stored version) in the open write transaction.
    static func store(_ draft: UserDraft, over current: StoredUser, db: Database, orgName: String, actor: String,
                      method: String) throws -> StoredUser {
        let org = try Self.org(db, named: orgName)
        let id = current.id
        let resolved = try UserResolver.resolve(db, org: org, draft: draft, existing: current)
        let unchanged = try Row.fetchOne(
            db,
            sql: """
                SELECT 1 FROM scimUser WHERE id = ? AND userName IS ? AND userNameKey IS ? AND externalID IS ?
                  AND active IS ? AND document IS ? AND gecos IS ? AND explicitName IS ? AND posixName IS ?
                  AND explicitUID IS ? AND allocatedUID IS ? AND uid IS ? AND explicitGID IS ? AND gid IS ?
                  AND explicitHome IS ? AND home IS ? AND explicitShell IS ? AND shell IS ? AND keys IS ?
                  AND exportProblem IS ?
                """,
            arguments: [id] + resolved.arguments) != nil
        if unchanged { return current }
        try db.execute(
            sql: """
                UPDATE scimUser SET userName = ?, userNameKey = ?, externalID = ?, active = ?, document = ?,
                    gecos = ?, explicitName = ?, posixName = ?, explicitUID = ?, allocatedUID = ?, uid = ?,
                    explicitGID = ?, gid = ?, explicitHome = ?, home = ?, explicitShell = ?, shell = ?, keys = ?,
                    exportProblem = ?, version = version + 1, modifiedAt = ?
                WHERE id = ?
                """,
            arguments: resolved.arguments + [Clock.now(), id])
        try Self.bumpSerial(db, orgID: org.id)
        try Audit.record(db, orgID: org.id, actor: actor, method: method, resource: "Users/\(id)",
                         outcome: "200 updated \(draft.userName)")
        return try Self.user(db, orgID: org.id, id: id)
    }

    /// Deletes a user and its memberships. Allocated ids are never handed out again.
    public func deleteUser(org: Org, id: String, ifMatch: String?, actor: String) async throws {
        try await write { db in
            let current = try Self.user(db, orgID: org.id, id: id)
            try Precondition.check(ifMatch, current: current.etag)
            // Groups lose a member: their version (ETag) and lastModified change too.
            try db.execute(
                sql: "UPDATE scimGroup SET version = version + 1, modifiedAt = ? WHERE id IN (SELECT groupID FROM membership WHERE userID = ?)",
                arguments: [Clock.now(), id])
            try db.execute(sql: "DELETE FROM scimUser WHERE id = ?", arguments: [id])
            try Self.bumpSerial(db, orgID: org.id)
            try Audit.record(db, orgID: org.id, actor: actor, method: "DELETE", resource: "Users/\(id)",
                             outcome: "204 deleted \(current.userName)")
        }
    }
}

/// userName is case-insensitive for uniqueness and filtering (RFC 7643 `caseExact: false`).
public enum UserKey {
    public static func fold(_ userName: String) -> String { userName.lowercased() }
}

/// `If-Match` handling (RFC 7644 §3.14): `*` matches anything; otherwise one of the listed
/// ETags must equal the current one (weak comparison).
enum Precondition {
    static func check(_ ifMatch: String?, current: String) throws {
        guard let ifMatch, !ifMatch.trimmingCharacters(in: .whitespaces).isEmpty else { return }
        let wanted = ifMatch.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        if wanted.contains("*") { return }
        func opaque(_ tag: String) -> String { tag.hasPrefix("W/") ? String(tag.dropFirst(2)) : tag }
        if !wanted.contains(where: { opaque($0) == opaque(current) }) {
            throw StoreError.preconditionFailed("If-Match \(ifMatch) does not match the current version \(current)")
        }
    }
}
