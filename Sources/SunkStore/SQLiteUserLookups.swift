import GRDB
import SunkModel

/// `UserLookups` for the SQLite engine: indexed queries in the open write transaction, each a
/// statement the connection keeps prepared (every create and update asks them).
struct SQLiteUserLookups: UserLookups {
    let db: Database
    let org: Org

    func userNameHolder(key: String, except selfID: String) throws -> String? {
        try holder(where: "userNameKey", is: key, except: selfID)
    }

    func posixNameHolder(_ name: String, except selfID: String) throws -> String? {
        try holder(where: "posixName", is: name, except: selfID)
    }

    func uidHolder(_ uid: Int64, except selfID: String) throws -> String? {
        try holder(where: "uid", is: uid, except: selfID)
    }

    /// Uses the (orgID, home) index: ancestors by equality, descendants by a range scan.
    func homeHolder(_ home: String, except selfID: String) throws -> String? {
        let candidates = [home] + PosixRules.ancestors(of: home)
        let marks = Array(repeating: "?", count: candidates.count).joined(separator: ",")
        let sql = "SELECT userName FROM scimUser WHERE orgID = ? AND home IN (\(marks)) AND id != ?"
        // Kept prepared for the usual depths only: a prepared statement per depth is not unbounded.
        let statement = candidates.count <= 8 ? try db.cachedStatement(sql: sql) : try db.makeStatement(sql: sql)
        if let holder = try String.fetchOne(statement, arguments: [org.id] + StatementArguments(candidates) + [selfID]) {
            return holder
        }
        // "/home/ada/" < descendants < "/home/ada0" ('0' follows '/').
        return try String.fetchOne(
            db.cachedStatement(sql: "SELECT userName FROM scimUser WHERE orgID = ? AND home > ? AND home < ? AND id != ? LIMIT 1"),
            arguments: [org.id, home + "/", home + "0", selfID])
    }

    private func holder(where column: String, is value: some DatabaseValueConvertible, except selfID: String) throws -> String? {
        try PreparedLookups.holder(db, table: UserRecord.databaseTableName, answer: "userName", orgID: org.id,
                                   where: column, is: value, except: selfID)
    }

    func allocatedUID(of id: String) throws -> Int64? {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT allocatedUID FROM scimUser WHERE id = ?"), arguments: [id])
    }

    func allocateUID() throws -> Int64 { try Allocator.allocateUID(db, org: org) }
}

/// The SQLite side of `IDAllocation`: the cursors in `org` and what is taken.
enum Allocator {
    static func allocateUID(_ db: Database, org: Org) throws -> Int64 {
        let cursor = try Int64.fetchOne(db.cachedStatement(sql: "SELECT nextUID FROM org WHERE id = ?"), arguments: [org.id])
        let uid = try IDAllocation.next(kind: .uid, policy: org.policy, cursor: cursor) { next in
            // A group's gid is skipped too: the user's primary gid defaults to its uid.
            try Int64.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM scimUser WHERE orgID = ? AND uid = ?"),
                               arguments: [org.id, next]) != nil
                || Int64.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM scimGroup WHERE orgID = ? AND gid = ?"),
                                  arguments: [org.id, next]) != nil
        }
        try db.cachedStatement(sql: "UPDATE org SET nextUID = ? WHERE id = ?").execute(arguments: [uid + 1, org.id])
        return uid
    }

    static func allocateGID(_ db: Database, org: Org) throws -> Int64 {
        let cursor = try OrgRecord.fetchOne(db, key: org.id)?.nextGID
        let gid = try IDAllocation.next(kind: .gid, policy: org.policy, cursor: cursor) { next in
            // gid integrity: never a gid any user has as primary gid, nor any user's uid (a user's
            // primary gid defaults to its uid, and an IdP may set that uid later... or already did).
            try Int64.fetchOne(db, sql: "SELECT 1 FROM scimGroup WHERE orgID = ? AND gid = ?",
                               arguments: [org.id, next]) != nil
                || Int64.fetchOne(db, sql: "SELECT 1 FROM scimUser WHERE orgID = ? AND (gid = ? OR uid = ?) LIMIT 1",
                                  arguments: [org.id, next, next]) != nil
        }
        try OrgRecord.filter(key: org.id).updateAll(db, OrgRecord.Columns.nextGID.set(to: gid + 1))
        return gid
    }
}
