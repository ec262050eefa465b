// The org's id ranges against /etc/subuid and /etc/subgid: a subordinate range that overlaps ids
// the IdP may hand out lets a container's root map onto a real user's files.
import Foundation
import SunkModel
import SunkSnapshot

struct DoctorRange: Sendable, Equatable, CustomStringConvertible {
    var lower: UInt64
    var upper: UInt64
    func overlaps(_ o: DoctorRange) -> Bool { lower <= o.upper && o.lower <= upper }
    var description: String { "\(lower)–\(upper)" }
}

/// The parts of the org's policy doctor needs, with the project's defaults.
struct DoctorPolicy: Sendable {
    var userIDRange = DoctorRange(lower: 10000, upper: 2_147_483_647)
    var groupIDRange = DoctorRange(lower: 10000, upper: 2_147_483_647)
    var allocatedUserIDRange = DoctorRange(lower: 1_000_000, upper: 1_999_999)
    var allocatedGroupIDRange = DoctorRange(lower: 2_000_000, upper: 2_999_999)
    var homePrefixes = ["/home"]
    /// Where it came from, for the findings.
    var source = "the default policy"

    init() {}

    /// The ranges and prefixes of an org's policy.
    init(_ policy: Policy, source: String) {
        func range(_ r: IDRange) -> DoctorRange { DoctorRange(lower: UInt64(r.lower), upper: UInt64(r.upper)) }
        userIDRange = range(policy.userIDRange)
        groupIDRange = range(policy.groupIDRange)
        allocatedUserIDRange = range(policy.allocatedUserIDRange)
        allocatedGroupIDRange = range(policy.allocatedGroupIDRange)
        homePrefixes = policy.homePrefixes
        self.source = source
    }

    /// The org's policy from the snapshot the last sync applied (as `sync` keeps it: the signed
    /// envelope, read with the same decoder `sync` uses), else the defaults. Home prefixes are the
    /// node's own when the state records them (`homePrefixes`, written by every sync since
    /// `--home-prefix`): homes are created only there, never below the snapshot's.
    static func load(_ ctx: DoctorContext, state: Result<[String: Any], DoctorFS.JSONProblem>?) -> DoctorPolicy {
        var policy = DoctorPolicy()
        let path = ctx.path(DoctorContext.snapshotFile)
        if let data = FileManager.default.contents(atPath: path),
           let body = try? SnapshotOpening.open(data, trust: nil, expectedOrg: nil).document.body {
            policy = DoctorPolicy(body.policy, source: "the policy of org \(body.org) in the last applied snapshot (serial \(body.serial))")
        }
        if case .success(let s)? = state, let prefixes = s["homePrefixes"] as? [String], !prefixes.isEmpty {
            policy.homePrefixes = prefixes
        }
        return policy
    }
}

enum DoctorIDRanges {
    /// `owner:start:count` lines as ranges (malformed lines ignored).
    static func subordinateRanges(_ text: String) -> [(owner: String, range: DoctorRange)] {
        doctorColonRecords(text).compactMap { f in
            guard f.count >= 3, let start = UInt64(f[1]), let count = UInt64(f[2]), count > 0 else { return nil }
            return (String(f[0]), DoctorRange(lower: start, upper: start + count - 1))
        }
    }

    static func check(_ ctx: DoctorContext, policy: DoctorPolicy) -> [DoctorFinding] {
        let name = "id-ranges"
        let files: [(String, String, DoctorRange, DoctorRange)] = [
            ("/etc/subuid", "uid", policy.allocatedUserIDRange, policy.userIDRange),
            ("/etc/subgid", "gid", policy.allocatedGroupIDRange, policy.groupIDRange),
        ]
        var findings: [DoctorFinding] = []
        for (file, kind, allocated, accepted) in files {
            let path = ctx.path(file)
            guard let text = DoctorFS.text(path) else {
                findings.append(.ok(name, "no \(path): no subordinate \(kind) ranges to collide with"))
                continue
            }
            var collisions: [String] = []
            var risks: [String] = []
            for entry in subordinateRanges(text) {
                let shown = "\(entry.owner):\(entry.range)"
                if entry.range.overlaps(allocated) {
                    collisions.append(shown)
                } else if entry.range.overlaps(accepted) {
                    risks.append(shown)
                }
            }
            if !collisions.isEmpty {
                findings.append(.warn(name, "\(path) entries \(collisions.joined(separator: ", ")) overlap the "
                                        + "allocated \(kind) range \(allocated) (\(policy.source)): ids handed to IdP "
                                        + "users collide with container ids",
                                      fix: "move the subordinate ranges above \(allocated.upper) (usermod --del-sub\(kind)s/"
                                        + "--add-sub\(kind)s) or change the org's allocation range"))
            }
            if !risks.isEmpty {
                findings.append(.warn(name, "\(path) entries \(risks.joined(separator: ", ")) overlap the \(kind) range "
                                        + "\(accepted) an IdP may send (\(policy.source))",
                                      fix: "narrow the org's \(kind) range to exclude them, or make sure the IdP never "
                                        + "sends ids there"))
            }
            if collisions.isEmpty && risks.isEmpty {
                findings.append(.ok(name, "\(path) does not overlap the \(kind) ranges \(allocated) / \(accepted)"))
            }
        }
        return findings
    }
}
