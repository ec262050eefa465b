// Runs sacctmgr and scancel with an argument vector (a `ChildProcess`; no shell), and puts fetch →
// verify → read state → plan → guard → apply together.
import Foundation
import ProcessRunner
import SunkSnapshot

/// Runs one program and returns its exit status and output. Tests replace it.
public protocol SlurmExecutor: Sendable {
    func run(_ program: String, _ arguments: [String]) throws(SlurmSyncError) -> (status: Int32, stdout: String, stderr: String)
}

/// The real programs, found at fixed paths (or given ones): `sacctmgr`, `scancel`.
public struct ProcessSlurmExecutor: SlurmExecutor {
    public init() {}

    /// Output kept of each stream. sacctmgr's state of a large cluster is a few MB; past this the
    /// run stops rather than parse a cut listing.
    public static let outputLimit = 256 << 20

    public func run(_ program: String, _ arguments: [String]) throws(SlurmSyncError) -> (status: Int32, stdout: String, stderr: String) {
        let result: ChildResult
        do throws(ChildLaunchError) {
            result = try ChildProcess(program, arguments, outputLimit: Self.outputLimit).run()
        } catch {
            throw .command(tool: program, arguments: arguments, status: 127, output: "cannot run: \(error)")
        }
        if result.truncated {
            throw .command(tool: program, arguments: arguments, status: result.status,
                           output: "more than \(Self.outputLimit >> 20) MiB of output")
        }
        return (result.status, result.standardOutput, result.standardError)
    }
}

/// Options of one `slurm sync` run.
public struct SlurmSyncOptions: Sendable {
    public var rules: SlurmAccountRules
    public var dryRun: Bool
    public var maxDeletePercent: Int
    public var sacctmgr: String
    public var scancel: String
    /// The host's own user names and uids (its `/etc/passwd`): such IdP users are skipped.
    public var localNames: Set<String> = []
    public var localUIDs: Set<UInt32> = []
    public init(rules: SlurmAccountRules, dryRun: Bool = false, maxDeletePercent: Int = 10,
                sacctmgr: String = "/usr/bin/sacctmgr", scancel: String = "/usr/bin/scancel") {
        self.rules = rules
        self.dryRun = dryRun
        self.maxDeletePercent = maxDeletePercent
        self.sacctmgr = sacctmgr
        self.scancel = scancel
    }
}

/// What a run did (or, with `dryRun`, would do).
public struct SlurmSyncReport: Sendable {
    public var org: String
    public var serial: Int64
    public var plan: SlurmPlan
    /// Commands run, in order (empty for a dry run).
    public var applied: [SlurmCommand]
    /// The guard that refused (dry run only; a real run throws it).
    public var refusal: SlurmSyncError?

    public var summary: String {
        let n = plan.commands.count
        if n == 0 { return "slurm sync: org \(org) serial \(serial): no change (\(plan.managedAssociations) managed associations)" }
        let verb = applied.isEmpty ? "would run" : "ran"
        return "slurm sync: org \(org) serial \(serial): \(verb) \(n) command\(n == 1 ? "" : "s") (\(plan.removals) blocks or removals of \(plan.managedAssociations) managed associations)"
    }
}

public struct SlurmSyncer: Sendable {
    public let options: SlurmSyncOptions
    public let executor: any SlurmExecutor
    /// Called with one line per change as it is made (the log).
    public let log: @Sendable (String) -> Void

    public init(options: SlurmSyncOptions, executor: any SlurmExecutor = ProcessSlurmExecutor(),
                log: @escaping @Sendable (String) -> Void = { _ in }) {
        self.options = options
        self.executor = executor
        self.log = log
    }

    /// Opens and checks the received bytes exactly as `sync` does: signature against `trust` before
    /// the document is parsed, the expected org, format and digest, then every entry.
    public static func open(_ data: Data, trust: TrustedKeys?, expectedOrg: String?) throws(SlurmSyncError) -> SnapshotDocument {
        do throws(SnapshotError) {
            let opened = try SnapshotOpening.open(data, trust: trust, expectedOrg: expectedOrg)
            try opened.document.validated()
            return opened.document
        } catch {
            throw .snapshot("\(error)")
        }
    }

    /// Reads the current accounting state with `sacctmgr -n -P`.
    public func readState() throws(SlurmSyncError) -> SlurmState {
        var outputs: [String] = []
        for query in SlurmState.queries(cluster: options.rules.cluster) {
            let args = ["-n", "-P"] + query
            let r = try executor.run(options.sacctmgr, args)
            guard r.status == 0 else {
                throw .command(tool: options.sacctmgr, arguments: args, status: r.status, output: r.stderr + r.stdout)
            }
            outputs.append(r.stdout)
        }
        let state = try SlurmState.parse(accounts: outputs[0], associations: outputs[1], users: outputs[2])
        if options.rules.cluster == nil && state.clusters.count > 1 {
            throw .usage("slurmdbd holds associations of several clusters (\(state.clusters.sorted().joined(separator: ", "))): give --cluster NAME")
        }
        return state
    }

    /// Plans against the current state, applies the guard, and runs the commands in order (or, with
    /// `dryRun`, only reports them). A failing command does not stop the others (each is one
    /// independent change, e.g. Slurm refuses to delete an association with running jobs until they
    /// end); the run then throws `.failed` naming each failure, after logging what was done.
    public func run(document: SnapshotDocument) throws(SlurmSyncError) -> SlurmSyncReport {
        try options.rules.validate()
        let body = document.body
        let state = try readState()
        let plan = SlurmPlanner.plan(body: body, state: state, rules: options.rules,
                                     localNames: options.localNames, localUIDs: options.localUIDs)
        var report = SlurmSyncReport(org: body.org, serial: body.serial, plan: plan, applied: [], refusal: nil)
        if options.dryRun {
            do throws(SlurmSyncError) {
                try SlurmPlanner.guardCheck(plan, body: body, maxDeletePercent: options.maxDeletePercent)
            } catch { report.refusal = error }
            return report
        }
        try SlurmPlanner.guardCheck(plan, body: body, maxDeletePercent: options.maxDeletePercent)
        var failures: [SlurmSyncError] = []
        for command in plan.commands {
            let program = command.tool == .sacctmgr ? options.sacctmgr : options.scancel
            let r = try executor.run(program, command.argv)
            guard r.status == 0 else {
                let failure = SlurmSyncError.command(tool: command.tool.rawValue, arguments: command.argv,
                                                     status: r.status, output: r.stderr + r.stdout)
                log("slurm sync: \(command.reason): FAILED: \(failure)")
                failures.append(failure)
                continue
            }
            report.applied.append(command)
            log("slurm sync: \(command.reason): \(command.display)")
        }
        if !failures.isEmpty { throw .failed(failures.map(\.description), applied: report.applied.count) }
        return report
    }
}
