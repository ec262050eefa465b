// What changed between the publications this receiver built for one org: the change feed's
// memory. Compacted from the oldest end; the snapshot stays the source of truth (a node whose
// serial is no longer covered fetches it whole).
import SunkSnapshot

/// The ids touched by each step between consecutive publications of one org, from one database
/// instance. A step is the difference of two published bodies, so it is exact for a node that
/// holds one of the publications the log knows (`base` or a step's serial); for any other serial
/// it says nothing (an entry changed and changed back between two publications is in no step).
struct PublicationLog: Sendable {
    /// The ids whose entries differ between one publication and the next, and whether the policy did.
    typealias Changes = SnapshotDelta.Changes

    struct Step: Sendable {
        /// The publication this step leads to.
        var serial: Int64
        var changes: Changes
    }

    /// The most steps kept.
    static let maxSteps = 1024
    /// The most touched ids kept over all steps (about 40 bytes each).
    static let maxTouched = 200_000

    /// The database instance the publications came from.
    let instance: String
    /// The oldest publication changes are known from.
    private(set) var base: Int64
    /// Ascending by serial; each leads from the previous step's serial (or `base`).
    private(set) var steps: [Step] = []
    private var touched = 0

    init(instance: String, base: Int64) {
        self.instance = instance
        self.base = base
    }

    /// The newest publication the log knows.
    var latest: Int64 { steps.last?.serial ?? base }

    /// Records the step from `old` (the log's `latest` publication) to `new`; then drops the oldest
    /// steps beyond the limits.
    mutating func record(from old: SnapshotBody, to new: SnapshotBody) {
        precondition(old.serial == latest && new.serial > old.serial, "steps are recorded in order")
        let changes = SnapshotDelta.changes(from: old, to: new)
        steps.append(Step(serial: new.serial, changes: changes))
        touched += changes.count
        while steps.count > Self.maxSteps || (touched > Self.maxTouched && steps.count > 1) {
            let dropped = steps.removeFirst()
            base = dropped.serial
            touched -= dropped.changes.count
        }
    }

    /// Everything touched after publication `serial` up to `latest`; nil when `serial` is not a
    /// publication the log knows (older than `base`, compacted away, or never published here).
    func changes(since serial: Int64) -> Changes? {
        guard serial == base || steps.contains(where: { $0.serial == serial }) else { return nil }
        var all = Changes()
        for step in steps where step.serial > serial { all.formUnion(step.changes) }
        return all
    }
}
