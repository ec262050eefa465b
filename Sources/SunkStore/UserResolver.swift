import Foundation
import GRDB
import SunkModel

/// Turns a validated draft into stored columns: checks every uniqueness rule against the rest
/// of the org, fills in defaults (derived name, home `PREFIX/NAME`, default shell, gid = uid)
/// and allocates a uid when the IdP sent none. Runs inside the write transaction.
struct ResolvedUser {
    var userName: String
    var externalID: String?
    var active: Bool
    var document: String
    var gecos: String
    var explicitName: String?
    var posixName: String?
    var explicitUID: Int64?
    var allocatedUID: Int64?
    var uid: Int64
    var explicitGID: Int64?
    var gid: Int64
    var explicitHome: String?
    var home: String?
    var explicitShell: String?
    var shell: String
    var keys: String
    var exportProblem: String?

    /// The row to store, with its identity, version and timestamps.
    func record(id: String, orgID: Int64, version: Int64, createdAt: String, modifiedAt: String) -> UserRecord {
        UserRecord(id: id, orgID: orgID, userName: userName, userNameKey: UserKey.fold(userName),
                   externalID: externalID, active: active, document: document, gecos: gecos,
                   explicitName: explicitName, posixName: posixName, explicitUID: explicitUID,
                   allocatedUID: allocatedUID, uid: uid, explicitGID: explicitGID, gid: gid,
                   explicitHome: explicitHome, home: home, explicitShell: explicitShell, shell: shell,
                   keys: keys, exportProblem: exportProblem, version: version, createdAt: createdAt,
                   modifiedAt: modifiedAt)
    }
}

enum UserResolver {
    static func resolve(_ db: Database, org: Org, draft: UserDraft, existing: StoredUser?) throws -> ResolvedUser {
        let selfID = existing?.id ?? ""
        let policy = org.policy

        if let other = try String.fetchOne(
            db, sql: "SELECT userName FROM scimUser WHERE orgID = ? AND userNameKey = ? AND id != ?",
            arguments: [org.id, UserKey.fold(draft.userName), selfID]) {
            throw StoreError.uniqueness("userName \"\(draft.userName)\" is already used (by \"\(other)\"); userName is case-insensitive")
        }

        var problem: String?
        // POSIX name: explicit names must be free; a derived name that is taken makes the user
        // stored-but-not-exported, because the IdP never asked for it.
        var posixName: String?
        if let explicit = draft.posixName {
            if let holder = try holderOfName(db, org: org, name: explicit, selfID: selfID) {
                throw StoreError.uniqueness("sunkPosixUsername \"\(explicit)\" is already used by user \"\(holder)\"")
            }
            posixName = explicit
        } else if let derived = draft.derivedName {
            if let holder = try holderOfName(db, org: org, name: derived, selfID: selfID) {
                problem = "the POSIX name \"\(derived)\" derived from userName is already used by \"\(holder)\"; set sunkPosixUsername"
            } else {
                posixName = derived
            }
        } else {
            problem = "no sunkPosixUsername, and the part of userName before '@' is not a valid POSIX name; set sunkPosixUsername"
        }

        // uid: explicit must be free; otherwise keep the one allocated before, or allocate.
        var allocatedUID = try UserRecord.fetchOne(db, key: selfID)?.allocatedUID
        let uid: Int64
        if let explicit = draft.uid {
            uid = Int64(explicit)
            if let holder = try String.fetchOne(
                db, sql: "SELECT userName FROM scimUser WHERE orgID = ? AND uid = ? AND id != ?",
                arguments: [org.id, uid, selfID]) {
                throw StoreError.uniqueness("sunkPosixUserId \(explicit) is already used by user \"\(holder)\"")
            }
        } else {
            if allocatedUID == nil { allocatedUID = try Allocator.allocateUID(db, org: org) }
            uid = allocatedUID!
        }
        let gid = draft.gid.map(Int64.init) ?? uid

        // Home: explicit homes must not equal or nest with another user's home.
        var home: String?
        if let explicit = draft.home {
            if let holder = try holderOfHome(db, org: org, home: explicit, selfID: selfID) {
                throw StoreError.uniqueness("sunkPreferredHomeDirectory \"\(explicit)\" equals or nests with the home of user \"\(holder)\"")
            }
            home = explicit
        } else if let name = posixName, let prefix = policy.homePrefixes.first {
            let derived = (prefix.hasSuffix("/") ? prefix : prefix + "/") + name
            if let holder = try holderOfHome(db, org: org, home: derived, selfID: selfID) {
                problem = "the default home \"\(derived)\" equals or nests with the home of \"\(holder)\"; set sunkPreferredHomeDirectory"
            } else {
                home = derived
            }
        }
        if problem != nil { posixName = nil; home = nil }

        let keysJSON = String(decoding: try JSONEncoder().encode(draft.keys), as: UTF8.self)
        return ResolvedUser(
            userName: draft.userName, externalID: draft.externalID, active: draft.active,
            document: draft.document, gecos: draft.gecos, explicitName: draft.posixName, posixName: posixName,
            explicitUID: draft.uid.map(Int64.init), allocatedUID: allocatedUID, uid: uid,
            explicitGID: draft.gid.map(Int64.init), gid: gid, explicitHome: draft.home, home: home,
            explicitShell: draft.shell, shell: draft.shell ?? policy.defaultShell, keys: keysJSON,
            exportProblem: problem)
    }

