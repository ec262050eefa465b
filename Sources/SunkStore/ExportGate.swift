import SunkModel

/// Decides, entry by entry, what the receiver may publish: the gid integrity rule. An entry that
/// fails is "not exported" with the reason — listed by `users list` and in the snapshot's
/// `skipped`.
public enum ExportGate {
    /// gid integrity: a user without an explicit `sunkPosixGroupId` gets a user-private primary gid
    /// equal to its uid; when a group already has that gid the user would silently be a member of
    /// it, so the user is not exported. Only an explicit `sunkPosixGroupId` may name a group's gid.
    static func gidRefusal(uid: UInt32, explicitGID: UInt32?, groupNameByGID: [UInt32: String]) -> String? {
        guard explicitGID == nil, let group = groupNameByGID[uid] else { return nil }
        return "its primary gid defaults to its uid \(uid), which is the gid of group \(group): it would silently "
            + "be a member of that group; set sunkPosixGroupId (naming \(uid) explicitly makes \(group) its primary "
            + "group) or choose another sunkPosixUserId"
    }
}

/// A stored entry the gid rule keeps from the nodes.
public struct ExportRefusal: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable { case user, group }
    public var kind: Kind
    /// SCIM id.
    public var id: String
    /// POSIX name.
    public var name: String
    /// userName (users) or displayName (groups).
    public var scimName: String
    public var reason: String

    public var description: String { "\(kind.rawValue) \(name) (\(scimName)): \(reason)" }
}
