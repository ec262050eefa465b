// Every path a node command reads or writes, below `--root`.
import AuthorizedKeys
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

    /// Where the package installs the trust keys file on a node.
    public static let defaultTrustKeyFile = "/etc/sunk-bridge/trust.pub"
    /// Where the package installs the sshd key helper (`AuthorizedKeysCommand`).
    public static let packagedHelper = "/usr/libexec/sunk-bridge/sunk-authorized-keys"

    /// `root` + an absolute path.
    public func path(_ absolute: String) -> String { root + absolute }

    public var localPasswd: String { path("/etc/passwd") }
    public var localGroup: String { path("/etc/group") }
    public var localShells: String { path("/etc/shells") }
    public var etc: String { path("/etc") }

    /// `/var/lib/extrausers`, read by libnss-extrausers.
    public var extrausersDirectory: String { path("/var/lib/extrausers") }
    /// `/var/lib/sunk-bridge`: lock, generations, the `current` link, the last run's outcome, and the
    /// fixed links `keys.cache`, `state.json`, `snapshot.json` into the current generation.
    public var stateDirectory: String { path(KeysCache.stateDirectory) }
    public var lockFile: String { stateDirectory + "/sync.lock" }
    /// The applied snapshot's state (org, serial, digest, counts…): a link into the current generation.
    public var stateFile: String { stateDirectory + "/state.json" }
    /// The last snapshot applied, re-used when the server answers 304 Not Modified (a link into the
    /// current generation).
    public var lastSnapshot: String { stateDirectory + "/snapshot.json" }
    /// The keys cache read by `sunk-authorized-keys` (a link into the current generation).
    public var keysCache: String { path(KeysCache.relativePath) }
    /// The outcome of the latest run (attempt time, result, error, last success); changes on every
    /// run, so it lives outside the generations.
    public var lastRunFile: String { stateDirectory + "/last-run.json" }
    /// The state of `sync --watch` (connection, serial, lag), rewritten by the watcher as it goes.
    public var watchFile: String { stateDirectory + "/watch.json" }
    /// What `--terminate-sessions` / `--on-lock-exec` did for each closed account, per generation.
    public var lockActionsLog: String { stateDirectory + "/lock-actions.log.json" }
    /// `generations/<G>/`: every file of one generation.
    public var generationsDirectory: String { stateDirectory + "/generations" }
    /// The relative symlink `current` → `generations/<G>`; replacing it is the commit point of a sync.
    public var currentLink: String { stateDirectory + "/current" }
    /// The trust keys `sync --trust-key` reads by default (`sunk-bridge org trust-key ORG` on the receiver).
    public var defaultTrustKeyFile: String { path(NodePaths.defaultTrustKeyFile) }
    /// The directory of generation `name`.
    public func generation(_ name: String) -> String { generationsDirectory + "/" + name }
}
