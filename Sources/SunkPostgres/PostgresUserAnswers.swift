import Foundation
import PostgresNIO
import SunkModel
import SunkStore

/// `UserLookups` for PostgreSQL. The shared `UserResolver` asks its questions synchronously, and
/// this engine answers asynchronously, so every question the resolver can ask about a draft is
/// read first (in the mutation's transaction, under the org's lock, so the answers stay true
/// until it commits) and answered from here. The candidates are few and fixed by the draft:
/// its userName, its explicit and derived POSIX names, its explicit uid, its explicit home and
/// the default homes of either name. A question outside them is a bug, refused loudly.
final class PostgresUserAnswers: UserLookups, @unchecked Sendable {
    // Each table maps a question to its answer; `.some(nil)` is "asked: nobody holds it" (set
    // with updateValue: assigning nil through the subscript would remove the question).
    private var userNames: [String: String?] = [:]
    private var posixNames: [String: String?] = [:]
    private var uids: [Int64: String?] = [:]
    private var homes: [String: String?] = [:]
    private var previousUID: Int64?
    private var nextUID: Int64?
    /// The uid `allocateUID` handed out, if the resolver asked for one (the cursor moves past it).
    private(set) var handedOut: Int64?

    static func read(_ db: PostgresConnection, org: Org, draft: UserDraft, existing: StoredUser?) async throws
        -> PostgresUserAnswers {
        let answers = PostgresUserAnswers()
        let selfID = existing?.id ?? ""
        func holder(_ condition: String, _ value: some PostgresDynamicTypeEncodable) async throws -> String? {
            var binds = PostgresBindings()
            binds.append(org.id)
            binds.append(selfID)
            binds.append(value)
            return try await db.row(PostgresQuery(
                unsafeSQL: "SELECT username FROM scimuser WHERE orgid = $1 AND id <> $2 AND \(condition) LIMIT 1",
                binds: binds))?.get("username")
        }
        let key = UserKey.fold(draft.userName)
        answers.userNames.updateValue(try await holder("usernamekey = $3", key), forKey: key)
        let names = [draft.posixName, draft.derivedName].compactMap { $0 }
        for name in names { answers.posixNames.updateValue(try await holder("posixname = $3", name), forKey: name) }
        if let uid = draft.uid { answers.uids.updateValue(try await holder("uid = $3", Int64(uid)), forKey: Int64(uid)) }
        let homes = [draft.home].compactMap { $0 } + names.compactMap { UserResolver.defaultHome(name: $0, policy: org.policy) }
        for home in homes {
            // Equal, an ancestor (by equality) or a descendant ("/home/ada/" < d < "/home/ada0", byte order).
            answers.homes.updateValue(try await holder("home = ANY($3)", [home] + PosixRules.ancestors(of: home)), forKey: home)
            if answers.homes[home] == .some(nil) {
                var binds = PostgresBindings()
                binds.append(org.id)
                binds.append(selfID)
                binds.append(home + "/")
                binds.append(home + "0")
                answers.homes.updateValue(try await db.row(PostgresQuery(unsafeSQL: """
                    SELECT username FROM scimuser WHERE orgid = $1 AND id <> $2 AND home > $3 AND home < $4 LIMIT 1
                    """, binds: binds))?.get("username", as: String.self), forKey: home)
            }
        }
        if !selfID.isEmpty {
            answers.previousUID = try await db.row("SELECT allocateduid FROM scimuser WHERE id = \(selfID)")?
                .get("allocateduid", as: Int64?.self)
        }
        if draft.uid == nil, answers.previousUID == nil {
            answers.nextUID = try await PostgresAllocator.next(.uid, db, org: org)
        }
        return answers
    }

    private func answer<Key: Hashable>(_ table: [Key: String?], _ key: Key, _ question: String) throws -> String? {
        guard let answer = table[key] else {
            throw StoreError.engine("PostgreSQL user rules asked an unprepared question (\(question))")
        }
        return answer
    }

    func userNameHolder(key: String, except selfID: String) throws -> String? {
        try answer(userNames, key, "userName")
    }

    func posixNameHolder(_ name: String, except selfID: String) throws -> String? {
        try answer(posixNames, name, "POSIX name")
    }

    func uidHolder(_ uid: Int64, except selfID: String) throws -> String? { try answer(uids, uid, "uid") }

    func homeHolder(_ home: String, except selfID: String) throws -> String? { try answer(homes, home, "home") }

    func allocatedUID(of id: String) throws -> Int64? { previousUID }

    func allocateUID() throws -> Int64 {
        guard let nextUID else { throw StoreError.engine("PostgreSQL user rules asked an unprepared uid allocation") }
        handedOut = nextUID
        return nextUID
    }
}

/// The PostgreSQL side of `IDAllocation`: the cursors in `org` and what is taken, read under the
/// org's lock. Only ids at or past the cursor can be taken (allocated ones lie below it), so the
/// set read is the few explicit ids the IdP chose there.
enum PostgresAllocator {
    static func next(_ kind: IDAllocation.Kind, _ db: PostgresConnection, org: Org) async throws -> Int64 {
        let column = kind == .uid ? "nextuid" : "nextgid"
        let cursor = try await db.row(PostgresQuery(unsafeSQL: "SELECT \(column) AS cursor FROM org WHERE id = \(org.id)"))?
            .get("cursor", as: Int64?.self)
        let range = kind == .uid ? org.policy.allocatedUserIDRange : org.policy.allocatedGroupIDRange
        let from = max(cursor ?? Int64(range.lower), Int64(range.lower))
        // uids skip group gids; gids skip every user's uid and primary gid (gid integrity).
        let takenSQL = kind == .uid
            ? "SELECT uid AS id FROM scimuser WHERE orgid = $1 AND uid >= $2 UNION SELECT gid FROM scimgroup WHERE orgid = $1 AND gid >= $2"
            : "SELECT gid AS id FROM scimgroup WHERE orgid = $1 AND gid >= $2 UNION SELECT gid FROM scimuser WHERE orgid = $1 AND gid >= $2 UNION SELECT uid FROM scimuser WHERE orgid = $1 AND uid >= $2"
        var binds = PostgresBindings()
        binds.append(org.id)
        binds.append(from)
        let taken = Set(try await db.rows(PostgresQuery(unsafeSQL: takenSQL, binds: binds)).map { try $0.get("id", as: Int64.self) })
        return try IDAllocation.next(kind: kind, policy: org.policy, cursor: cursor) { taken.contains($0) }
    }

    /// A gid for a new group; the cursor moves past it.
    static func allocateGID(_ db: PostgresConnection, org: Org) async throws -> Int64 {
        let gid = try await next(.gid, db, org: org)
        try await db.exec("UPDATE org SET nextgid = \(gid + 1) WHERE id = \(org.id)")
        return gid
    }
}
