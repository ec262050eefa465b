// `sunk-bridge sync`: fetch, verify, apply the node floor, guard, write a new generation, record state.
import AuthorizedKeys
import Foundation
import SunkModel
import SunkSnapshot
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Runs one sync. Nothing is written unless the snapshot passed every check and guard; then every
/// node file of the snapshot changes at once, as one generation (`GenerationStore`).
///
/// Order: lock → recover (remove what a killed run left half-done) → fetch → verify (signature, org,
/// format, digest, rollback) → validate every entry → node floor → render → keys cache rendered →
/// guards (empty, removals, uid/gid changes, mass locks, mass key replacement) →
/// adopt the layout (fixed paths become links into `current`; the layout before generations is
/// captured first) → new generation (NSS files, cache indexes after their data, keys cache, last
/// snapshot, state.json), unless every file equals the current generation's → switch `current` (the
/// commit point) → prune old generations → homes → sudoers (`/etc/sudoers.d/sunk-bridge`, from the
/// node's `--sudo-group` only, after the group file that fills those groups is current) →
/// last-run.json. Any failure before the switch leaves every reader on the old generation (a sudo
/// rule that only narrows is still applied then: revocation never waits for the receiver); the
/// outcome of every run is recorded in last-run.json.
public struct NodeSyncer: Sendable {
    public let source: any SnapshotSource
    public let options: SyncOptions

    public init(source: any SnapshotSource, options: SyncOptions) {
        self.source = source
        self.options = options
    }

    public func run() async throws(SyncError) -> SyncReport {
        try options.validate()
        let paths = NodePaths(root: options.root)
        if source.requiresSignature && options.trust == nil {
            throw .usage("\(source.label): a snapshot fetched over the network is only applied when signed by a trusted key; give --trust-key FILE (node.trustKeyFile) with the line `sunk-bridge org trust-key ORG` prints on the receiver")
        }
        if options.dryRun { return try await dryRun(paths) }
        try SystemCall.makeDirectories(paths.stateDirectory)
        let lock = try SyncLock(path: paths.lockFile)
        defer { lock.release() }
        var state = (try? SyncState.load(paths)) ?? SyncState()
        state.lastAttempt = options.now()
        do throws(SyncError) {
            try GenerationStore(paths: paths, failurePoint: options.failurePoint).recover()
            let report = try await apply(paths, state: &state)
            state.lastResult = report.result == .applied ? .applied
                : report.result == .notModified ? .notModified : .unchanged
            state.lastError = nil
            state.held = []
            state.lastSuccess = options.now()
            state.sudoers = report.sudoers
            state.fingerprint = NodeFingerprint.make(options: options, paths: paths)
            try saveLastRun(state.lastRun, paths)
            return report
        } catch {
            state.lastResult = .failed
            state.lastError = error.description
            state.fingerprint = nil
            if case .held(let lines) = error { state.held = lines } else { state.held = [] }
            state.sudoers = nil
            if case .sudoers = error {} else {
                // Stopped before the sudo step: a rule that grants nothing new is applied anyway.
                state.sudoers = try? Sudoers.apply(options.sudo, paths: paths, visudo: visudo, warnings: [],
                                                   narrowingOnly: true, failurePoint: options.failurePoint)
            }
            try? saveLastRun(state.lastRun, paths)
            throw error
        }
    }

    private var visudo: String? { options.visudo ?? Sudoers.findVisudo() }

    private func saveLastRun(_ run: LastRun, _ paths: NodePaths) throws(SyncError) {
        try options.failurePoint?("write var/lib/sunk-bridge/last-run.json")
        try run.save(paths)
    }

    // MARK: - Steps

    private struct Prepared {
        /// What was received, as kept for a later 304 (the signed envelope, or a bare document).
        var received: Data
        var envelope: SignedSnapshot?
        var document: SnapshotDocument
        var plan: NodePlan
        var files: NSSFileSet
        var keys: [UInt8]
        var current: CurrentAccounts
        var local: LocalAccounts
    }

    /// Checks what was received: signature against the node's trust keys (before anything of the
    /// document is parsed), org, format and digest, then every entry.
    private func open(_ data: Data, known: SnapshotDocument? = nil) throws(SyncError) -> SnapshotOpening.Opened {
        do throws(SnapshotError) {
            let opened = try SnapshotOpening.open(data, trust: options.trust, expectedOrg: source.expectedOrg,
                                                  known: known)
            try opened.document.validated()
            return opened
        } catch {
            throw .snapshot(error)
        }
    }

