// Where a node command gets its signed snapshot, and the key it checks it with: the flags `sync`
// and `slurm sync` share, filled from the configuration the same way and checked by one rule.
import ArgumentParser
import NodeSync
import SunkConfig
import SunkSnapshot

struct SnapshotSourceOptions: ParsableArguments {
    @Option(name: .customLong("from"), help: "Snapshot URL: https://HOST/scim/ORG/export/v1/snapshot")
    var from: String?

    @Option(name: .customLong("token-file"), help: "File with the node token (mode 0600 or stricter).")
    var tokenFile: String?

    @Option(name: .customLong("ca-file"), help: "PEM file: the only trust root for the server's certificate.")
    var caFile: String?

    @Option(name: .customLong("trust-key"),
            help: "File of trusted signing keys (`sunk-bridge org trust-key ORG` on the receiver), e.g. /etc/sunk-bridge/trust.pub. Required with --from.")
    var trustKey: String?

    @Option(name: .customLong("snapshot"), help: "Read the snapshot from a file (e.g. from `sunk-bridge export`).")
    var snapshot: String?

    @Option(name: .customLong("db"), help: "Single-node setups: read the published snapshot from this database file.")
    var db: String?

    @Option(name: .customLong("org"), help: "With --db: the org to export (default: default).")
    var org: String = "default"

    /// Fills what the command line left out from `node.*`: `node.from`, `node.tokenFile` and
    /// `node.caFile` apply only when no other source (--snapshot, --db) was given.
    mutating func fill(from file: SunkConfiguration) {
        if from == nil && snapshot == nil && db == nil { from = file.nodeFrom }
        if from != nil {
            tokenFile = tokenFile ?? file.nodeTokenFile
            caFile = caFile ?? file.nodeCAFile
        }
        trustKey = trustKey ?? file.nodeTrustKeyFile
    }

    /// Exactly one source; a network source only with a token and the keys to verify what it sends.
    func check() throws {
        let sources = [from != nil, snapshot != nil, db != nil].filter { $0 }.count
        if sources != 1 { throw ValidationError("give exactly one of --from URL, --snapshot FILE or --db PATH") }
        if from != nil && tokenFile == nil { throw ValidationError("--from needs --token-file") }
        if from != nil && trustKey == nil {
            throw ValidationError("--from needs --trust-key FILE (node.trustKeyFile): a node only applies snapshots signed by a key it was given. On the receiver run `sunk-bridge org trust-key ORG` and install its output as \(NodePaths.defaultTrustKeyFile)")
        }
        if from == nil && (tokenFile != nil || caFile != nil) {
            throw ValidationError("--token-file and --ca-file only apply to --from")
        }
        // A node never opens the receiver's PostgreSQL database: it reads what a receiver publishes.
        if let db, db.hasPrefix("postgresql://") || db.hasPrefix("postgres://") {
            throw ValidationError("--db reads an SQLite file on a single-node setup; with PostgreSQL, sync from a receiver: --from https://RECEIVER/scim/ORG/export/v1/snapshot --token-file FILE --trust-key FILE")
        }
    }

    /// The source the flags name (after `check`).
    func makeSource() throws(SyncError) -> any SnapshotSource {
        if let from, let tokenFile {
            return try HTTPSnapshotSource(url: from, tokenFile: tokenFile, caFile: caFile)
        }
        if let db { return DatabaseSnapshotSource(path: db, org: org) }
        return FileSnapshotSource(path: snapshot ?? "")
    }

    /// The trusted keys of `--trust-key`, nil when none was given (local sources only).
    func loadTrust() throws(SnapshotError) -> TrustedKeys? {
        try trustKey.map { path throws(SnapshotError) in try TrustedKeys.load(path: path) }
    }
}
