// The org's id ranges against /etc/subuid and /etc/subgid: a subordinate range that overlaps ids
// the IdP may hand out lets a container's root map onto a real user's files.
import Foundation
import SunkModel

struct DoctorRange: Sendable, Equatable, CustomStringConvertible {
    var lower: UInt64
    var upper: UInt64
    func overlaps(_ o: DoctorRange) -> Bool { lower <= o.upper && o.lower <= upper }
    var description: String { "\(lower)–\(upper)" }
}

enum DoctorIDRanges {
    /// `owner:start:count` lines as ranges (malformed lines ignored).
    static func subordinateRanges(_ text: String) -> [(owner: String, range: DoctorRange)] {
        doctorColonRecords(text).compactMap { f in
            guard f.count >= 3, let start = UInt64(f[1]), let count = UInt64(f[2]), count > 0 else { return nil }
            return (String(f[0]), DoctorRange(lower: start, upper: start + count - 1))
        }
    }

    static func check(_ ctx: DoctorContext, policy: Policy, source: String) -> [DoctorFinding] {
        let name = "id-ranges"
        func range(_ r: IDRange) -> DoctorRange { DoctorRange(lower: UInt64(r.lower), upper: UInt64(r.upper)) }
        let files: [(String, String, DoctorRange, DoctorRange)] = [
            ("/etc/subuid", "uid", range(policy.allocatedUserIDRange), range(policy.userIDRange)),
            ("/etc/subgid", "gid", range(policy.allocatedGroupIDRange), range(policy.groupIDRange)),
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
                                        + "allocated \(kind) range \(allocated) (\(source)): ids handed to IdP "
                                        + "users collide with container ids",
                                      fix: "move the subordinate ranges above \(allocated.upper) (usermod --del-sub\(kind)s/"
                                        + "--add-sub\(kind)s) or change the org's allocation range"))
            }
            if !risks.isEmpty {
                findings.append(.warn(name, "\(path) entries \(risks.joined(separator: ", ")) overlap the \(kind) range "
                                        + "\(accepted) an IdP may send (\(source))",
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
