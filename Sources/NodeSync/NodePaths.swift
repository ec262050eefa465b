// Every path a node command reads or writes, below `--root`.
import Foundation

/// The node's files, each prefixed by `root` (`"/"` on a real node, a scratch directory in tests).
public struct NodePaths: Sendable, Equatable {
    /// The root as given, without trailing slashes (`""` for `/`).
    public let root: String

    /// A relative `root` is taken relative to the current directory.
    public init(root: String) {
        var r = root
        if !r.hasPrefix("/") {
            r = FileManager.default.currentDirectoryPath + "/" + r
        }
        while r.hasSuffix("/") { r.removeLast() }
        self.root = r
    }

    /// `root` + an absolute path.
    public func path(_ absolute: String) -> String { root + absolute }

    public var localPasswd: String { path("/etc/passwd") }
    public var localGroup: String { path("/etc/group") }
    public var localShells: String { path("/etc/shells") }
    public var etc: String { path("/etc") }

    /// `/var/lib/extrausers`, read by libnss-extrausers.
    public var extrausersDirectory: String { path("/var/lib/extrausers") }
    /// `/var/lib/sunk-bridge`: lock, state, last good snapshot, keys cache.
    public var stateDirectory: String { path("/var/lib/sunk-bridge") }
    public var lockFile: String { stateDirectory + "/sync.lock" }
    public var stateFile: String { stateDirectory + "/state.json" }
    /// The last snapshot applied, re-used when the server answers 304 Not Modified.
    public var lastSnapshot: String { stateDirectory + "/snapshot.json" }
    public var keysCache: String { stateDirectory + "/keys.cache" }
}
