// `doctor`'s trust-key check: the node has keys to verify snapshots with, and the snapshot it
// applied last verifies with them.
import Foundation
import NodeSync
import SunkSnapshot

enum DoctorTrustCheck {
    static let name = "trust-key"

    /// `path` is the trust file as the sync reads it (`--trust-key`, default /etc/sunk-bridge/trust.pub).
    static func check(_ ctx: DoctorContext, path: String, appliedOrg: String?) -> DoctorFinding {
        let fix = "on the receiver run `sunk-bridge org trust-key ORG` and install its output as \(path) "
            + "(root:root 0644); give it to sync with --trust-key (node.trustKeyFile)"
        let trust: TrustedKeys
        do throws(SnapshotError) {
            trust = try TrustedKeys.load(path: path)
        } catch {
            return .fail(name, "\(error): snapshots cannot be verified, so `sync --from` refuses to run", fix: fix)
        }
        let orgs = Set(trust.keys.map(\.org)).sorted().joined(separator: ", ")
        if let appliedOrg, !trust.keys.contains(where: { $0.org == appliedOrg }) {
            return .fail(name, "\(path) has keys for \(orgs) but the applied snapshot is for org \(appliedOrg)", fix: fix)
        }
        guard let kept = FileManager.default.contents(atPath: ctx.paths.lastSnapshot),
              SignedSnapshot.looksSigned(kept) else {
            return .ok(name, "\(path): \(trust.keys.count) key(s) for \(orgs)")
        }
        do throws(SnapshotError) {
            try SignedSnapshot.parse(kept).verify(trust: trust)
        } catch {
            return .warn(name, "the applied snapshot does not verify with \(path): \(error)",
                         fix: "if the receiver rotated its key, install the lines of `sunk-bridge org trust-key --all ORG`")
        }
        return .ok(name, "\(path): \(trust.keys.count) key(s) for \(orgs); the applied snapshot verifies")
    }
}
