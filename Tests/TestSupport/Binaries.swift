import Foundation
import Testing

/// The one place tests find the programs the package builds.
public enum Binaries {
    /// `sunk-bridge`: `SUNK_BRIDGE_BIN` (`make test` sets it), else the one built next to the
    /// running test binary, else `.build/debug/sunk-bridge` of the source tree.
    public static func sunkBridge() throws -> String {
        try locate("sunk-bridge", variable: "SUNK_BRIDGE_BIN")
    }

    /// `sunk-authorized-keys`: `SUNK_AUTHORIZED_KEYS_BIN` (`make test` sets it to the static
    /// release build), else the one built next to the running test binary, else `.build/debug`.
    public static func authorizedKeysHelper() throws -> String {
        try locate("sunk-authorized-keys", variable: "SUNK_AUTHORIZED_KEYS_BIN")
    }

    /// A product of this package: the environment variable if set (then it must be executable),
    /// else the build directory of the running tests, else `.build/debug` below the source tree.
    /// A missing binary records an issue saying what to do and throws.
    public static func locate(_ name: String, variable: String) throws -> String {
        if let path = ProcessInfo.processInfo.environment[variable], !path.isEmpty {
            guard FileManager.default.isExecutableFile(atPath: path) else {
                Issue.record("\(variable)=\(path) is not an executable file")
                throw MissingBinary(description: "\(variable)=\(path) is not an executable file")
            }
            return path
        }
        var candidates: [String] = []
        var dir = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        // On Linux the runner is `<build>/<Package>PackageTests.xctest` (a file); on some layouts it
        // sits inside a bundle directory: walk up a little.
        for _ in 0..<4 {
            candidates.append(dir.appendingPathComponent(name).path)
            dir = dir.deletingLastPathComponent()
        }
        candidates.append(repositoryRoot + "/.build/debug/" + name)
        if let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) { return found }
        let message = "no \(name) (tried \(candidates.joined(separator: ", "))): run `make test`, which builds it, or set \(variable)"
        Issue.record("\(message)")
        throw MissingBinary(description: message)
    }

    public struct MissingBinary: Error, CustomStringConvertible {
        public var description: String
    }
}

/// The source tree's root (for scripts under Tests/e2e and fixtures under Tests/Fixtures).
public let repositoryRoot: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().path

/// Makes `root` a node root whose local accounts are the host's: `/etc/passwd`, `/etc/group` and
/// `/etc/shells` copied into `root/etc` (replacing any there), as `sync --root` reads them.
public func makeNodeRoot(_ root: String) throws {
    let fm = FileManager.default
    try fm.createDirectory(atPath: root + "/etc", withIntermediateDirectories: true)
    for name in ["passwd", "group", "shells"] {
        if fm.fileExists(atPath: "\(root)/etc/\(name)") { try fm.removeItem(atPath: "\(root)/etc/\(name)") }
        try fm.copyItem(atPath: "/etc/\(name)", toPath: "\(root)/etc/\(name)")
    }
}

/// A fresh directory below the system's temporary directory, `sunk-<label>-<random>`.
public func temporaryDirectory(_ label: String) throws -> String {
    let path = NSTemporaryDirectory() + "sunk-\(label)-" + UUID().uuidString.prefix(8)
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}
