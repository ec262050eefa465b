import Foundation
import PostgresNIO
import SunkModel
import SunkStore

extension PostgresStore {
    static func storedUser(_ row: PostgresRandomAccessRow, groups: [GroupRef]) throws -> StoredUser {
        try StoredUser(id: row.get("id"), resolved: resolvedUser(row), version: row.get("version"),
                       createdAt: row.get("createdat"), modifiedAt: row.get("modifiedat"), groups: groups)
    }

    /// The stored columns of a user row (what an update compares to find "nothing changed").
    static func resolvedUser(_ row: PostgresRandomAccessRow) throws -> ResolvedUser {
        try ResolvedUser(
            userName: row.get("username"), externalID: row.get("externalid"), active: row.get("active"),
            document: row.get("document"), gecos: row.get("gecos"), explicitName: row.get("explicitname"),
            posixName: row.get("posixname"), explicitUID: row.get("explicituid"),
            allocatedUID: row.get("allocateduid"), uid: row.get("uid"), explicitGID: row.get("explicitgid"),
            gid: row.get("gid"), explicitHome: row.get("explicithome"), home: row.get("home"),
            explicitShell: row.get("explicitshell"), shell: row.get("shell"), keys: row.get("keys"),
            exportProblem: row.get("exportproblem"))
    }

    public func user(org: Org, id: String) async throws -> StoredUser {
        try await read { db in try await Self.user(db, orgID: org.id, id: id) }
    }

    public func users(org: Org, lookup: UserLookup) async throws -> [StoredUser] {
        try await read { db in try await Self.users(db, orgID: org.id, lookup: lookup) }
    }

    public func userPage(org: Org, page: Page) async throws -> (total: Int, users: [StoredUser]) {
        try await read { db in
            let total = try await db.row("SELECT count(*) AS n FROM scimuser WHERE orgid = \(org.id)")?
                .get("n", as: Int64.self) ?? 0
            let rows = try await db.rows("""
                SELECT * FROM scimuser WHERE orgid = \(org.id) ORDER BY seq
                LIMIT \(Int64(page.count)) OFFSET \(Int64(page.startIndex - 1))
                """)
            return (Int(total), try await Self.storedUsers(db, rows, allOf: nil))
        }
    }

    static func user(_ db: PostgresConnection, orgID: Int64, id: String) async throws -> StoredUser {
        guard let user = try await users(db, orgID: orgID, lookup: .id(id)).first else {
            throw StoreError.notFound("user \(id)")
        }
        return user
    }

    static func users(_ db: PostgresConnection, orgID: Int64, lookup: UserLookup) async throws -> [StoredUser] {
        let filter: (column: String, value: String)?
        switch lookup {
        case .all: filter = nil
        case .userName(let name): filter = ("usernamekey", UserKey.fold(name))
        case .userNamePrefix(let prefix):
            let range = UserLookup.prefixRange(prefix)
            var binds = PostgresBindings()
            binds.append(orgID)
            binds.append(range.lower)
            binds.append(range.upper)
            let rows = try await db.rows(PostgresQuery(unsafeSQL: """
                SELECT * FROM scimuser WHERE orgid = $1 AND usernamekey >= $2 AND usernamekey < $3
                ORDER BY seq LIMIT \(UserLookup.prefixLimit)
                """, binds: binds))
            return try await storedUsers(db, rows, allOf: nil)
        case .externalID(let value): filter = ("externalid", value)
        case .id(let value): filter = ("id", value)
        }
        let rows = try await db.lookup("scimuser", orgID: orgID, filter)
        return try await storedUsers(db, rows, allOf: lookup == .all ? orgID : nil)
    }

    /// The users of `rows` with their groups (read in one query: for the whole org when `allOf`
    /// names it, else for the rows' ids).
    static func storedUsers(_ db: PostgresConnection, _ rows: [PostgresRandomAccessRow], allOf orgID: Int64?)
        async throws -> [StoredUser] {
        if rows.isEmpty { return [] }
        let ids = try rows.map { try $0.get("id", as: String.self) }
        let select = """
            SELECT membership.userid, scimgroup.id, scimgroup.displayname FROM membership
            JOIN scimgroup ON scimgroup.id = membership.groupid
            """
        var binds = PostgresBindings()
        let filter: String
        if let orgID {
            binds.append(orgID)
            filter = "scimgroup.orgid = $1"
        } else {
            binds.append(ids)
            filter = "membership.userid = ANY($1)"
        }
        let refs = try await db.rows(PostgresQuery(
            unsafeSQL: select + " WHERE " + filter + " ORDER BY scimgroup.displaynamekey", binds: binds))
        var groups: [String: [GroupRef]] = [:]
        for row in refs {
            groups[try row.get("userid"), default: []].append(
                GroupRef(id: try row.get("id"), displayName: try row.get("displayname")))
        }
        return try rows.map { row in try storedUser(row, groups: groups[try row.get("id", as: String.self)] ?? []) }
    }

