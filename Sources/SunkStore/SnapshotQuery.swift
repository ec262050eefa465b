import Foundation
import GRDB
import SunkModel
import SunkSnapshot

/// Builds the snapshot nodes consume from the current state of an org: every exportable user
/// and group with resolved POSIX fields, and the entries that cannot be exported with the reason.
/// An entry is exported only when `ExportGate` passes it under the org's policy, so every published
/// snapshot passes the node's own `SnapshotDocument.validated()`. The rules are engine-independent
/// (`assemble(org:policy:users:groups:)` takes stored values); an engine only loads the org's
/// users and groups.
package enum SnapshotQuery {
    static func body(_ db: Database, org: Org) throws -> SnapshotBody {
        try assemble(db, org: org, policy: org.policy).body
    }

    /// The snapshot body `org` would publish under `policy`, read from the SQLite engine.
    static func assemble(_ db: Database, org: Org, policy: Policy) throws
        -> (body: SnapshotBody, refusals: [ExportRefusal])
    {
        assemble(org: org, policy: policy, users: try allUsers(db, org: org),
                 groups: try SQLiteStore.groups(db, orgID: org.id, lookup: .all))
    }

    /// The snapshot body `org` would publish under `policy` given all its users and groups (with
    /// members), and the stored entries it leaves out because of the policy or the gid rule (not
    /// those the store already marked not exportable).
    package static func assemble(org: Org, policy: Policy, users storedUsers: [StoredUser], groups storedGroups: [StoredGroup])
        -> (body: SnapshotBody, refusals: [ExportRefusal])
    {
        var users: [SnapshotUser] = []
        var skipped: [SkippedEntry] = []
        var refusals: [ExportRefusal] = []
        var namesByID: [String: String] = [:]
        var groupNameByGID: [UInt32: String] = [:]
        for group in storedGroups { groupNameByGID[group.gid] = group.posixName }
        for user in storedUsers {
            guard let name = user.posixName, let home = user.home else {
                skipped.append(SkippedEntry(id: user.id, userName: user.userName,
                                            reason: user.exportProblem ?? "not exportable"))
                continue
            }
            // A deactivated user never carries keys, whatever the node's policy does with it.
            let keys = user.active ? user.keys : []
            if let reason = ExportGate.gidRefusal(uid: user.uid, explicitGID: user.explicitGID,
                                                  groupNameByGID: groupNameByGID)
                ?? ExportGate.userRefusal(name: name, uid: user.uid, gid: user.gid, home: home, shell: user.shell,
                                          keys: keys, gecos: user.gecos, policy: policy) {
                refusals.append(ExportRefusal(kind: .user, id: user.id, name: name, scimName: user.userName,
                                              reason: reason))
                skipped.append(SkippedEntry(id: user.id, userName: user.userName, reason: "user \(name): \(reason)"))
                continue
            }
            namesByID[user.id] = name
            users.append(SnapshotUser(id: user.id, userName: user.userName, name: name, uid: user.uid, gid: user.gid,
                                      gecos: user.gecos, home: home, shell: user.shell,
                                      keys: keys, active: user.active))
        }
        var groups: [SnapshotGroup] = []
        for group in storedGroups {
            if let reason = ExportGate.groupRefusal(name: group.posixName, gid: group.gid, policy: policy) {
                refusals.append(ExportRefusal(kind: .group, id: group.id, name: group.posixName,
                                              scimName: group.displayName, reason: reason))
                skipped.append(SkippedEntry(id: group.id, userName: group.displayName,
                                            reason: "group \(group.posixName): \(reason)"))
                continue
            }
            groups.append(SnapshotGroup(id: group.id, displayName: group.displayName, name: group.posixName,
                                        gid: group.gid, members: group.members.compactMap { namesByID[$0.id] }))
        }
        let publishedAt = (try? Date(org.changedAt, strategy: .iso8601)) ?? Date(timeIntervalSince1970: 0)
        let body = SnapshotBody(org: org.name, serial: org.serial, publishedAt: publishedAt, policy: policy,
                                users: users, groups: groups, skipped: skipped).canonicalized()
        return (body, refusals)
    }

    /// The document of `org`'s current state, from all its users and groups (with members).
    package static func document(org: Org, users: [StoredUser], groups: [StoredGroup]) -> SnapshotDocument {
        SnapshotDocument.make(body: assemble(org: org, policy: org.policy, users: users, groups: groups).body)
    }

    /// What a change to `policy` would strand: the entries it refuses that the current policy exports.
    package static func newRefusals(org: Org, policy: Policy, users: [StoredUser], groups: [StoredGroup])
        -> [ExportRefusal] {
        let before = Set(assemble(org: org, policy: org.policy, users: users, groups: groups).refusals.map(\.id))
        return assemble(org: org, policy: policy, users: users, groups: groups).refusals
            .filter { !before.contains($0.id) }
    }

    /// Every user of the org as `assemble` reads them: without the SCIM document (most of each
    /// row's bytes) and without the group list, neither of which a snapshot carries, read by
    /// position from an explicit column list rather than through the record's `Decodable`. At 100k
    /// users the generic path was a fifth of a publication's time.
    static func allUsers(_ db: Database, org: Org) throws -> [StoredUser] {
        let rows = try Row.fetchCursor(db, sql: """
            SELECT id, userName, externalID, active, gecos, explicitName, posixName, explicitUID, allocatedUID, uid,
                   explicitGID, gid, explicitHome, home, explicitShell, shell, keys, exportProblem, version,
                   createdAt, modifiedAt
            FROM scimUser WHERE orgID = ? ORDER BY rowid
            """, arguments: [org.id])
        var users: [StoredUser] = []
        while let row = try rows.next() {
            let resolved = ResolvedUser(
                userName: row[1], externalID: row[2], active: row[3], document: "", gecos: row[4],
                explicitName: row[5], posixName: row[6], explicitUID: row[7], allocatedUID: row[8], uid: row[9],
                explicitGID: row[10], gid: row[11], explicitHome: row[12], home: row[13], explicitShell: row[14],
                shell: row[15], keys: row[16], exportProblem: row[17])
            users.append(try StoredUser(id: row[0], resolved: resolved, version: row[18], createdAt: row[19],
                                        modifiedAt: row[20], groups: []))
        }
        return users
    }

    static func document(_ db: Database, org: Org) throws -> SnapshotDocument {
        SnapshotDocument.make(body: try body(db, org: org))
    }
}

