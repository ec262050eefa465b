import Foundation
import PostgresNIO
import SunkStore

extension PostgresStore {
    static func storedGroup(_ row: PostgresRandomAccessRow, members: [MemberRef]) throws -> StoredGroup {
        try StoredGroup(id: row.get("id"), displayName: row.get("displayname"), externalID: row.get("externalid"),
                        document: row.get("document"), posixName: row.get("posixname"),
                        gid: UInt32(row.get("gid", as: Int64.self)), members: members, version: row.get("version"),
                        createdAt: row.get("createdat"), modifiedAt: row.get("modifiedat"))
    }

    public func group(org: Org, id: String, members: Bool) async throws -> StoredGroup {
        try await read { db in try await Self.group(db, orgID: org.id, id: id, members: members) }
    }

    public func groups(org: Org, lookup: GroupLookup, members: Bool) async throws -> [StoredGroup] {
        try await read { db in try await Self.groups(db, orgID: org.id, lookup: lookup, members: members) }
    }

    static func group(_ db: PostgresConnection, orgID: Int64, id: String, members: Bool = false) async throws
        -> StoredGroup {
        guard let group = try await groups(db, orgID: orgID, lookup: .id(id), members: members).first else {
            throw StoreError.notFound("group \(id)")
        }
        return group
    }

    static func groups(_ db: PostgresConnection, orgID: Int64, lookup: GroupLookup, members withMembers: Bool)
        async throws -> [StoredGroup] {
        let filter: (column: String, value: String)?
        switch lookup {
        case .all: filter = nil
        case .displayName(let name): filter = ("displaynamekey", GroupRules.displayNameKey(name))
        case .externalID(let value): filter = ("externalid", value)
        case .id(let value): filter = ("id", value)
        }
        let rows = try await db.lookup("scimgroup", orgID: orgID, filter)
        var members: [String: [MemberRef]] = [:]
        if withMembers, !rows.isEmpty {
            let ids = try rows.map { try $0.get("id", as: String.self) }
            let memberRows = lookup == .all
                ? try await db.rows("""
                    SELECT membership.groupid, scimuser.id, scimuser.username FROM membership
                    JOIN scimuser ON scimuser.id = membership.userid
                    WHERE scimuser.orgid = \(orgID) ORDER BY scimuser.usernamekey
                    """)
                : try await db.rows("""
                    SELECT membership.groupid, scimuser.id, scimuser.username FROM membership
                    JOIN scimuser ON scimuser.id = membership.userid
                    WHERE membership.groupid = ANY(\(ids)) ORDER BY scimuser.usernamekey
                    """)
            for row in memberRows {
                members[try row.get("groupid"), default: []].append(
                    MemberRef(id: try row.get("id"), userName: try row.get("username")))
            }
        }
        return try rows.map { row in try storedGroup(row, members: members[try row.get("id", as: String.self)] ?? []) }
    }

    public func createGroup(org: Org, draft: GroupDraft, actor: String) async throws -> StoredGroup {
        let members = MembershipChange(replacingWith: draft.memberIDs).prepared()
        let id = try await mutate(org: org.name, actor: actor, method: "POST") { mutation in
            let db = mutation.db
            let id = UUID().uuidString.lowercased()
            try await Self.checkUniqueness(db, org: mutation.org, draft: draft, selfID: "")
            try await Self.validateMembers(db, org: mutation.org, members.toValidate)
            let gid = try await PostgresAllocator.allocateGID(db, org: mutation.org)
            let now = StoreClock.now()
            try await db.exec("""
                INSERT INTO scimgroup (id, orgid, displayname, displaynamekey, externalid, document, posixname, gid,
                    version, createdat, modifiedat)
                VALUES (\(id), \(mutation.org.id), \(draft.displayName), \(GroupRules.displayNameKey(draft.displayName)),
                    \(draft.externalID), \(draft.document), \(draft.posixName), \(gid), 1, \(now), \(now))
                """)
            let count = try await Self.insertMembers(db, groupID: id, members.replacement)
            mutation.changed(AuditOutcome.groupResource(id), outcome: AuditOutcome.groupCreated(draft.displayName, members: count))
            return id
        }
        return try await group(org: org, id: id, members: true)
    }

