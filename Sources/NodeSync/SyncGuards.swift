// The checks that keep a suspicious snapshot from emptying a node.

/// Guards applied before anything is written.
public enum SyncGuards {
    /// The smallest number of removals always allowed, whatever the percentage.
    public static let removalFloor = 5

    /// The user names in an existing passwd file (empty when there is none).
    public static func currentUserNames(passwdPath: String) throws(SyncError) -> [String] {
        guard let bytes = try SystemCall.read(passwdPath) else { return [] }
        return String(decoding: bytes, as: UTF8.self).split(separator: "\n").compactMap { line in
            line.split(separator: ":", maxSplits: 1).first.map(String.init)
        }
    }

    /// Refuses an empty result over a non-empty node, and more removals than
    /// `max(removalFloor, current × percent / 100)`.
    public static func check(current: [String], planned: NodePlan, maxDeletePercent: Int) throws(SyncError) {
        if planned.users.isEmpty && !current.isEmpty {
            throw .emptySnapshot(currentUsers: current.count)
        }
        let remaining = Set(planned.users.map(\.name))
        let removing = current.filter { !remaining.contains($0) }.count
        let allowed = max(removalFloor, current.count * maxDeletePercent / 100)
        if removing > allowed {
            throw .tooManyRemovals(removing: removing, current: current.count, allowed: allowed,
                                   percent: maxDeletePercent)
        }
    }
}