extension SQLiteStore {
    /// The stored users and groups the org's current policy (or the gid rule) keeps from the nodes,
    /// with the reason (`users list`, `groups list`).
    public func exportRefusals(org: Org) throws -> [ExportRefusal] {
        try readSync { db in
            let current = try Self.org(db, named: org.name)
            return try SnapshotQuery.assemble(db, org: current, policy: current.policy).refusals
        }
    }

    /// The stored users and groups that `policy` would keep from the nodes and the org's current
    /// policy does not: what a policy change would strand.
    public func policyRefusals(org name: String, policy: Policy) throws -> [ExportRefusal] {
        try readSync { db in try Self.newRefusals(db, org: try Self.org(db, named: name), policy: policy) }
    }

    static func newRefusals(_ db: Database, org: Org, policy: Policy) throws -> [ExportRefusal] {
        SnapshotQuery.newRefusals(org: org, policy: policy, users: try SnapshotQuery.allUsers(db, org: org),
                                  groups: try groups(db, orgID: org.id, lookup: .all))
    }

    /// The snapshot of the org's current state (what `export` writes and nodes fetch).
    public func snapshot(org: Org) async throws -> SnapshotDocument {
        try await read { db in try SnapshotQuery.document(db, org: try Self.org(db, named: org.name)) }
    }

    public func snapshot(org: Org) throws -> SnapshotDocument {
        try readSync { db in try SnapshotQuery.document(db, org: try Self.org(db, named: org.name)) }
    }
}
