// What a node will materialise: the snapshot after the node's own floor and the org's policy.
import SunkModel
import SunkSnapshot

/// A passwd entry as this node writes it.
public struct NodeUser: Equatable, Sendable {
    public var name: String
    public var uid: UInt32
    public var gid: UInt32
    public var gecos: String
    public var home: String
    public var shell: String
    /// Canonical keys; empty for locked users.
    public var keys: [String]
    /// Deactivated in the identity provider and kept locked (nologin, no keys).
    public var locked: Bool

    public init(name: String, uid: UInt32, gid: UInt32, gecos: String, home: String, shell: String,
                keys: [String], locked: Bool) {
        self.name = name
        self.uid = uid
        self.gid = gid
        self.gecos = gecos
        self.home = home
        self.shell = shell
        self.keys = keys
        self.locked = locked
    }
}

/// A group entry as this node writes it.
public struct NodeGroup: Equatable, Sendable {
    public var name: String
    public var gid: UInt32
    public var members: [String]
    /// Generated for a primary gid that no SCIM group provides.
    public var userPrivate: Bool

    public init(name: String, gid: UInt32, members: [String], userPrivate: Bool) {
        self.name = name
        self.gid = gid
        self.members = members
        self.userPrivate = userPrivate
    }
}

/// An entry that is not written, with the reason (shown by `sunk-bridge status`).
public struct NodeSkip: Codable, Equatable, Sendable {
    public enum Kind: String, Codable, Sendable { case user, group }
    /// `server`: the server could not export it; `node`: this node's floor refused it.
    public enum Origin: String, Codable, Sendable { case server, node }

    public var kind: Kind
    public var origin: Origin
    /// The SCIM id.
    public var id: String
    /// The POSIX name when known.
    public var name: String?
    /// The SCIM userName (users) or displayName (groups).
    public var userName: String
    public var reason: String

    public init(kind: Kind, origin: Origin, id: String, name: String?, userName: String, reason: String) {
        self.kind = kind
        self.origin = origin
        self.id = id
        self.name = name
        self.userName = userName
        self.reason = reason
    }
}

/// The accounts this node materialises, sorted by name (bytewise).
public struct NodePlan: Equatable, Sendable {
    public var users: [NodeUser]
    public var groups: [NodeGroup]
    public var skipped: [NodeSkip]
    /// Users whose shell was replaced by the policy's default shell (missing from /etc/shells).
    public var shellFallbacks: Int
    /// Deactivated users left out because the policy is `remove`.
    public var removedByPolicy: Int

    public init(users: [NodeUser], groups: [NodeGroup], skipped: [NodeSkip], shellFallbacks: Int = 0,
                removedByPolicy: Int = 0) {
        self.users = users
        self.groups = groups
        self.skipped = skipped
        self.shellFallbacks = shellFallbacks
        self.removedByPolicy = removedByPolicy
    }

    public var lockedUsers: Int { users.filter(\.locked).count }
    public var userPrivateGroups: Int { groups.filter(\.userPrivate).count }
}
