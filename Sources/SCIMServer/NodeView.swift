// The node view of one published state: the users and groups `sync` would write, as the SCIM
// resources that nodes running SUNK's nsscache SCIM source read.
import SCIMProtocol
import SunkModel
import SunkSnapshot

/// The resources of `/scim/ORG/node/Users` and `/node/Groups` for one published snapshot.
///
/// It describes the same files `sync` writes from that snapshot (before the node's own floor,
/// which only a node knows): deactivated users locked (nologin, no keys) or left out per the
/// org's policy, groups with their POSIX name and only active members, and one user-private
/// group for every primary gid no SCIM group provides (`UserPrivateGroups`, the rule `sync` uses).
struct NodeView: Sendable {
    /// Extension carrying a group's POSIX attributes.
    static let groupExtensionURN = "urn:sunk-bridge:params:scim:schemas:extension:posix:2.0:Group"

    let serial: Int64
    let users: [JSONValue]
    /// SCIM groups, then user-private groups, each part sorted by name.
    let groups: [JSONValue]
    /// How many of `groups` (at the end) are user-private.
    let userPrivateGroupCount: Int

    init(_ body: SnapshotBody) {
        serial = body.serial
        let policy = body.policy
        let written = body.users.filter { $0.active || policy.deactivation == .lock }
        users = written.map { Self.render($0) }
        // Deactivated users are in no group, whatever the policy: locked users keep only their primary gid.
        let members = Set(written.filter(\.active).map(\.name))
        let scim = body.groups.map { Self.render($0, members: $0.members.filter(members.contains)) }
        let generated = UserPrivateGroups.derive(
            primaryGIDs: written.map { ($0.name, $0.gid) }, providedGIDs: Set(body.groups.map(\.gid)),
            takenNames: Set(body.groups.map(\.name)), policy: policy
        ).sorted { SnapshotOrder.less($0.name, $1.name) }
        groups = scim + generated.map { Self.render(name: $0.name, gid: $0.gid) }
        userPrivateGroupCount = generated.count
    }

    /// A user with every POSIX attribute resolved; a deactivated user locked.
    static func render(_ user: SnapshotUser) -> JSONValue {
        let shell = user.active ? user.shell : PosixRules.lockedShell
        let keys = user.active ? user.keys : []
        return .object([
            "schemas": .array([.string(SCIMSchemaURN.user), .string(SCIMSchemaURN.coreWeaveUser)]),
            "id": .string(user.id),
            "userName": .string(user.userName),
            "displayName": .string(user.gecos),
            "active": .bool(user.active),
            SCIMSchemaURN.coreWeaveUser: .object([
                "sunkPosixUsername": .string(user.name),
                "sunkPosixUserId": .int(Int64(user.uid)),
                "sunkPosixGroupId": .int(Int64(user.gid)),
                "sunkPreferredHomeDirectory": .string(user.home),
                "sunkLoginShell": .string(shell),
                "sunkSshKeys": .array(keys.map { .string($0) }),
            ]),
        ])
    }

    /// A group as nsscache reads it: displayName is the POSIX name, members are POSIX user names.
    static func render(_ group: SnapshotGroup, members: [String]) -> JSONValue {
        render(id: group.id, name: group.name, gid: group.gid, scimDisplayName: group.displayName, members: members)
    }

    /// A user-private group (no SCIM resource behind it: its id says what it is).
    static func render(name: String, gid: UInt32) -> JSONValue {
        render(id: "user-private-\(gid)", name: name, gid: gid, scimDisplayName: nil, members: [])
    }

    private static func render(id: String, name: String, gid: UInt32, scimDisplayName: String?,
                               members: [String]) -> JSONValue {
        var posix: [String: JSONValue] = ["gidNumber": .int(Int64(gid)), "posixName": .string(name),
                                          "userPrivate": .bool(scimDisplayName == nil)]
        if let scimDisplayName { posix["scimDisplayName"] = .string(scimDisplayName) }
        return .object([
            "schemas": .array([.string(SCIMSchemaURN.group), .string(groupExtensionURN)]),
            "id": .string(id),
            "displayName": .string(name),
            "members": .array(members.map { .object(["value": .string($0), "display": .string($0)]) }),
            groupExtensionURN: .object(posix),
        ])
    }
}
