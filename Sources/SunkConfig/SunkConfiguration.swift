// The configuration after the file and the SUNK_BRIDGE_* environment, before any command-line flag.
import SunkModel

/// The configuration after file and environment, before flags. Nil means "not configured".
public struct SunkConfiguration: Sendable {
    /// The file that was read (nil when the default file does not exist).
    public var path: String?
    public var listen: String?
    public var publicURL: String?
    public var tlsCert: String?
    public var tlsKey: String?
    public var maxBodyBytes: Int?
    public var databasePath: String?
    /// Orgs named in the file, sorted by name.
    /// Their `orgs.<name>.policy` keys; absent ones leave the org's policy as it is.
    public var orgs: [(name: String, policy: PolicyPatch)] = []
    public var nodeRoot: String?
    public var nodeNSSFormat: String?
    public var nodeMaxDeletePercent: Int?
    public var nodeCreateHomes: Bool?
    /// The node's own home prefixes (`sync --home-prefix`); nil leaves the default `/home`.
    public var nodeHomePrefixes: [String]?
    public var nodeFrom: String?
    public var nodeTokenFile: String?
    public var nodeCAFile: String?
    public var nodeTrustKeyFile: String?
    /// Groups granted sudo in /etc/sudoers.d/sunk-bridge (`sync --sudo-group`); nil or empty: none.
    public var nodeSudoGroups: [String]?
    /// `sync --sudo-nopasswd`.
    public var nodeSudoNoPassword: Bool?
    /// `sync --terminate-sessions`.
    public var nodeTerminateSessions: Bool?
    /// `sync --on-lock-exec` (a command line, split on spaces).
    public var nodeOnLockExec: String?
    /// `sync --on-lock-timeout`.
    public var nodeOnLockTimeout: Int?
    /// `slurm sync`: which groups become accounts and what happens to users who leave.
    public var slurmGroupPrefix: String?
    public var slurmMaps: [String: String]?
    public var slurmParent: String?
    public var slurmDefaultAccount: String?
    public var slurmOnRemove: String?
    public var slurmCancelJobs: Bool?
    public var slurmCluster: String?
    public var slurmMaxDeletePercent: Int?
    /// Everything wrong, file problems first, then values in the order of the sections.
    public var problems: [ConfigProblem] = []
    /// Where `server.tls.cert` and `server.tls.key` came from (file line or environment variable).
    public var sources: [String: String] = [:]

    /// The problems split for one command: those whose key starts with one of `ignored` (e.g.
    /// `node.` for `serve`) are warnings, the others errors.
    public func triage(ignoring ignored: [String] = []) -> ConfigTriage {
        triage { problem in !ignored.contains(where: { problem.key.hasPrefix($0) }) }
    }

    /// The problems split for one command: those `fatal` accepts are errors, the others warnings.
    public func triage(fatal: (ConfigProblem) -> Bool) -> ConfigTriage {
        ConfigTriage(errors: problems.filter(fatal), warnings: problems.filter { !fatal($0) })
    }
}
