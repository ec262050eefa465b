// `sync` takes node.* from the configuration when its flags are absent.
import NodeSync
import SunkConfig

extension SyncCommand {
    /// Fills every option left out on the command line from the configuration (file and
    /// SUNK_BRIDGE_NODE_* variables). `node.from`, `node.tokenFile` and `node.caFile` apply only
    /// when no other source (--snapshot, --db) is given on the command line.
    mutating func applyConfiguration() async throws {
        let file = await ConfigLoader.load(flag: config)
        try file.requireValid(command: "sync", ignoring: ["server.", "database.", "orgs.", "slurm."])
        source.fill(from: file)
        root = root ?? file.nodeRoot
        nssFormat = nssFormat ?? file.nodeNSSFormat
        maxDeletePercent = maxDeletePercent ?? file.nodeMaxDeletePercent
        createHomes = createHomes ?? file.nodeCreateHomes
        if homePrefixes.isEmpty { homePrefixes = file.nodeHomePrefixes ?? [] }
        if sudoGroups.isEmpty { sudoGroups = file.nodeSudoGroups ?? [] }
        sudoNoPassword = sudoNoPassword ?? file.nodeSudoNoPassword
        terminateSessions = terminateSessions ?? file.nodeTerminateSessions
        onLockExec = onLockExec ?? file.nodeOnLockExec
        onLockTimeout = onLockTimeout ?? file.nodeOnLockTimeout
    }
}
