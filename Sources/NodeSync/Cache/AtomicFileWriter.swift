// Crash-safe replacement of one file: temp file in the same directory, write, fsync, owner and mode,
// rename, fsync the directory. A reader sees the old file or the new one, never a mix.
#if canImport(Glibc)
@preconcurrency import Glibc
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

/// Writes files atomically.
public enum AtomicFileWriter {
    /// Replaces `path` with `contents`. Ownership is set only when running as root (an unprivileged
    /// test run keeps its own uid); the mode is always set. On any failure the temp file is removed
    /// and `path` is untouched. `check`, when given, is called with the temp file's path once it is
    /// complete (written, mode and owner set, fsynced, closed) and before the rename: throwing there
    /// (e.g. `visudo -cf` refusing it) removes the temp file and leaves `path` as it was.
    public static func write(_ contents: [UInt8], to path: String, attributes: FileAttributes,
                             check: ((String) throws(SyncError) -> Void)? = nil)
        throws(SyncError)
    {
        let (directory, base) = split(path)
        let temp = "\(directory)/.\(base).sunk-tmp.\(getpid()).\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        if fd < 0 { throw .io(operation: "create temp file", path: temp, errno: errno) }
        var committed = false
        defer {
            if !committed { unlink(temp) }
        }
        do throws(SyncError) {
            try writeAll(fd, contents, path: temp)
            if fchmod(fd, attributes.mode) != 0 { throw .io(operation: "fchmod", path: temp, errno: errno) }
            if SystemCall.isRoot, fchown(fd, attributes.uid, attributes.gid) != 0 {
                throw .io(operation: "fchown", path: temp, errno: errno)
            }
            if fsync(fd) != 0 { throw .io(operation: "fsync", path: temp, errno: errno) }
        } catch {
            close(fd)
            throw error
        }
        if close(fd) != 0 { throw .io(operation: "close", path: temp, errno: errno) }
        try check?(temp)
        if rename(temp, path) != 0 { throw .io(operation: "rename to \(path)", path: temp, errno: errno) }
        committed = true
        try syncDirectory(directory)
    }

    /// Creates `path`, which must not exist (`O_EXCL`), with `contents`, mode and owner, and fsyncs it.
    /// Used for the files of a new generation, whose directory no reader sees until it is made
    /// current. On failure the partial file is removed.
    public static func writeNew(_ contents: [UInt8], to path: String, attributes: FileAttributes) throws(SyncError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        if fd < 0 { throw .io(operation: "create", path: path, errno: errno) }
        do throws(SyncError) {
            try writeAll(fd, contents, path: path)
            if fchmod(fd, attributes.mode) != 0 { throw .io(operation: "fchmod", path: path, errno: errno) }
            if SystemCall.isRoot, fchown(fd, attributes.uid, attributes.gid) != 0 {
                throw .io(operation: "fchown", path: path, errno: errno)
            }
            if fsync(fd) != 0 { throw .io(operation: "fsync", path: path, errno: errno) }
        } catch {
            close(fd)
            unlink(path)
            throw error
        }
        if close(fd) != 0 {
            let code = errno
            unlink(path)
            throw .io(operation: "close", path: path, errno: code)
        }
    }

    /// True when `path` already holds exactly `contents` with the wanted mode (and owner, as root).
    public static func isCurrent(_ contents: [UInt8], at path: String, attributes: FileAttributes)
        throws(SyncError) -> Bool
    {
        guard let st = try SystemCall.status(path), (st.st_mode & S_IFMT) == S_IFREG else { return false }
        if (st.st_mode & 0o7777) != attributes.mode { return false }
        if SystemCall.isRoot, st.st_uid != attributes.uid || st.st_gid != attributes.gid { return false }
        if Int(st.st_size) != contents.count { return false }
        return try SystemCall.read(path) == contents
    }

    static func syncDirectory(_ directory: String) throws(SyncError) {
        let dfd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd < 0 { throw .io(operation: "open directory", path: directory, errno: errno) }
        defer { close(dfd) }
        if fsync(dfd) != 0 { throw .io(operation: "fsync directory", path: directory, errno: errno) }
    }

    private static func writeAll(_ fd: Int32, _ contents: [UInt8], path: String) throws(SyncError) {
        var offset = 0
        while offset < contents.count {
            let n = contents.withUnsafeBytes { buffer in
                Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw .io(operation: "write", path: path, errno: errno)
            }
            offset += n
        }
    }

    private static func split(_ path: String) -> (directory: String, base: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let directory = String(path[..<slash])
        return (directory.isEmpty ? "/" : directory, String(path[path.index(after: slash)...]))
    }
}
