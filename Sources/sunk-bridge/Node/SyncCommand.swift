// `sunk-bridge sync`: what cron or the systemd timer runs on every node.
import ArgumentParser
import Foundation
import NodeSync
import SunkSnapshot

struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Fetch the snapshot and write the node's NSS files, keys cache and state.",
        discussion: """
            Nothing is written unless the snapshot's signature (--trust-key), digest and every entry check out and the guards pass \
            (no empty snapshot over a populated node, no more removals than --max-delete-percent). Only \
            changed files are replaced, each atomically. Exit 0 on success or when nothing changed, 1 when \
            the snapshot was refused or could not be fetched (reason in `sunk-bridge status`), 75 when \
            another sync holds the lock.
            """)

    @OptionGroup(title: "Snapshot source")
    var source: SnapshotSourceOptions

    @Flag(name: .customLong("accept-rollback"),
          help: "Apply a snapshot older than the applied one from the same receiver database (once, after a restore).")
    var acceptRollback = false

    @Flag(name: .customLong("accept-changes"),
          help: "Apply the mass changes the guards hold (removals over --max-delete-percent, uid/gid changes of existing users, mass locks, mass key replacement), for this run only.")
    var acceptChanges = false

    @Option(help: "Prefix of every path read or written (default /).")
    var root: String?

    @Option(name: .customLong("nss-format"), help: "extrausers (default) or cache (libnss-cache).")
    var nssFormat: String?

    @Option(name: .customLong("max-delete-percent"),
            help: "Refuse to remove more than this percentage of the current users (at least 5 are always allowed; default 10).")
    var maxDeletePercent: Int?

    @Flag(name: .customLong("dry-run"), help: "Print the passwd/group diff and write nothing.")
    var dryRun = false

    @Flag(name: .customLong("create-homes"), inversion: .prefixedNo,
          help: "Create missing homes of active users below the allowed prefixes (default: no).")
    var createHomes: Bool?

    @Option(name: .customLong("home-prefix"),
            help: ArgumentHelp("This node's home prefix (repeat for several; default /home).",
                               discussion: "Users whose home is not strictly below one are skipped; homes are created only below them. Never / or a system tree such as /etc, /root, /usr, /var (except /var/home)."))
    var homePrefixes: [String] = []

    @Option(name: .customLong("home-mode"), help: "Octal mode of new homes.")
    var homeMode: String = "0700"

    @Option(name: .customLong("sudo-group"),
            help: ArgumentHelp("Grant sudo to this POSIX group from the identity provider (repeat for several).",
                               discussion: "Writes /etc/sudoers.d/sunk-bridge (root, 0440, checked with `visudo -cf` first) with `%NAME ALL=(ALL:ALL) ALL` after the group file is applied; members are whoever the identity provider puts in the group (locked users are in none). Without any --sudo-group (node.sudoGroups) the file is removed. Never a system group such as sudo, wheel, admin, and never a local group of /etc/group.",
                               valueName: "name"))
    var sudoGroups: [String] = []

    @Flag(name: .customLong("sudo-nopasswd"), inversion: .prefixedNo,
          help: "Write the --sudo-group rules as NOPASSWD: ALL (identity-provider users have no local password; default: no).")
    var sudoNoPassword: Bool?

    @Flag(name: .customLong("terminate-sessions"), inversion: .prefixedNo,
          help: ArgumentHelp("When a user is locked or removed: end their sessions and processes on this node (default: no).",
                             discussion: "After the files that refuse the user are committed: `loginctl terminate-user` where systemd-logind runs, then SIGTERM and, 5 s later, SIGKILL to every process of the uid. Never uid 0 or a local account. Once per lock; recorded for `sunk-bridge status`."))
    var terminateSessions: Bool?

    @Option(name: .customLong("on-lock-exec"),
            help: ArgumentHelp("Command run once per locked or removed user, with their POSIX name and uid appended.",
                               discussion: "Split on spaces, no shell; e.g. `/usr/local/sbin/offboard --cancel-jobs` (which might `scancel --user NAME`). Killed after --on-lock-timeout seconds; its outcome is logged and shown by `status`."))
    var onLockExec: String?

    @Option(name: .customLong("on-lock-timeout"), help: "Seconds --on-lock-exec may run (default 30).")
    var onLockTimeout: Int?

    @Flag(help: ArgumentHelp("Keep running: follow the receiver's change feed and apply each change within seconds.",
                             discussion: "A full sync first, then one request held open on /scim/ORG/export/v1/changes beside --from; each delta is applied as one generation with every check of a sync. Reconnects with exponential backoff and jitter; a full sync whenever the receiver or a refused delta says so. Runs until stopped (sunk-bridge-watch.service); the timer's sync stays the backstop. `sunk-bridge status` shows the connection, serial and lag."))
    var watch = false

    @Option(name: .customLong("watch-wait"),
            help: "Seconds the receiver may hold each --watch request (1…300; default 50, under nginx's 60 s proxy_read_timeout).")
    var watchWait: Int?

    @Flag(help: "Print nothing on success.")
    var quiet = false

    @Option(name: .customLong("config"),
            help: "Configuration file whose node.* keys fill options left out here (default: $SUNK_BRIDGE_CONFIG, else /etc/sunk-bridge/config.yaml if present).")
    var config: String?

    /// Checked after the configuration has filled the options left out (see applyConfiguration).
    func checkOptions() throws {
        // Flag combinations first: they are wrong whatever the environment.
        if !(1...300).contains(watchWait ?? 50) { throw ValidationError("--watch-wait must be 1…300 seconds") }
        if watch {
            if dryRun { throw ValidationError("--watch and --dry-run do not go together") }
            if acceptChanges || acceptRollback {
                throw ValidationError("--accept-changes and --accept-rollback are for one run; give them to a single `sunk-bridge sync`, not to --watch")
            }
        } else if watchWait != nil {
            throw ValidationError("--watch-wait needs --watch")
        }
        try source.check()
        if !(0...100).contains(maxDeletePercent ?? 10) { throw ValidationError("--max-delete-percent must be 0…100") }
        if let command = onLockExec, !(command.split(separator: " ").first?.hasPrefix("/") ?? false) {
            throw ValidationError("--on-lock-exec must start with an absolute path to the program")
        }
        if !(1...3600).contains(onLockTimeout ?? 30) { throw ValidationError("--on-lock-timeout must be 1…3600 seconds") }
        guard let mode = UInt32(homeMode, radix: 8), mode <= 0o7777 else {
            throw ValidationError("--home-mode must be an octal mode such as 0700")
        }
        _ = mode
        _ = try parseNSSFormat(nssFormat ?? NSSFormat.extrausers.rawValue)
        let options = try syncOptions(progress: nil)
        do throws(SyncError) {
            try options.validate()
        } catch {
            throw ValidationError("\(error)")
        }
    }

    /// The options of the run, from flags already filled by the configuration.
    func syncOptions(progress: (@Sendable (Int, Int) -> Void)?, trust: TrustedKeys? = nil) throws -> SyncOptions {
        SyncOptions(
            root: root ?? "/", format: try parseNSSFormat(nssFormat ?? NSSFormat.extrausers.rawValue),
            maxDeletePercent: maxDeletePercent ?? 10, dryRun: dryRun, createHomes: createHomes ?? false,
            homePrefixes: homePrefixes.isEmpty ? SyncOptions.defaultHomePrefixes : homePrefixes,
            homeMode: mode_t(UInt32(homeMode, radix: 8) ?? 0o700), homeProgress: progress, trust: trust,
            acceptRollback: acceptRollback, acceptChanges: acceptChanges,
            sudo: SudoRule(groups: sudoGroups, noPassword: sudoNoPassword ?? false),
            lockActions: LockActionOptions(terminateSessions: terminateSessions ?? false,
                                           onLockExec: onLockExec.map { $0.split(separator: " ").map(String.init) },
                                           execTimeout: onLockTimeout ?? 30))
    }

    func run() async throws {
        var command = self
        try await command.applyConfiguration()
        try command.checkOptions()
        try await command.execute()
    }

    func execute() async throws {
        let snapshots: any SnapshotSource
        do throws(SyncError) {
            snapshots = try source.makeSource()
        } catch {
            printError("sunk-bridge sync: \(error)")
            throw ExitCode(error.exitCode)
        }
        let interactive = isatty(STDERR_FILENO) == 1 && !quiet
        let progress: (@Sendable (Int, Int) -> Void)? = interactive ? Self.homeProgressLine : nil
        let trust: TrustedKeys?
        do throws(SnapshotError) {
            trust = try source.loadTrust()
        } catch {
            printError("sunk-bridge sync: \(error)")
            throw ExitCode(1)
        }
        let options = try syncOptions(progress: progress, trust: trust)
        if watch { return try await follow(snapshots, options: options) }
        let report: SyncReport
        do throws(SyncError) {
            report = try await NodeSyncer(source: snapshots, options: options).run()
        } catch {
            printError("sunk-bridge sync: \(error)")
            throw ExitCode(error.exitCode)
        }
        if dryRun {
            print(report.diff.isEmpty ? "no changes to passwd or group" : report.diff, terminator: "")
            print(report.summary)
            for warning in report.sudoWarnings { printError("sunk-bridge sync: warning: \(warning)") }
            if let refusal = report.refusal {
                printError("sunk-bridge sync: would refuse: \(refusal)")
                throw ExitCode(refusal.exitCode)
            }
            return
        }
        for line in report.homes { printError(line) }
        for record in report.lockActions { printError("sunk-bridge sync: \(record.line)") }
        for warning in report.sudoers?.warnings ?? [] { printError("sunk-bridge sync: warning: \(warning)") }
        if !quiet {
            print(report.summary)
            for skip in report.plan.skipped where skip.origin == .node {
                print("skipped \(skip.kind.rawValue) \(skip.name ?? skip.userName): \(skip.reason)")
            }
        }
    }

    /// `--watch`: runs until the process is stopped.
    func follow(_ snapshots: any SnapshotSource, options: SyncOptions) async throws {
        guard let http = snapshots as? HTTPSnapshotSource else {
            printError("sunk-bridge sync: --watch follows a receiver: give --from https://HOST/scim/ORG/export/v1/snapshot")
            throw ExitCode(64)
        }
        let quiet = self.quiet
        let watcher = NodeWatcher(source: http, options: options, wait: watchWait ?? 50) { line in
            // Unbuffered, one line at a time: the journal shows each step as it happens.
            if !quiet || line.contains("refused") || line.contains("retrying") {
                FileHandle.standardOutput.write(Data((line + "\n").utf8))
            }
        }
        do throws(SyncError) {
            try await watcher.run()
        } catch {
            printError("sunk-bridge sync: \(error)")
            throw ExitCode(error.exitCode)
        }
    }

    /// A progress line on a terminal when many homes are checked.
    @Sendable static func homeProgressLine(done: Int, total: Int) {
        guard total >= 50, done % 50 == 0 || done == total else { return }
        FileHandle.standardError.write(Data("\rhomes: \(done)/\(total)\(done == total ? "\n" : "")".utf8))
    }
}
