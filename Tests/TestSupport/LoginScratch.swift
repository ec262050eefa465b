// The scratch tree of a test that logs in through the real sshd (Tests/e2e/sshd/run.sh).
import Foundation
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// `DIR/keys/id_KEY` (a new ed25519 key; `keys` 0700), `DIR/home/USER` owned by the user's uid (what
/// run.sh mounts over /home), `DIR/root` a node root with the host's accounts, the tree 0711: the
/// modes sshd's and the key helper's ownership checks accept.
public struct LoginScratch: Sendable {
    public let directory: String
    /// The public key line of the key made.
    public let publicKey: String
    private let keyName: String

    public var keys: String { directory + "/keys" }
    public var homes: String { directory + "/home" }
    public var root: String { directory + "/root" }
    /// The private key, for a login case.
    public var privateKey: String { keys + "/id_" + keyName }

    public init(_ label: String, user: String, uid: UInt32, key keyName: String) async throws {
        let fm = FileManager.default
        directory = try temporaryDirectory(label)
        self.keyName = keyName
        try fm.createDirectory(atPath: directory + "/keys", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: directory + "/home/" + user, withIntermediateDirectories: true)
        chmod(directory, 0o711)
        chmod(directory + "/keys", 0o700)
        chmod(directory + "/home", 0o755)
        chown(directory + "/home/" + user, uid, uid)
        try await SSHKeys.generate(at: directory + "/keys/id_" + keyName, comment: "\(user)-\(keyName)")
        publicKey = try String(contentsOfFile: directory + "/keys/id_" + keyName + ".pub", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        try makeNodeRoot(directory + "/root")
        for d in ["", "/etc"] { chmod(directory + "/root" + d, 0o755) }
    }

    /// Removes the tree.
    public func remove() { try? FileManager.default.removeItem(atPath: directory) }
}
