// `sunk-bridge slurm sync`: Slurm accounts and associations from the same signed snapshot as `sync`.
// Thin: the sources and the signature check are `sync`'s; the plan and sacctmgr runs are SlurmSync's.
import ArgumentParser
import Foundation
import NodeSync
import SlurmSync
import SunkConfig
import SunkSnapshot

struct SlurmCommandGroup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "slurm", abstract: "Slurm accounting on the controller (sacctmgr).",
        subcommands: [SlurmSyncCommand.self])
}

struct SlurmSyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Create Slurm accounts and (user, account) associations from the signed snapshot.",
        discussion: """
            Run where sacctmgr reaches slurmdbd. Groups become accounts by the cluster's rules (--account-group-prefix, \
            --map-account, --default-account; slurm.accounts in the configuration). Only accounts marked \
            Organization=sunk-bridge and the user associations in them are ever changed. Locked or removed users are \
            blocked (MaxSubmitJobs=0) or deleted (--on-remove). Exit 0 on success or no change, 1 when refused or \
            when a command failed.
            """)

    @OptionGroup(title: "Snapshot source")
    var source: SnapshotSourceOptions

    @Option(name: .customLong("account-group-prefix"), help: "Groups named PREFIX<account> become accounts (e.g. slurm-).")
    var groupPrefix: String?
    @Option(name: .customLong("map-account"), help: "GROUP=ACCOUNT (repeat for several); wins over the prefix.")
    var maps: [String] = []
    @Option(name: .customLong("parent-account"), help: "Parent of the accounts created (default root).")
    var parent: String?
    @Option(name: .customLong("default-account"), help: "An account every active user gets (and as default account).")
    var defaultAccount: String?
    @Option(name: .customLong("on-remove"), help: "block (default: MaxSubmitJobs=0) or delete, for locked or removed users.")
    var onRemove: String?
    @Flag(name: .customLong("cancel-jobs"), inversion: .prefixedNo,
          help: "With block: also cancel the blocked user's jobs in the managed accounts (default: no).")
    var cancelJobs: Bool?
    @Option(name: .customLong("cluster"), help: "The cluster whose associations are managed (needed when slurmdbd has several).")
    var cluster: String?
    @Option(name: .customLong("max-delete-percent"),
            help: "Refuse to block or remove more than this percentage of the managed associations (at least 5; default 10).")
    var maxDeletePercent: Int?
    @Flag(name: .customLong("dry-run"), help: "Print the sacctmgr commands and change nothing.")
    var dryRun = false
    @Option(name: .customLong("sacctmgr"), help: "Path of sacctmgr (default /usr/bin/sacctmgr).")
    var sacctmgr: String = "/usr/bin/sacctmgr"
    @Option(name: .customLong("scancel"), help: "Path of scancel (default /usr/bin/scancel).")
    var scancel: String = "/usr/bin/scancel"
    @Flag(help: "Print nothing when nothing changed.")
    var quiet = false
    @Option(name: .customLong("config"), help: "Configuration file (slurm.* and node.from/tokenFile/caFile/trustKeyFile).")
    var config: String?

    mutating func applyConfiguration() async throws {
        let file = await ConfigLoader.load(flag: config)
        try file.requireValid(command: "slurm sync", ignoring: ["server.", "database.", "orgs."])
        source.fill(from: file)
        groupPrefix = groupPrefix ?? file.slurmGroupPrefix
        if maps.isEmpty { maps = (file.slurmMaps ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" } }
        parent = parent ?? file.slurmParent
        defaultAccount = defaultAccount ?? file.slurmDefaultAccount
        onRemove = onRemove ?? file.slurmOnRemove
        cancelJobs = cancelJobs ?? file.slurmCancelJobs
        cluster = cluster ?? file.slurmCluster
        maxDeletePercent = maxDeletePercent ?? file.slurmMaxDeletePercent
    }

    func rules() throws -> SlurmAccountRules {
        var map: [String: String] = [:]
        for item in maps {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw ValidationError("--map-account \(item): must be GROUP=ACCOUNT") }
            map[parts[0]] = parts[1]
        }
        guard let removal = SlurmRemoval(rawValue: onRemove ?? "block") else {
            throw ValidationError("--on-remove must be block or delete")
        }
        let rules = SlurmAccountRules(groupPrefix: groupPrefix, maps: map, parent: parent ?? "root",
                                      defaultAccount: defaultAccount, onRemove: removal,
                                      cancelJobs: cancelJobs ?? false, cluster: cluster)
        do throws(SlurmSyncError) { try rules.validate() } catch { throw ValidationError(error.description) }
        return rules
    }

    func checkOptions() throws {
        try source.check()
        if !(0...100).contains(maxDeletePercent ?? 10) { throw ValidationError("--max-delete-percent must be 0…100") }
        _ = try rules()
    }

    func run() async throws {
        var command = self
        try await command.applyConfiguration()
        try command.checkOptions()
        try await command.execute()
    }

    func execute() async throws {
        let snapshots: any SnapshotSource
        let trust: TrustedKeys?
        let data: Data
        do {
            snapshots = try source.makeSource()
            trust = try source.loadTrust()
            guard case .document(let bytes, _, _) = try await snapshots.fetch(ifNoneMatch: nil) else {
                throw SlurmSyncError.snapshot("\(snapshots.label) answered 304 to an unconditional request")
            }
            data = bytes
        } catch {
            printError("sunk-bridge slurm sync: \(error)")
            throw ExitCode(1)
        }
        var options = SlurmSyncOptions(rules: try rules(), dryRun: dryRun, maxDeletePercent: maxDeletePercent ?? 10,
                                       sacctmgr: sacctmgr, scancel: scancel)
        do throws(SyncError) {
            let local = try LocalAccounts.load(NodePaths(root: "/"))
            options.localNames = Set(local.users.keys)
            options.localUIDs = Set(local.uids.keys)
        } catch {
            printError("sunk-bridge slurm sync: \(error)")
            throw ExitCode(1)
        }
        let report: SlurmSyncReport
        do throws(SlurmSyncError) {
            let document = try SlurmSyncer.open(data, trust: trust, expectedOrg: snapshots.expectedOrg)
            report = try SlurmSyncer(options: options, log: { print($0) }).run(document: document)
        } catch {
            printError("sunk-bridge slurm sync: \(error)")
            throw ExitCode(1)
        }
        for note in report.plan.notes { printError("sunk-bridge slurm sync: note: \(note)") }
        if dryRun {
            for command in report.plan.commands { print(command.display) }
            print(report.summary)
            if let refusal = report.refusal {
                printError("sunk-bridge slurm sync: would refuse: \(refusal)")
                throw ExitCode(1)
            }
            return
        }
        if !quiet || !report.plan.commands.isEmpty { print(report.summary) }
    }
}