    /// Everything up to the guards; writes nothing.
    private func prepare(_ opened: SnapshotOpening.Opened, paths: NodePaths) throws(SyncError) -> Prepared {
        let document = opened.document
        let local = try LocalAccounts.load(paths)
        for group in options.sudo.groups where local.groups[group] != nil {
            throw .sudoers("--sudo-group \(group) is a local group in /etc/group on this node: sunk-bridge grants sudo only to groups from the identity provider (grant local groups in /etc/sudoers yourself); node files unchanged")
        }
        let plan = NodeFloor.plan(document.body, local: local, homePrefixes: options.homePrefixes)
        let shadowGID = local.groups["shadow"].map { $0 == UInt32.max ? 0 : $0 } ?? 0
        let files = NSSFileSet(plan: plan, format: options.format, paths: paths, shadowGID: gid_t(shadowGID))
        let entries = plan.users.map { KeysCacheEntry(name: $0.name, uid: $0.uid, keys: $0.keys) }
        let keys: [UInt8]
        do throws(KeysCacheError) {
            keys = try KeysCacheWriter.render(entries: entries, options: document.body.policy.keyOptions)
        } catch {
            throw .keysCache(error.description)
        }
        let current = try CurrentAccounts.load(passwdPath: options.format.passwdPath(paths),
                                               shadowPath: options.format.shadowPath(paths), keysCachePath: paths.keysCache)
        return Prepared(received: opened.bytes, envelope: opened.envelope, document: document, plan: plan,
                        files: files, keys: keys, current: current, local: local)
    }

    private func apply(_ paths: NodePaths, state: inout SyncState) async throws(SyncError) -> SyncReport {
        let stored = state.digest == nil ? nil : try SystemCall.read(paths.lastSnapshot)
        var etag = state.etag
        var notModified = false
        let opened: SnapshotOpening.Opened
        switch try await source.fetch(ifNoneMatch: stored == nil ? nil : state.etag) {
        case .notModified:
            guard let stored else {
                throw .fetch(url: source.label, reason: "server answered 304 Not Modified but this node has no stored snapshot")
            }
            if let current = try alreadyCurrent(paths, state: state) { return current }
            // The kept copy is checked again like a fresh one: the trust keys may have changed since.
            if let reopened = try? open(Data(stored)) {
                opened = reopened
                notModified = true
            } else {
                guard case .document(let data, let e, _) = try await source.fetch(ifNoneMatch: nil) else {
                    throw .fetch(url: source.label, reason: "server answered 304 to an unconditional request")
                }
                opened = try open(data)
                etag = e
            }
        case .document(let data, let e, let known):
            opened = try open(data, known: known)
            etag = e
        }
        let instanceChange = try checkRollback(opened, state: state)
        let p = try prepare(opened, paths: paths)
        try SyncGuards.check(current: p.current, planned: p.plan, maxDeletePercent: options.maxDeletePercent,
                             acceptChanges: options.acceptChanges)

        let body = p.document.body
        state.org = body.org
        state.serial = body.serial
        state.instance = p.envelope?.instance
        if let instanceChange { state.instanceChange = instanceChange }
        state.digest = p.document.digest
        state.etag = etag
        state.source = source.label
        state.format = options.format
        state.counts = SyncState.Counts(p.plan)
        state.skipped = p.plan.skipped
        state.homePrefixes = options.homePrefixes

        let store = GenerationStore(paths: paths, failurePoint: options.failurePoint)
        try store.adopt(NodeLayout.links(options.format, paths: paths))
        let files = p.files.generationFiles + [
            GenerationFile(name: KeysCache.fileName, contents: p.keys, attributes: FileAttributes(mode: 0o644),
                           reportedPath: paths.keysCache),
            GenerationFile(name: "snapshot.json", contents: [UInt8](p.received),
                           attributes: FileAttributes(mode: 0o600)),
            GenerationFile(name: "state.json", contents: try state.generationFileBytes(),
                           attributes: FileAttributes(mode: 0o644)),
        ] + [try LockActions.pendingFile(LockActions.closing(current: p.current, plan: p.plan),
                                         options: options.lockActions)].compactMap { $0 }
        let committed = try store.commit(files)
        let written = committed?.written ?? []
        // Sessions end first: the files that refuse the user are already what readers see.
        try options.failurePoint?("lock actions")
        let lockActions = try LockActions.runPending(paths: paths, options: options.lockActions, local: p.local,
                                                     now: options.now())
        let homes = options.createHomes ? createHomes(p.plan) : []
        let sudoers = try applySudoers(p.plan, paths: paths, generation: committed?.name)

        let result: SyncReport.Result = !written.isEmpty ? .applied : notModified ? .notModified : .unchanged
        return SyncReport(result: result, org: body.org, serial: body.serial, digest: p.document.digest,
                          plan: p.plan, writtenFiles: written, diff: "", refusal: nil, homes: homes,
                          generation: committed?.name, sudoers: sudoers, lockActions: lockActions,
                          publishedAt: body.publishedAt)
    }