    public func createUser(org: Org, draft: UserDraft, actor: String) async throws -> StoredUser {
        try await mutate(org: org.name, actor: actor, method: "POST") { mutation in
            let id = UUID().uuidString.lowercased()
            let now = StoreClock.now()
            let resolved = try await Self.resolve(draft, existing: nil, mutation.db, org: mutation.org)
            try await Self.write(resolved, id: id, version: 1, createdAt: now, modifiedAt: now, orgID: mutation.org.id,
                                 mutation.db, insert: true)
            mutation.changed(AuditOutcome.userResource(id), outcome: AuditOutcome.userCreated(draft.userName))
            return try await Self.user(mutation.db, orgID: mutation.org.id, id: id)
        }
    }

    /// As `SQLiteStore.updateUser`: `transform` runs on the user as read, outside the org's lock.
    public func updateUser(org: Org, id: String, ifMatch: String?, actor: String, method: String,
                           transform: @escaping @Sendable (StoredUser) throws -> UserDraft) async throws -> StoredUser {
        try await optimisticUpdate(
            org: org.name, actor: actor, method: method,
            plan: { db in
                let current = try await Self.user(db, orgID: org.id, id: id)
                try Precondition.check(ifMatch, current: current.etag)
                return (current.version, try transform(current))
            },
            version: { db in try await Self.user(db, orgID: org.id, id: id).version },
            apply: { mutation, draft in
                let current = try await Self.user(mutation.db, orgID: mutation.org.id, id: id)
                let resolved = try await Self.resolve(draft, existing: current, mutation.db, org: mutation.org)
                guard let stored = try await mutation.db.row("SELECT * FROM scimuser WHERE id = \(id)") else {
                    throw StoreError.notFound("user \(id)")
                }
                if try Self.resolvedUser(stored) == resolved { return current }
                try await Self.write(resolved, id: id, version: current.version + 1, createdAt: current.createdAt,
                                     modifiedAt: StoreClock.now(), orgID: mutation.org.id, mutation.db, insert: false)
                mutation.changed(AuditOutcome.userResource(id), outcome: AuditOutcome.userUpdated(draft.userName))
                return try await Self.user(mutation.db, orgID: mutation.org.id, id: id)
            })
    }

    public func deleteUser(org: Org, id: String, ifMatch: String?, actor: String) async throws {
        try await mutate(org: org.name, actor: actor, method: "DELETE") { mutation in
            let db = mutation.db
            let current = try await Self.user(db, orgID: mutation.org.id, id: id)
            try mutation.require(ifMatch, matches: current.etag)
            // Groups lose a member: their version (ETag) and lastModified change too.
            try await db.exec("""
                UPDATE scimgroup SET version = version + 1, modifiedat = \(StoreClock.now())
                WHERE id IN (SELECT groupid FROM membership WHERE userid = \(id))
                """)
            try await db.exec("DELETE FROM scimuser WHERE id = \(id)")
            mutation.changed(AuditOutcome.userResource(id), outcome: AuditOutcome.userDeleted(current.userName))
        }
    }

    /// The shared user rules over answers read from this database (see `PostgresUserAnswers`);
    /// a newly allocated uid moves the org's cursor past it.
    static func resolve(_ draft: UserDraft, existing: StoredUser?, _ db: PostgresConnection, org: Org)
        async throws -> ResolvedUser {
        let answers = try await PostgresUserAnswers.read(db, org: org, draft: draft, existing: existing)
        let resolved = try UserResolver.resolve(answers, org: org, draft: draft, existing: existing)
        if let uid = answers.handedOut {
            try await db.exec("UPDATE org SET nextuid = \(uid + 1) WHERE id = \(org.id)")
        }
        return resolved
    }

    static func write(_ user: ResolvedUser, id: String, version: Int64, createdAt: String, modifiedAt: String,
                      orgID: Int64, _ db: PostgresConnection, insert: Bool) async throws {
        if insert {
            try await db.exec("""
                INSERT INTO scimuser (id, orgid, username, usernamekey, externalid, active, document, gecos,
                    explicitname, posixname, explicituid, allocateduid, uid, explicitgid, gid, explicithome, home,
                    explicitshell, shell, keys, exportproblem, version, createdat, modifiedat)
                VALUES (\(id), \(orgID), \(user.userName), \(UserKey.fold(user.userName)), \(user.externalID),
                    \(user.active), \(user.document), \(user.gecos), \(user.explicitName), \(user.posixName),
                    \(user.explicitUID), \(user.allocatedUID), \(user.uid), \(user.explicitGID), \(user.gid),
                    \(user.explicitHome), \(user.home), \(user.explicitShell), \(user.shell), \(user.keys),
                    \(user.exportProblem), \(version), \(createdAt), \(modifiedAt))
                """)
        } else {
            try await db.exec("""
                UPDATE scimuser SET username = \(user.userName), usernamekey = \(UserKey.fold(user.userName)),
                    externalid = \(user.externalID), active = \(user.active), document = \(user.document),
                    gecos = \(user.gecos), explicitname = \(user.explicitName), posixname = \(user.posixName),
                    explicituid = \(user.explicitUID), allocateduid = \(user.allocatedUID), uid = \(user.uid),
                    explicitgid = \(user.explicitGID), gid = \(user.gid), explicithome = \(user.explicitHome),
                    home = \(user.home), explicitshell = \(user.explicitShell), shell = \(user.shell),
                    keys = \(user.keys), exportproblem = \(user.exportProblem), version = \(version),
                    modifiedat = \(modifiedAt)
                WHERE id = \(id)
                """)
        }
    }
}
