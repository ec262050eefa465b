// Thin helpers over Glibc for reading files; errno and EINTR are handled by `SystemError` (AuthorizedKeys).
#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import AuthorizedKeys

/// Small file-system helpers with `SyncError.io` errors.
enum SystemCall {
    /// `strerror(code)` as a Swift string (`SystemError.message`).
    static func message(_ code: Int32) -> String { SystemError.message(code) }

    /// The bytes of a file, or nil when it does not exist.
    static func read(_ path: String) throws(SyncError) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            let code = errno
            if code == ENOENT || code == ENOTDIR { return nil }
            throw .io(operation: "open", path: path, errno: code)
        }
        defer { close(fd) }
        switch SystemError.readAll(fd) {
        case .bytes(let bytes): return bytes
        case .failed(let code): throw .io(operation: "read", path: path, errno: code)
        case .tooLarge: throw .io(operation: "read", path: path, errno: EFBIG)
        }
    }

    /// Mode, owner and type of a path (not following a final symlink), or nil when it does not exist.
    static func status(_ path: String) throws(SyncError) -> stat? {
        var st = stat()
        if lstat(path, &st) != 0 {
            let code = errno
            if code == ENOENT || code == ENOTDIR { return nil }
            throw .io(operation: "lstat", path: path, errno: code)
        }
        return st
    }

    /// Creates `path` and its missing parents with exactly `mode`, whatever the umask (existing
    /// directories are left alone): the NSS modules and the key helper read below them unprivileged.
    static func makeDirectories(_ path: String, mode: mode_t = 0o755) throws(SyncError) {
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            current += "/" + component
            if mkdir(current, mode) == 0 {
                if chmod(current, mode) != 0 { throw .io(operation: "chmod", path: current, errno: errno) }
            } else {
                let code = errno
                if code == EEXIST {
                    var st = stat()
                    if stat(current, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR { continue }
                    throw .io(operation: "mkdir (exists and is not a directory)", path: current, errno: ENOTDIR)
                }
                throw .io(operation: "mkdir", path: current, errno: code)
            }
        }
    }

    static var isRoot: Bool { geteuid() == 0 }

    /// The text of a symbolic link, or nil when `path` does not exist or is not a link.
    static func readLink(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink(path, &buffer, buffer.count - 1)
        guard n >= 0 else { return nil }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The names in a directory (without `.` and `..`); empty when it does not exist.
    static func directoryEntries(_ path: String) throws(SyncError) -> [String] {
        guard let dir = opendir(path) else {
            let code = errno
            if code == ENOENT || code == ENOTDIR { return [] }
            throw .io(operation: "opendir", path: path, errno: code)
        }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Removes `path` and, for a directory, everything below it (links are removed, never followed).
    /// A missing path is not an error.
    static func removeTree(_ path: String) throws(SyncError) {
        guard let st = try status(path) else { return }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            for name in try directoryEntries(path) { try removeTree(path + "/" + name) }
            if rmdir(path) != 0 && errno != ENOENT { throw .io(operation: "rmdir", path: path, errno: errno) }
        } else if unlink(path) != 0 && errno != ENOENT {
            throw .io(operation: "unlink", path: path, errno: errno)
        }
    }
}