    static func holderOfName(_ db: Database, org: Org, name: String, selfID: String) throws -> String? {
        try String.fetchOne(
            db, sql: "SELECT userName FROM scimUser WHERE orgID = ? AND posixName = ? AND id != ?",
            arguments: [org.id, name, selfID])
    }

    /// Another user whose home equals `home`, is an ancestor of it, or lies below it. Uses the
    /// (orgID, home) index: ancestors by equality, descendants by a range scan.
    static func holderOfHome(_ db: Database, org: Org, home: String, selfID: String) throws -> String? {
        var ancestors: [String] = []
        var path = Substring(home)
        while let slash = path.lastIndex(of: "/"), slash != path.startIndex {
            path = path[..<slash]
            ancestors.append(String(path))
        }
        let candidates = [home] + ancestors
        let marks = Array(repeating: "?", count: candidates.count).joined(separator: ",")
        if let holder = try String.fetchOne(
            db, sql: "SELECT userName FROM scimUser WHERE orgID = ? AND home IN (\(marks)) AND id != ?",
            arguments: [org.id] + StatementArguments(candidates) + [selfID]) {
            return holder
        }
        // "/home/ada/" < descendants < "/home/ada0" ('0' follows '/').
        return try String.fetchOne(
            db, sql: "SELECT userName FROM scimUser WHERE orgID = ? AND home > ? AND home < ? AND id != ? LIMIT 1",
            arguments: [org.id, home + "/", home + "0", selfID])
    }
}

/// Id allocation: a per-org cursor that only moves forward, so an id handed out once is never
/// handed out again, even after its user is deleted. Ids the IdP chose are skipped, and so are ids
/// that would make a user and a group share a gid (gid integrity).
enum Allocator {
    static func allocateUID(_ db: Database, org: Org) throws -> Int64 {
        let range = org.policy.allocatedUserIDRange
        let cursor = try OrgRecord.fetchOne(db, key: org.id)?.nextUID
        var next = max(cursor ?? Int64(range.lower), Int64(range.lower))
        while next <= Int64(range.upper) {
            let usable = (try? PosixRules.userID(.integer(next), policy: org.policy)) != nil
            // A group's gid is skipped too: the user's primary gid defaults to its uid.
            let taken = try Int64.fetchOne(db, sql: "SELECT 1 FROM scimUser WHERE orgID = ? AND uid = ?",
                                           arguments: [org.id, next]) != nil
                || Int64.fetchOne(db, sql: "SELECT 1 FROM scimGroup WHERE orgID = ? AND gid = ?",
                                  arguments: [org.id, next]) != nil
            if usable && !taken {
                try OrgRecord.filter(key: org.id).updateAll(db, OrgRecord.Columns.nextUID.set(to: next + 1))
                return next
            }
            next += 1
        }
        throw StoreError.exhausted("the uid allocation range \(range.lower)–\(range.upper) is used up; widen allocatedUserIDRange")
    }

    static func allocateGID(_ db: Database, org: Org) throws -> Int64 {
        let range = org.policy.allocatedGroupIDRange
        let cursor = try OrgRecord.fetchOne(db, key: org.id)?.nextGID
        var next = max(cursor ?? Int64(range.lower), Int64(range.lower))
        while next <= Int64(range.upper) {
            let usable = (try? PosixRules.groupID(.integer(next), policy: org.policy)) != nil
            // gid integrity: never a gid any user has as primary gid, nor any user's uid (a user's
            // primary gid defaults to its uid, and an IdP may set that uid later... or already did).
            let taken = try Int64.fetchOne(db, sql: "SELECT 1 FROM scimGroup WHERE orgID = ? AND gid = ?",
                                           arguments: [org.id, next]) != nil
                || Int64.fetchOne(db, sql: "SELECT 1 FROM scimUser WHERE orgID = ? AND (gid = ? OR uid = ?) LIMIT 1",
                                  arguments: [org.id, next, next]) != nil
            if usable && !taken {
                try OrgRecord.filter(key: org.id).updateAll(db, OrgRecord.Columns.nextGID.set(to: next + 1))
                return next
            }
            next += 1
        }
        throw StoreError.exhausted("the gid allocation range \(range.lower)–\(range.upper) is used up; widen allocatedGroupIDRange")
    }
}
