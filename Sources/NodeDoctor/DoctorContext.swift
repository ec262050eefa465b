// What one `doctor` run looks at, and small read-only file-system helpers. Nothing here writes.
import Foundation
import NodeSync
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

extension NSSFormat {
    /// The nsswitch.conf source name of the module.
    var module: String { rawValue }
    /// The shared object glibc loads for it.
    var library: String { "libnss_\(rawValue).so.2" }
    var other: NSSFormat { self == .extrausers ? .cache : .extrausers }
}

/// What one `doctor` run looks at: the node's files below a root (the paths `sync` writes, from
/// `NodePaths`), the sshd and nsswitch files it was pointed at, and its limits.
public struct DoctorContext: Sendable {
    /// The node's paths, exactly as `sync` uses them.
    public let paths: NodePaths
    public let sshdConfig: String
    public let nsswitch: String
    /// Set by `--nss-format`; nil means "what the last sync used, else extrausers".
    public let requestedFormat: NSSFormat?
    /// nil when sshd is not to be run (binary absent or `--sshd-binary none`).
    public let sshdBinary: String?
    /// Seconds after which the last successful sync is stale.
    public let maxAge: Int
    /// The trust keys file the node's sync reads.
    public let trustKeyFile: String
    public let now: Date

    /// `root` is the node's root (`/` on a node); nil paths default to the files below it.
    public init(root: String, sshdConfig: String? = nil, nsswitch: String? = nil, format: NSSFormat? = nil,
                sshdBinary: String?, maxAge: Int, trustKeyFile: String? = nil, now: Date = Date()) {
        let paths = NodePaths(root: root)
        self.paths = paths
        self.sshdConfig = sshdConfig ?? paths.path("/etc/ssh/sshd_config")
        self.nsswitch = nsswitch ?? paths.path("/etc/nsswitch.conf")
        self.requestedFormat = format
        self.sshdBinary = sshdBinary
        self.maxAge = maxAge
        self.trustKeyFile = trustKeyFile ?? paths.defaultTrustKeyFile
        self.now = now
    }

    /// The root prefix without trailing slashes (`""` for `/`).
    var root: String { paths.root }

    /// `root` + an absolute path.
    func path(_ absolute: String) -> String { paths.path(absolute) }

    /// The root as shown to people.
    var rootShown: String { root.isEmpty ? "/" : root }
}

/// Read-only file-system probes.
enum DoctorFS {
    struct Info: Sendable {
        var uid: UInt32
        var gid: UInt32
        var mode: UInt32  // permission bits and type
        var isDirectory: Bool { mode & UInt32(S_IFMT) == UInt32(S_IFDIR) }
        var isRegular: Bool { mode & UInt32(S_IFMT) == UInt32(S_IFREG) }
        var permissions: UInt32 { mode & 0o7777 }
        var groupOrWorldWritable: Bool { mode & 0o022 != 0 }
    }

    /// stat(2), following symbolic links (as sshd does after resolving the path); nil if absent.
    static func info(_ path: String) -> Info? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return Info(uid: UInt32(st.st_uid), gid: UInt32(st.st_gid), mode: UInt32(st.st_mode))
    }

    static func exists(_ path: String) -> Bool { info(path) != nil }

    /// True when `path` exists, a dangling symbolic link included (lstat).
    static func lexists(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0
    }

    /// The text of a symbolic link; nil when `path` is not one.
    static func linkText(_ path: String) -> String? {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: path))
    }

    /// realpath(3); nil when a component is missing.
    static func realPath(_ path: String) -> String? {
        guard let p = realpath(path, nil) else { return nil }
        defer { free(p) }
        return String(cString: p)
    }

    static func isExecutableFile(_ path: String) -> Bool {
        guard let i = info(path), i.isRegular else { return false }
        return access(path, X_OK) == 0
    }

    /// The file's text, nil when it cannot be read.
    static func text(_ path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    /// Paths matching a glob pattern, sorted (as sshd's Include does).
    static func glob(_ pattern: String) -> [String] {
        var g = glob_t()
        defer { globfree(&g) }
        guard Glibc.glob(pattern, 0, nil, &g) == 0 else { return [] }
        var out: [String] = []
        for i in 0..<Int(g.gl_pathc) {
            if let p = g.gl_pathv[i] { out.append(String(cString: p)) }
        }
        return out.sorted()
    }

    /// `0755` style.
    static func octal(_ mode: UInt32) -> String {
        let s = String(mode & 0o7777, radix: 8)
        return String(repeating: "0", count: max(0, 4 - s.count)) + s
    }

    /// The parent directory of an absolute path (`/` for `/x`).
    static func parent(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }
}

/// Lines of a `name:…` colon file (passwd, subuid), comments and blanks dropped.
func doctorColonRecords(_ text: String) -> [[Substring]] {
    text.split(separator: "\n").compactMap { line in
        let t = line.trimmingCharacters(in: .whitespaces)
        if t.isEmpty || t.hasPrefix("#") { return nil }
        return t.split(separator: ":", omittingEmptySubsequences: false)
    }
}
