// Scratch node roots for the key helper (root-owned, below /run) and the helper's binary and the
// sshd e2e script: shared by AuthorizedKeysTests and NodeSyncTests.
import Foundation
import Testing
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Shared by the AuthorizedKeys*Tests files.
public enum AKSupport {
    /// An ed25519 public key line built from a seed (valid wire format; no private key exists).
    public static func ed25519(_ seed: Int, comment: String? = nil) -> String {
        var blob: [UInt8] = []
        func string(_ bytes: [UInt8]) {
            let n = UInt32(bytes.count)
            blob += [UInt8(n >> 24), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)]
            blob += bytes
        }
        string(Array("ssh-ed25519".utf8))
        var x = UInt64(bitPattern: Int64(seed)) &* 0x9E37_79B9_7F4A_7C15 | 1
        var key: [UInt8] = []
        for _ in 0..<32 {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17
            key.append(UInt8(x & 0xFF))
        }
        string(key)
        return SSHKeys.line("ssh-ed25519", blob: blob, comment: comment)
    }

    /// A fresh directory whose every ancestor is root-owned and not group/world writable (the reader
    /// refuses anything else, so not below /tmp): /run/sunk-akt.XXXXXX, mode 0755.
    public static func safeDirectory() throws -> String {
        var template = Array("/run/sunk-akt.XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        guard made != nil else {
            throw AKTestError("mkdtemp below /run failed: \(String(cString: strerror(errno)))")
        }
        let path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        chmod(path, 0o755)
        return path
    }

    /// A node root with `var/lib/sunk-bridge/` created (0755), below `safeDirectory()`.
    public static func nodeRoot() throws -> String {
        let root = try safeDirectory()
        for d in ["/var", "/var/lib", "/var/lib/sunk-bridge"] {
            guard mkdir(root + d, 0o755) == 0 else { throw AKTestError("mkdir \(root + d): \(errno)") }
            chmod(root + d, 0o755)
        }
        return root
    }

    public static func remove(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }

    public static func requireRoot() throws {
        try #require(getuid() == 0, "these tests need root (chown, files below /run); run the test suite as root")
    }

    public static func mode(_ path: String) -> mode_t {
        var st = stat()
        lstat(path, &st)
        return st.st_mode & 0o7777
    }

    public static func owner(_ path: String) -> (uid: uid_t, gid: gid_t) {
        var st = stat()
        lstat(path, &st)
        return (st.st_uid, st.st_gid)
    }
}

public struct AKTestError: Error, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}

/// Locates the helper binary and the e2e script; shared with AuthorizedKeysHelperTests.
public enum AKBinaries {
    /// The helper under test (TestSupport's locator: `SUNK_AUTHORIZED_KEYS_BIN`, else the build).
    public static func helper() throws -> String { try Binaries.authorizedKeysHelper() }

    /// Tests/e2e/sshd/run.sh of the source tree (symlinks resolved, so a package that links the
    /// test files from elsewhere still finds it), or `SUNK_SSHD_E2E_SCRIPT`.
    public static func sshdScript(file: String = #filePath) throws -> String {
        if let path = ProcessInfo.processInfo.environment["SUNK_SSHD_E2E_SCRIPT"], !path.isEmpty { return path }
        let here = URL(fileURLWithPath: file).resolvingSymlinksInPath()
        let script = here.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("e2e/sshd/run.sh").path
        try #require(FileManager.default.isExecutableFile(atPath: script), "e2e script missing: \(script)")
        return script
    }

    /// Runs a program, returns (status, stdout, stderr).
    public static func run(_ path: String, _ args: [String], environment: [String: String]? = nil) async throws -> (Int32, String, String) {
        let r = try await TestSupport.run(path, args, environment: environment, error: .separate)
        return (r.status, r.output, r.error)
    }
}

