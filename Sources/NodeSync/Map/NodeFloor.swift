// Applies the node's floor and the org's deactivation policy to a validated snapshot.
import SunkModel
import SunkSnapshot

/// Turns a validated snapshot body into the accounts this node writes.
///
/// - A user or group named like a system account (`Policy.defaultReservedUserNames`,
///   `Policy.defaultReservedGroupNames`: `root`, `admin`, `sudo`, `wheel`, `docker`, …) is skipped
///   and reported, whatever the snapshot's own policy lists: that list is the receiver's, and a
///   signed snapshot that empties it must not create `admin` on a node whose sudoers names `%admin`.
/// - A user whose name or uid exists in the local `/etc/passwd`, or whose primary gid exists in the
///   local `/etc/group` or is a local account's primary gid (field 4 of `/etc/passwd`, even with no
///   `/etc/group` line), is skipped and reported; so is a group whose name or gid is taken that way.
/// - Deactivated users: `lock` keeps them with `PosixRules.lockedShell` and no keys; `remove` omits them.
/// - A user whose home is not strictly below one of the node's own `homePrefixes` (`--home-prefix`;
///   the snapshot's `policy.homePrefixes` never widens them) is skipped and reported.
/// - A shell is kept only when the node's `/etc/shells` lists it or it is one of the exact nologin
///   paths (`PosixRules.isNologinShell`); otherwise it becomes `policy.defaultShell` when that passes
///   the same test, else the user is skipped. The snapshot's `policy.shells` never adds a shell.
/// - Locked users (deactivated, policy `lock`) are in no supplementary group: they keep only their
///   primary gid, so a locked account cannot reach group-owned files through a session or job that
///   is still running.
/// - Group members are limited to written, active users. Every primary gid that no written SCIM group
///   provides gets a user-private group: named after the user when the gid is that user's alone (and
///   the name is free and a valid group name), else `g<gid>`; omitted if both names are taken.
public enum NodeFloor {
    /// User names no snapshot may create on this node (the compiled-in floor, not the snapshot's list).
    public static let reservedUserNames = Set(Policy.defaultReservedUserNames)
    /// Group names no snapshot may create on this node.
    public static let reservedGroupNames = Set(Policy.defaultReservedGroupNames)

    /// - Parameter homePrefixes: the node's own home prefixes, each already checked with
    ///   `PosixRules.homePrefix` (`SyncOptions.validate()`).
    public static func plan(_ body: SnapshotBody, local: LocalAccounts, homePrefixes: [String]) -> NodePlan {
        let policy = body.policy
        // The node's /etc/shells decides; nologin paths refuse logins, so they need no listing.
        func nodeAllows(_ shell: String) -> Bool { PosixRules.isNologinShell(shell) || local.shells.contains(shell) }
        var skipped = body.skipped.map {
            NodeSkip(kind: .user, origin: .server, id: $0.id, name: nil, userName: $0.userName, reason: $0.reason)
        }
        var users: [NodeUser] = []
        var fallbacks = 0
        var removed = 0
        for u in body.users {
            func skip(_ reason: String) {
                skipped.append(NodeSkip(kind: .user, origin: .node, id: u.id, name: u.name,
                                        userName: u.userName, reason: reason))
            }
            if !u.active && policy.deactivation == .remove {
                removed += 1
                continue
            }
            if reservedUserNames.contains(u.name) {
                skip("name \(u.name) is a reserved system account name; this node never takes it from a snapshot")
                continue
            }
            if local.users[u.name] != nil {
                skip("name \(u.name) is a local account in /etc/passwd on this node")
                continue
            }
            if let owner = local.uids[u.uid] {
                skip("uid \(u.uid) belongs to local account \(owner) in /etc/passwd on this node")
                continue
            }
            if let owner = local.gidOwner(u.gid) {
                skip("primary gid \(u.gid) belongs to \(owner) on this node")
                continue
            }
            if (try? PosixRules.homeDirectory(u.home, prefixes: homePrefixes)) != u.home {
                skip("home \(u.home) is not strictly below this node's home prefixes ("
                     + homePrefixes.joined(separator: ", ") + "); add a prefix with sync --home-prefix or node.homePrefixes")
                continue
            }
            var shell = u.shell
            var keys = u.keys
            if !u.active {
                shell = PosixRules.lockedShell
                keys = []
            } else if !nodeAllows(shell) {
                guard nodeAllows(policy.defaultShell) else {
                    skip("shell \(shell) and the default shell \(policy.defaultShell) are both missing from /etc/shells on this node")
                    continue
                }
                shell = policy.defaultShell
                fallbacks += 1
            }
            users.append(NodeUser(name: u.name, uid: u.uid, gid: u.gid, gecos: u.gecos, home: u.home,
                                  shell: shell, keys: keys, locked: !u.active))
        }
        // Locked users keep their primary group only.
        let written = Set(users.filter { !$0.locked }.map(\.name))

        var groups: [NodeGroup] = []
        for g in body.groups {
            func skip(_ reason: String) {
                skipped.append(NodeSkip(kind: .group, origin: .node, id: g.id, name: g.name,
                                        userName: g.displayName, reason: reason))
            }
            if reservedGroupNames.contains(g.name) {
                skip("name \(g.name) is a reserved system group name; this node never takes it from a snapshot")
                continue
            }
            if local.groups[g.name] != nil {
                skip("name \(g.name) is a local group in /etc/group on this node")
                continue
            }
            if let owner = local.gidOwner(g.gid) {
                skip("gid \(g.gid) belongs to \(owner) on this node")
                continue
            }
            groups.append(NodeGroup(name: g.name, gid: g.gid, members: g.members.filter(written.contains),
                                    userPrivate: false))
        }
        groups += userPrivateGroups(users: users, scimGroups: groups, local: local, policy: policy)
        users.sort { SnapshotOrder.less($0.name, $1.name) }
        groups.sort { SnapshotOrder.less($0.name, $1.name) }
        return NodePlan(users: users, groups: groups, skipped: skipped, shellFallbacks: fallbacks,
                        removedByPolicy: removed)
    }

    static func userPrivateGroups(users: [NodeUser], scimGroups: [NodeGroup], local: LocalAccounts,
                                  policy: Policy) -> [NodeGroup] {
        UserPrivateGroups.derive(primaryGIDs: users.map { ($0.name, $0.gid) }, providedGIDs: Set(scimGroups.map(\.gid)),
                                 takenNames: Set(scimGroups.map(\.name)).union(local.groups.keys).union(reservedGroupNames),
                                 policy: policy)
            .map { NodeGroup(name: $0.name, gid: $0.gid, members: [], userPrivate: true) }
    }
}
