// What the node's last sync left behind, read with `sync`'s own types and paths: doctor keeps no
// copy of the state's shape or of the policy, so it cannot drift from what `sync` writes.
import Foundation
import NodeSync
import SunkModel
import SunkSnapshot

struct DoctorNodeState {
    /// The merged `state.json` + `last-run.json` (`SyncState.load`): nil when the node never synced,
    /// `.failure` when a file is unreadable.
    var state: Result<SyncState, SyncError>?
    /// The snapshot the last sync applied (`snapshot.json`), opened as `sync` opens it; nil when
    /// absent or unreadable (the trust check reports on it).
    var applied: SnapshotBody?

    static func load(_ paths: NodePaths) -> DoctorNodeState {
        var node = DoctorNodeState()
        do throws(SyncError) {
            node.state = try SyncState.load(paths).map { .success($0) }
        } catch {
            node.state = .failure(error)
        }
        if let data = FileManager.default.contents(atPath: paths.lastSnapshot) {
            // Opened without trust keys: the policy is read for advice only; `DoctorTrustCheck`
            // says whether the kept snapshot verifies.
            node.applied = try? SnapshotOpening.open(data, trust: nil, expectedOrg: nil).document.body
        }
        return node
    }

    /// The state when it could be read.
    var synced: SyncState? {
        if case .success(let s)? = state { return s }
        return nil
    }

    /// The org policy the node last applied, else the default, and where it came from.
    var policy: (policy: Policy, source: String) {
        guard let applied else { return (.default, "the default policy") }
        return (applied.policy, "the policy of org \(applied.org) in the last applied snapshot (serial \(applied.serial))")
    }

    /// The node's own home prefixes as its last sync used them (`--home-prefix`); the snapshot's
    /// are never where homes are made.
    var homePrefixes: [String] {
        if let prefixes = synced?.homePrefixes, !prefixes.isEmpty { return prefixes }
        return SyncOptions.defaultHomePrefixes
    }
}
