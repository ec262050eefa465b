import SunkModel

/// Decides, entry by entry, what the receiver may publish: the same rules a node re-checks with
/// `SnapshotDocument.validated()` (every value passes `PosixRules` under the org's *current* policy
/// and is canonical), plus the gid integrity rule. An entry that fails is "not exported" with the
/// reason — listed by `users list`/`groups list` and in the snapshot's `skipped` — instead of
/// making every node refuse the whole snapshot.
public enum ExportGate {
    /// Why a user is not exported under `policy`, or nil. `keys` are the keys as exported (none for
    /// a deactivated user).
    static func userRefusal(name: String, uid: UInt32, gid: UInt32, home: String, shell: String,
                            keys: [String], gecos: String, policy: Policy) -> String? {
        func canonical<T: Equatable>(_ value: T, _ rule: () throws -> T) -> String? {
            do {
                return try rule() == value ? nil : "\(value) is not in canonical form under the org's policy"
            } catch {
                return (error as? RuleViolation)?.description ?? "\(error)"
            }
        }
        if let problem = canonical(name, { try PosixRules.userName(name, policy: policy) })
            ?? canonical(uid, { try PosixRules.userID(.integer(Int64(uid)), policy: policy) })
            ?? canonical(gid, { try PosixRules.groupID(.integer(Int64(gid)), policy: policy) })
            ?? canonical(home, { try PosixRules.homeDirectory(home, policy: policy) })
            ?? canonical(shell, { try PosixRules.loginShell(shell, policy: policy) }) {
            return "the org's policy refuses it: \(problem)"
        }
        do throws(RuleViolation) {
            let parsed = try PosixRules.sshKeys(keys, policy: policy)
            if parsed.map(\.rendered) != keys {
                return "the org's policy refuses it: \(SCIMAttribute.sshKeys): keys are not in canonical form"
            }
        } catch {
            return "the org's policy refuses it: \(error.description)"
        }
        if PosixRules.gecos(gecos) != gecos { return "gecos contains characters not allowed in a passwd line" }
        return nil
    }

    /// Why a group is not exported under `policy`, or nil.
    static func groupRefusal(name: String, gid: UInt32, policy: Policy) -> String? {
        do throws(RuleViolation) {
            if try PosixRules.groupName(name, policy: policy) != name {
                return "the org's policy refuses it: group name \(name) is not in canonical form"
            }
            if try PosixRules.groupID(.integer(Int64(gid)), policy: policy) != gid {
                return "the org's policy refuses it: gid \(gid) is not in canonical form"
            }
        } catch {
            return "the org's policy refuses it: \(error.description)"
        }
        return nil
    }

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

/// A stored entry an org's policy (or the gid rule) keeps from the nodes.
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
