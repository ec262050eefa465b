// Shared bits of the node commands (sync, getent, status).
import ArgumentParser
import Foundation
import NodeSync

/// Writes one line to standard error.
func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// Parses `--nss-format`.
func parseNSSFormat(_ text: String) throws -> NSSFormat {
    guard let format = NSSFormat(rawValue: text) else {
        throw ValidationError("--nss-format must be one of: "
            + NSSFormat.allCases.map(\.rawValue).joined(separator: ", "))
    }
    return format
}

/// The snapshot source the flags name (checked beforehand: exactly one of them), shared by `sync`
/// and `slurm sync`: `--from URL --token-file F [--ca-file F]`, `--db PATH [--org ORG]` or `--snapshot FILE`.
func snapshotSource(from: String?, tokenFile: String?, caFile: String?, db: String?, org: String,
                    snapshot: String?) throws(SyncError) -> any SnapshotSource {
    if let from, let tokenFile {
        return try HTTPSnapshotSource(url: from, tokenFile: tokenFile, caFile: caFile)
    }
    if let db { return DatabaseSnapshotSource(path: db, org: org) }
    return FileSnapshotSource(path: snapshot ?? "")
}
