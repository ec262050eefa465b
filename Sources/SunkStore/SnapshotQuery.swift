import Foundation
import GRDB
import SunkSnapshot

/// Builds the snapshot nodes consume from the current state of an org: every exportable user
/// and group with resolved POSIX fields, and the users that cannot be exported with the reason.
enum SnapshotQuery {
    static func body(_ db: Database, org: Org) throws -> SnapshotBody {
        var users: [SnapshotUser] = []
        var skipped: [SkippedEntry] = []
        var namesByID: [String: String] = [:]
        for user in try allUsers(db, org: org) {
            guard let name = user.posixName, let home = user.home else {
                skipped.append(SkippedEntry(id: user.id, userName: user.userName,
                                            reason: user.exportProblem ?? "not exportable"))
                continue
            }
            namesByID[user.id] = name
            // A deactivated user never carries keys, whatever the node's policy does with it.
            users.append(SnapshotUser(id: user.id, userName: user.userName, name: name, uid: user.uid, gid: user.gid,
                                      gecos: user.gecos, home: home, shell: user.shell,
                                      keys: user.active ? user.keys : [], active: user.active))
        }
        let groups = try SunkDatabase.groups(db, orgID: org.id, lookup: .all).map { group in
            SnapshotGroup(id: group.id, displayName: group.displayName, name: group.posixName, gid: group.gid,
                          members: group.members.compactMap { namesByID[$0.id] })
        }
        let publishedAt = (try? Date(org.changedAt, strategy: .iso8601)) ?? Date(timeIntervalSince1970: 0)
        return SnapshotBody(org: org.name, serial: org.serial, publishedAt: publishedAt, policy: org.policy,
                            users: users, groups: groups, skipped: skipped).canonicalized()
    }

    static func allUsers(_ db: Database, org: Org) throws -> [StoredUser] {
        try SunkDatabase.users(db, orgID: org.id, lookup: .all)
    }

    static func document(_ db: Database, org: Org) throws -> SnapshotDocument {
        SnapshotDocument.make(body: try body(db, org: org))
    }
}

extension SunkDatabase {
    /// The snapshot of the org's current state (what `export` writes and nodes fetch).
    public func snapshot(org: Org) async throws -> SnapshotDocument {
        try await read { db in try SnapshotQuery.document(db, org: try Self.org(db, named: org.name)) }
    }

    public func snapshot(org: Org) throws -> SnapshotDocument {
        try readSync { db in try SnapshotQuery.document(db, org: try Self.org(db, named: org.name)) }
    }
}