    /// The receiver answered 304 and nothing the node's files are made from, nor those files, changed
    /// since the last successful run (`NodeFingerprint`): the full run would write nothing, so it is
    /// not made. Lock actions a killed run left pending for the current generation still run.
    private func alreadyCurrent(_ paths: NodePaths, state: SyncState) throws(SyncError) -> SyncReport? {
        guard let recorded = state.fingerprint, let org = state.org, let serial = state.serial,
              let digest = state.digest, recorded == NodeFingerprint.make(options: options, paths: paths)
        else { return nil }
        let lockActions = options.lockActions.isEmpty ? []
            : try LockActions.runPending(paths: paths, options: options.lockActions, local: try LocalAccounts.load(paths),
                                         now: options.now())
        var sudoers = state.sudoers
        if let action = sudoers?.action {
            sudoers?.action = action == .written ? .unchanged : action == .removed ? .none : action
        }
        var report = SyncReport(result: .notModified, org: org, serial: serial, digest: digest,
                                plan: NodePlan(users: [], groups: [], skipped: []), writtenFiles: [], diff: "",
                                refusal: nil, homes: [], generation: nil, sudoers: sudoers, lockActions: lockActions)
        report.counts = state.counts
        return report
    }

    /// The sudo step, after the generation switch: the groups the rule names are now in the group
    /// file readers see. A failure leaves the sudoers file as it was (never half written) and fails
    /// the run, saying that the NSS files were applied.
    private func applySudoers(_ plan: NodePlan, paths: NodePaths, generation: String?) throws(SyncError)
        -> SudoersOutcome?
    {
        var warnings = Sudoers.warnings(options.sudo, plan: plan)
        if !options.sudo.isEmpty, let include = Sudoers.includeWarning(paths) { warnings.append(include) }
        do throws(SyncError) {
            return try Sudoers.apply(options.sudo, paths: paths, visudo: visudo, warnings: warnings,
                                     failurePoint: options.failurePoint)
        } catch {
            let applied = "the NSS files and keys cache are applied (generation \(generation ?? GenerationStore.currentName(paths) ?? "?")), \(Sudoers.path) is unchanged"
            if case .sudoers(let message) = error { throw .sudoers("\(message); \(applied)") }
            throw .sudoers("\(error); \(applied)")
        }
    }

    private func dryRun(_ paths: NodePaths) async throws(SyncError) -> SyncReport {
        let fetched = try await source.fetch(ifNoneMatch: nil)
        guard case .document(let data, _, _) = fetched else {
            throw .fetch(url: source.label, reason: "server answered 304 to an unconditional request")
        }
        let opened = try open(data)
        let state = (try? SyncState.load(paths)) ?? SyncState()
        let p = try prepare(opened, paths: paths)
        var refusal: SyncError?
        do throws(SyncError) {
            _ = try checkRollback(opened, state: state)
            try SyncGuards.check(current: p.current, planned: p.plan, maxDeletePercent: options.maxDeletePercent,
                                 acceptChanges: options.acceptChanges)
        } catch {
            refusal = error
        }
        var diff = ""
        for (label, file) in [("passwd", p.files.files[1]), ("group", p.files.files[0])] {
            let old = try SystemCall.read(file.path) ?? []
            diff += SyncDiff.diff(label: file.path.isEmpty ? label : file.path, old: old, new: file.contents)
        }
        let body = p.document.body
        return SyncReport(result: .dryRun, org: body.org, serial: body.serial, digest: p.document.digest,
                          plan: p.plan, writtenFiles: [], diff: diff, refusal: refusal, homes: [], generation: nil,
                          sudoers: nil, sudoWarnings: Sudoers.warnings(options.sudo, plan: p.plan))
    }

    /// A lower serial from the database instance this node last applied is a rollback (a restored
    /// backup, a replayed document): refused unless `acceptRollback`. Another instance is allowed and
    /// returned as a note for `status`.
    private func checkRollback(_ opened: SnapshotOpening.Opened, state: SyncState) throws(SyncError) -> String? {
        guard let instance = opened.envelope?.instance, let previous = state.instance else { return nil }
        let serial = opened.document.body.serial
        if instance == previous {
            if let applied = state.serial, serial < applied, !options.acceptRollback {
                throw .rollback(instance: instance, offered: serial, applied: applied)
            }
            return nil
        }
        return "database instance changed from \(previous) (serial \(state.serial ?? 0)) to \(instance) (serial \(serial)) at \(StatusReport.iso(options.now()))"
    }

    /// Creates missing homes of active users below the node's own prefixes (never the snapshot's);
    /// returns one line per home that was created or needs attention. Failures are reported, never
    /// fatal (root_squash NFS, foreign owners).
    private func createHomes(_ plan: NodePlan) -> [String] {
        let creator = HomeCreator(root: NodePaths(root: options.root).root, prefixes: options.homePrefixes,
                                  mode: options.homeMode)
        let active = plan.users.filter { !$0.locked }
        var lines: [String] = []
        for (index, user) in active.enumerated() {
            let outcome = creator.ensureHome(path: user.home, uid: user.uid, gid: user.gid)
            if outcome != .alreadyOwned { lines.append("home \(user.home) of \(user.name): \(outcome)") }
            options.homeProgress?(index + 1, active.count)
        }
        return lines
    }
}
