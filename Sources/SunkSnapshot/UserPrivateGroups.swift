// The one rule for the groups a node adds for primary gids that no SCIM group provides. `sync`
// writes them; the node view (`/scim/ORG/node/Groups`) serves them, so both describe one state.
import SunkModel

/// A generated group for a primary gid.
public struct UserPrivateGroup: Equatable, Sendable {
    public var name: String
    public var gid: UInt32
}

public enum UserPrivateGroups {
    /// For every primary gid no provided group has: a group named after the user when the gid is
    /// that user's alone (and the name is free and a valid group name), else `g<gid>`; omitted when
    /// both names are taken. `takenNames` are the provided groups' names and, on a node, its local
    /// group names. Shared gids are named first, so a user called `g<gid>` cannot take another
    /// gid's fallback name. Sorted by gid.
    public static func derive(primaryGIDs: [(user: String, gid: UInt32)], providedGIDs: Set<UInt32>,
                              takenNames: Set<String>, policy: Policy) -> [UserPrivateGroup] {
        var owners: [UInt32: [String]] = [:]
        for (user, gid) in primaryGIDs where !providedGIDs.contains(gid) { owners[gid, default: []].append(user) }
        var taken = takenNames
        var result: [UserPrivateGroup] = []
        func take(_ name: String, _ gid: UInt32) -> Bool {
            guard !taken.contains(name) else { return false }
            taken.insert(name)
            result.append(UserPrivateGroup(name: name, gid: gid))
            return true
        }
        let sorted = owners.keys.sorted()
        for gid in sorted where owners[gid]!.count > 1 { _ = take("g\(gid)", gid) }
        for gid in sorted where owners[gid]!.count == 1 {
            let name = owners[gid]![0]
            let valid = (try? PosixRules.groupName(name, policy: policy)) == name
            if valid && take(name, gid) { continue }
            _ = take("g\(gid)", gid)
        }
        return result.sorted { $0.gid < $1.gid }
    }
}
