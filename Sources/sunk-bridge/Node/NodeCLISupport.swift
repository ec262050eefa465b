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