    /// As `SQLiteStore.updateGroup`: plan outside the org's lock, apply under it if the version held.
    public func updateGroup(org: Org, id: String, ifMatch: String?, actor: String, method: String, readingMembers: Bool,
                            answerWithMembers: Bool, transform: @escaping @Sendable (StoredGroup) throws -> GroupChange)
        async throws -> StoredGroup {
        try await optimisticUpdate(
            org: org.name, actor: actor, method: method,
            plan: { db in
                let current = try await Self.group(db, orgID: org.id, id: id, members: readingMembers)
                try Precondition.check(ifMatch, current: current.etag)
                let change = try transform(current)
                let members = change.membership.prepared()
                try await Self.validateMembers(db, org: org, members.toValidate)
                return (current.version, (change.group, members))
            },
            version: { db in try await Self.group(db, orgID: org.id, id: id).version },
            apply: { (mutation: inout PostgresMutation, planned: (GroupDraft, PreparedMembership)) async throws in
                let (draft, members) = planned
                let db = mutation.db
                let current = try await Self.group(db, orgID: mutation.org.id, id: id)
                try await Self.checkUniqueness(db, org: mutation.org, draft: draft, selfID: id)
                try await Self.validateMembers(db, org: mutation.org, members.toValidate)
                var added = 0
                var removed = 0
                if members.replaces {
                    removed += try await db.rows("""
                        DELETE FROM membership WHERE groupid = \(id) AND NOT (userid = ANY(\(members.replacement?.ids ?? [])))
                        RETURNING userid
                        """).count
                    added += try await Self.insertMembers(db, groupID: id, members.replacement)
                }
                if let gone = members.removed {
                    removed += try await db.rows("""
                        DELETE FROM membership WHERE groupid = \(id) AND userid = ANY(\(gone.ids)) RETURNING userid
                        """).count
                }
                if let new = members.added { added += try await Self.insertMembers(db, groupID: id, new) }
                if added == 0 && removed == 0 && GroupRules.sameRow(draft, as: current) { return }
                try await db.exec("""
                    UPDATE scimgroup SET displayname = \(draft.displayName),
                        displaynamekey = \(GroupRules.displayNameKey(draft.displayName)),
                        externalid = \(draft.externalID), document = \(draft.document), posixname = \(draft.posixName),
                        version = version + 1, modifiedat = \(StoreClock.now())
                    WHERE id = \(id)
                    """)
                mutation.changed(AuditOutcome.groupResource(id),
                                 outcome: AuditOutcome.groupUpdated(draft.displayName, added: added, removed: removed))
            })
        return try await group(org: org, id: id, members: answerWithMembers)
    }

    public func deleteGroup(org: Org, id: String, ifMatch: String?, actor: String) async throws {
        try await mutate(org: org.name, actor: actor, method: "DELETE") { mutation in
            let current = try await Self.group(mutation.db, orgID: mutation.org.id, id: id)
            try mutation.require(ifMatch, matches: current.etag)
            try await mutation.db.exec("DELETE FROM scimgroup WHERE id = \(id)")
            mutation.changed(AuditOutcome.groupResource(id), outcome: AuditOutcome.groupDeleted(current.displayName))
        }
    }

    /// Every id in one statement; returns how many rows were new.
    static func insertMembers(_ db: PostgresConnection, groupID: String, _ ids: IDList?) async throws -> Int {
        guard let ids else { return 0 }
        return try await db.rows("""
            INSERT INTO membership (groupid, userid) SELECT \(groupID), unnest(\(ids.ids)::text[])
            ON CONFLICT DO NOTHING RETURNING userid
            """).count
    }

    static func checkUniqueness(_ db: PostgresConnection, org: Org, draft: GroupDraft, selfID: String) async throws {
        if let other = try await db.row("""
            SELECT displayname FROM scimgroup
            WHERE orgid = \(org.id) AND id <> \(selfID) AND displaynamekey = \(GroupRules.displayNameKey(draft.displayName))
            """) {
            throw GroupRules.displayNameTaken(draft, by: try other.get("displayname"))
        }
        if let other = try await db.row("""
            SELECT displayname FROM scimgroup WHERE orgid = \(org.id) AND id <> \(selfID) AND posixname = \(draft.posixName)
            """) {
            throw GroupRules.posixNameTaken(draft, by: try other.get("displayname"))
        }
    }

    /// Flat groups only (the words are `GroupRules.memberRefusal`): one counting query, and only
    /// when it comes up short, the offenders.
    static func validateMembers(_ db: PostgresConnection, org: Org, _ ids: IDList?) async throws {
        guard let ids else { return }
        let found = try await db.row("""
            SELECT count(*) AS n FROM scimuser WHERE orgid = \(org.id) AND id = ANY(\(ids.ids))
            """)?.get("n", as: Int64.self) ?? 0
        if found == ids.count { return }
        let missing = try await db.rows("""
            SELECT wanted FROM unnest(\(ids.ids)::text[]) AS wanted
            WHERE NOT EXISTS (SELECT 1 FROM scimuser WHERE scimuser.id = wanted AND scimuser.orgid = \(org.id))
            ORDER BY wanted COLLATE "C"
            """).map { try $0.get("wanted", as: String.self) }
        guard !missing.isEmpty else { return }
        let nested = try await db.row("""
            SELECT id, displayname FROM scimgroup WHERE orgid = \(org.id) AND id = ANY(\(missing))
            ORDER BY id COLLATE "C" LIMIT 1
            """).map { (id: try $0.get("id", as: String.self), displayName: try $0.get("displayname", as: String.self)) }
        throw GroupRules.memberRefusal(missing: missing, nested: nested)
    }
}
