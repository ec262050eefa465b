// The one way a file is published: temp file in the same directory, write, mode and owner, fsync,
// rename over the old file, fsync the directory. A reader sees the old file or the new one, never a
// mix. Foundation-free (the keys cache writer lives beside the static key helper); NodeSync's
// `AtomicFileWriter`, the keys cache, the CLI's own files and the store's backup all go through it.
#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
@preconcurrency import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Owner and mode a written file gets.
public struct FileAttributes: Equatable, Sendable {
    public var mode: mode_t
    public var uid: uid_t
    public var gid: gid_t

    public init(mode: mode_t, uid: uid_t = 0, gid: gid_t = 0) {
        self.mode = mode
        self.uid = uid
        self.gid = gid
    }
}

/// A failed system call: which one, on which path, and its errno.
public struct SystemCallError: Error, Equatable, Sendable, CustomStringConvertible {
    public var operation: String
    public var path: String
    public var errno: Int32

    public init(operation: String, path: String, errno: Int32) {
        self.operation = operation
        self.path = path
        self.errno = errno
    }

    public var description: String { "\(path): \(operation) failed: \(SystemError.message(errno))" }
}

public enum AtomicFile {
    /// Marks every temporary name: `.<name>.sunk-tmp.<pid>.<random>` (a killed run's leftovers are
    /// recognised by it).
    public static let tempMarker = ".sunk-tmp."

    /// A fresh temporary name beside `path`.
    public static func tempName(for path: String) -> String {
        let (directory, base) = split(path)
        return "\(directory == "/" ? "" : directory)/.\(base)\(tempMarker)\(getpid()).\(UInt32.random(in: 0...UInt32.max))"
    }

    /// Replaces `path` with `contents`. Ownership is set only when running as root (an unprivileged
    /// run keeps its own uid); the mode is always set. On any failure the temp file is removed and
    /// `path` is untouched.
    public static func replace(_ path: String, with contents: [UInt8], attributes: FileAttributes)
        throws(SystemCallError)
    {
        let temp = tempName(for: path)
        try create(temp, with: contents, attributes: attributes)
        try publish(temp, as: path)
    }

    /// Renames a complete temp file (from `create`, beside `path`) over `path` and fsyncs the
    /// directory. On a failed rename the temp file is removed.
    public static func publish(_ temp: String, as path: String) throws(SystemCallError) {
        if rename(temp, path) != 0 {
            let code = errno
            _ = unlink(temp)
            throw SystemCallError(operation: "rename to \(path)", path: temp, errno: code)
        }
        try syncDirectory(split(path).directory)
    }

    /// Links a complete temp file (beside `path`) as `path`, which must not exist: `link(2)` refuses
    /// an existing name atomically (errno `EEXIST`), where `rename` would replace it. Then removes
    /// the temp name and fsyncs the directory. On a failed link the temp file is left to the caller.
    public static func publishNew(_ temp: String, as path: String) throws(SystemCallError) {
        if link(temp, path) != 0 { throw SystemCallError(operation: "link to \(path)", path: temp, errno: errno) }
        _ = unlink(temp)
        try syncDirectory(split(path).directory)
    }

    /// fsyncs a file someone else wrote (e.g. SQLite), before it is published.
    public static func syncFile(_ path: String) throws(SystemCallError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw SystemCallError(operation: "open", path: path, errno: errno) }
        defer { _ = close(fd) }
        if fsync(fd) != 0 { throw SystemCallError(operation: "fsync", path: path, errno: errno) }
    }

    /// Creates `path`, which must not exist (`O_EXCL`, no symlink followed), with `contents`, mode
    /// and owner, and fsyncs it. On failure the partial file is removed.
    public static func create(_ path: String, with contents: [UInt8], attributes: FileAttributes)
        throws(SystemCallError)
    {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        if fd < 0 { throw SystemCallError(operation: "create", path: path, errno: errno) }
        func fail(_ operation: String, _ code: Int32) -> SystemCallError {
            _ = close(fd)
            _ = unlink(path)
            return SystemCallError(operation: operation, path: path, errno: code)
        }
        let code = SystemError.writeAll(fd, contents)
        if code != 0 { throw fail("write", code) }
        if fchmod(fd, attributes.mode) != 0 { throw fail("fchmod", errno) }
        if geteuid() == 0, fchown(fd, attributes.uid, attributes.gid) != 0 { throw fail("fchown", errno) }
        if fsync(fd) != 0 { throw fail("fsync", errno) }
        if close(fd) != 0 {
            let code = errno
            _ = unlink(path)
            throw SystemCallError(operation: "close", path: path, errno: code)
        }
    }

    /// fsyncs a directory, so a rename or a new name in it survives a crash.
    public static func syncDirectory(_ directory: String) throws(SystemCallError) {
        let dfd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd < 0 { throw SystemCallError(operation: "open directory", path: directory, errno: errno) }
        defer { _ = close(dfd) }
        if fsync(dfd) != 0 { throw SystemCallError(operation: "fsync directory", path: directory, errno: errno) }
    }

    /// Directory and base name, on the bytes (`/` for a file at the top, `.` for a bare name).
    public static func split(_ path: String) -> (directory: String, base: String) {
        let utf8 = path.utf8
        guard let slash = utf8.lastIndex(of: UInt8(ascii: "/")) else { return (".", path) }
        let directory = slash == utf8.startIndex ? "/" : String(path[..<slash])
        return (directory, String(path[utf8.index(after: slash)...]))
    }
}
