// Safe home-directory creation (design.md §3, issue 4 item 3).
//
// The configured prefix (under --root) is trusted and opened as is (it may be a symlink, an automount,
// NFS). Nothing below it is ever followed: every component is opened with openat(O_NOFOLLOW |
// O_DIRECTORY) relative to the directory before it, created with mkdirat when missing, and the new home
// is populated from the skeleton and handed over with fchown/fchmod on its descriptor. An existing
// directory owned by someone else is reported and never chowned; homes are never deleted.

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
@preconcurrency import Musl
#endif
import AuthorizedKeys

/// What `HomeCreator.ensureHome` did.
public enum HomeOutcome: Equatable, Sendable, CustomStringConvertible {
    /// The home was created (owner uid:gid, the configured mode, skeleton copied).
    case created
    /// The home exists and is owned by the user's uid; left exactly as it was.
    case alreadyOwned
    /// The home exists and is owned by another uid; left untouched.
    case foreignOwner(uid: UInt32)
    /// The path is not acceptable (outside the prefixes, a symlink, not a directory…); nothing done.
    case refused(reason: String)
    /// A system call failed (EACCES/EPERM on root_squash NFS, ENOSPC…); the message names it.
    case failed(message: String)

    public var description: String {
        switch self {
        case .created: return "created"
        case .alreadyOwned: return "already exists, owned by the user"
        case .foreignOwner(let uid): return "exists but is owned by uid \(uid); left untouched"
        case .refused(let reason): return "refused: \(reason)"
        case .failed(let message): return "failed: \(message)"
        }
    }
}

/// Creates missing home directories below allowed prefixes without following anything below them.
public struct HomeCreator: Sendable {
    public let root: String
    public let prefixes: [String]
    public let mode: mode_t
    public let skeleton: String

    /// Depth limit for the skeleton copy (a skeleton is a handful of dot files).
    static let maxSkeletonDepth = 16

    /// - Parameters:
    ///   - root: prefix for every path (`--root`); `"/"` or `""` for the real file system.
    ///   - prefixes: allowed home prefixes (e.g. `["/home"]`); homes must be strictly below one.
    ///   - mode: permission bits of a new home (only 0o7777 is used).
    ///   - skeleton: directory copied into a new home, below `root`; missing → empty home.
    public init(root: String, prefixes: [String], mode: mode_t = 0o700, skeleton: String = "/etc/skel") {
        self.root = root
        self.prefixes = prefixes
        self.mode = mode & 0o7777
        self.skeleton = skeleton
    }

    /// Makes sure `path` (as in passwd, without the root) exists as the user's home.
    public func ensureHome(path: String, uid: UInt32, gid: UInt32) -> HomeOutcome {
        guard let homeComponents = Self.components(ofAbsolute: path) else {
            return .refused(reason: "\(path) is not an absolute, normalised path")
        }
        // The longest prefix the home is strictly below.
        var chosen: [String]? = nil
        var chosenText = ""
        for prefix in prefixes {
            guard let pc = Self.components(ofAbsolute: prefix) else { continue }
            if homeComponents.count > pc.count, Array(homeComponents.prefix(pc.count)) == pc,
               pc.count >= (chosen?.count ?? -1) {
                chosen = pc
                chosenText = pc.isEmpty ? "/" : "/" + pc.joined(separator: "/")
            }
        }
        guard let prefix = chosen else {
            let allowed = prefixes.joined(separator: ", ")
            return .refused(reason: "\(path) is not strictly below an allowed prefix (\(allowed))")
        }
        let below = Array(homeComponents[prefix.count...])

        // The prefix itself is trusted: follow it as configured.
        let prefixPath = Self.join(root, chosenText)
        var dirfd = open(prefixPath, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dirfd < 0 {
            return .failed(message: "open prefix \(prefixPath): \(Self.errorText(errno))")
        }
        defer { if dirfd >= 0 { close(dirfd) } }

        // Intermediate directories: never followed; created root-owned 0755 when missing.
        var shown = chosenText
        for name in below.dropLast() {
            shown = shown == "/" ? "/" + name : shown + "/" + name
            switch Self.openDirectory(in: dirfd, name: name, shown: shown) {
            case .success(let fd):
                var st = stat()
                if fstat(fd, &st) != 0 {
                    let e = errno
                    close(fd)
                    return .failed(message: "fstat \(shown): \(Self.errorText(e))")
                }
                if st.st_uid != 0 || st.st_mode & 0o022 != 0 {
                    close(fd)
                    return .refused(reason: "intermediate directory \(shown) must be root-owned and not writable by group or others (owner \(st.st_uid), mode \(Self.octal(st.st_mode & 0o7777)))")
                }
                close(dirfd)
                dirfd = fd
            case .missing:
                if mkdirat(dirfd, name, 0o755) != 0 && errno != EEXIST {
                    return .failed(message: "mkdir \(shown): \(Self.errorText(errno))")
                }
                guard case .success(let fd) = Self.openDirectory(in: dirfd, name: name, shown: shown) else {
                    return .refused(reason: "\(shown) changed while being created")
                }
                var st = stat()
                if fstat(fd, &st) != 0 || st.st_uid != geteuid() {
                    close(fd)
                    return .failed(message: "\(shown) was not created as uid \(geteuid()) (root_squash?)")
                }
                _ = fchmod(fd, 0o755)
                close(dirfd)
                dirfd = fd
            case .refused(let reason):
                return .refused(reason: reason)
            case .failed(let message):
                return .failed(message: message)
            }
        }

        // The home itself.
        let name = below[below.count - 1]
        let home = path
        if mkdirat(dirfd, name, 0o700) != 0 {
            let e = errno
            if e != EEXIST {
                return .failed(message: "mkdir \(home): \(Self.errorText(e))")
            }
            switch Self.openDirectory(in: dirfd, name: name, shown: home) {
            case .success(let fd):
                defer { close(fd) }
                var st = stat()
                if fstat(fd, &st) != 0 { return .failed(message: "fstat \(home): \(Self.errorText(errno))") }
                return st.st_uid == uid ? .alreadyOwned : .foreignOwner(uid: st.st_uid)
            case .missing:
                return .refused(reason: "\(home) changed while being checked")
            case .refused(let reason):
                return .refused(reason: reason)
            case .failed(let message):
                return .failed(message: message)
            }
        }

        guard case .success(let homefd) = Self.openDirectory(in: dirfd, name: name, shown: home) else {
            return .refused(reason: "\(home) changed right after being created")
        }
        defer { close(homefd) }
        var st = stat()
        if fstat(homefd, &st) != 0 { return .failed(message: "fstat \(home): \(Self.errorText(errno))") }
        if st.st_uid != geteuid() {
            // root_squash: the directory belongs to the squashed uid; it is empty and ours, remove it.
            let owner = st.st_uid
            _ = unlinkat(dirfd, name, AT_REMOVEDIR)
            return .failed(message: "\(home) was created as uid \(owner), not \(geteuid()) (root_squash?); removed, not retried")
        }

        // Populate while still root-owned 0700, then hand over.
        var skeletonProblem: String? = nil
        let skelPath = Self.join(root, skeleton)
        let skelfd = open(skelPath, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if skelfd >= 0 {
            skeletonProblem = copyTree(from: skelfd, to: homefd, uid: uid, gid: gid, shown: home, depth: 0)
            close(skelfd)
        } else if errno != ENOENT {
            skeletonProblem = "open skeleton \(skelPath): \(Self.errorText(errno))"
        }
        if fchown(homefd, uid, gid) != 0 {
            return .failed(message: "chown \(home) to \(uid):\(gid): \(Self.errorText(errno)) (left root-owned, mode 0700)")
        }
        if fchmod(homefd, mode) != 0 {
            return .failed(message: "chmod \(home) to \(Self.octal(mode)): \(Self.errorText(errno))")
        }
        if let skeletonProblem {
            return .failed(message: "\(home) created but the skeleton copy is incomplete: \(skeletonProblem)")
        }
        return .created
    }

    // MARK: - Skeleton copy (no link is ever followed)

    /// Copies directory `src` into directory `dst`: regular files (content, permission bits without
    /// set-id), directories (recursively), symlinks (recreated as symlinks); other types skipped.
    /// Everything created is owned uid:gid. Returns the first problem, or nil.
    func copyTree(from src: Int32, to dst: Int32, uid: UInt32, gid: UInt32, shown: String, depth: Int) -> String? {
        if depth > Self.maxSkeletonDepth { return "skeleton deeper than \(Self.maxSkeletonDepth) levels at \(shown)" }
        let listfd = dup(src)
        if listfd < 0 { return "dup: \(Self.errorText(errno))" }
        guard let dir = fdopendir(listfd) else {
            let e = errno
            close(listfd)
            return "opendir \(shown): \(Self.errorText(e))"
        }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
            }
            if name != "." && name != ".." { names.append(name) }
        }
        var problem: String? = nil
        for name in names.sorted() {
            let target = shown + "/" + name
            var st = stat()
            if fstatat(src, name, &st, AT_SYMLINK_NOFOLLOW) != 0 {
                problem = problem ?? "stat skeleton entry \(name): \(Self.errorText(errno))"
                continue
            }
            switch st.st_mode & S_IFMT {
            case S_IFDIR:
                let sfd = openat(src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                if sfd < 0 { problem = problem ?? "open skeleton dir \(name): \(Self.errorText(errno))"; continue }
                defer { close(sfd) }
                if mkdirat(dst, name, 0o700) != 0 { problem = problem ?? "mkdir \(target): \(Self.errorText(errno))"; continue }
                let dfd = openat(dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                if dfd < 0 { problem = problem ?? "open \(target): \(Self.errorText(errno))"; continue }
                defer { close(dfd) }
                if let p = copyTree(from: sfd, to: dfd, uid: uid, gid: gid, shown: target, depth: depth + 1) {
                    problem = problem ?? p
                }
                if fchown(dfd, uid, gid) != 0 { problem = problem ?? "chown \(target): \(Self.errorText(errno))" }
                if fchmod(dfd, st.st_mode & 0o1777) != 0 { problem = problem ?? "chmod \(target): \(Self.errorText(errno))" }
            case S_IFREG:
                if let p = copyFile(from: src, name: name, to: dst, mode: st.st_mode & 0o777, uid: uid, gid: gid, target: target) {
                    problem = problem ?? p
                }
            case S_IFLNK:
                var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
                let n = readlinkat(src, name, &buffer, buffer.count - 1)
                if n < 0 { problem = problem ?? "readlink skeleton \(name): \(Self.errorText(errno))"; continue }
                buffer[n] = 0
                if symlinkat(buffer, dst, name) != 0 { problem = problem ?? "symlink \(target): \(Self.errorText(errno))"; continue }
                if fchownat(dst, name, uid, gid, AT_SYMLINK_NOFOLLOW) != 0 {
                    problem = problem ?? "chown symlink \(target): \(Self.errorText(errno))"
                }
            default:
                continue // fifos, sockets, devices: never copied
            }
        }
        return problem
    }

    func copyFile(from src: Int32, name: String, to dst: Int32, mode: mode_t, uid: UInt32, gid: UInt32, target: String) -> String? {
        let infd = openat(src, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        if infd < 0 { return "open skeleton file \(name): \(Self.errorText(errno))" }
        defer { close(infd) }
        var st = stat()
        if fstat(infd, &st) != 0 || st.st_mode & S_IFMT != S_IFREG { return "skeleton file \(name) changed while copying" }
        let outfd = openat(dst, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        if outfd < 0 { return "create \(target): \(Self.errorText(errno))" }
        defer { close(outfd) }
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = SystemError.retryingEINTR { buffer.withUnsafeMutableBytes { read(infd, $0.baseAddress!, $0.count) } }
            if n < 0 { return "read skeleton file \(name): \(Self.errorText(errno))" }
            if n == 0 { break }
            let code = buffer.withUnsafeBytes { SystemError.writeAll(outfd, UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            if code != 0 { return "write \(target): \(Self.errorText(code))" }
        }
        if fchown(outfd, uid, gid) != 0 { return "chown \(target): \(Self.errorText(errno))" }
        if fchmod(outfd, mode) != 0 { return "chmod \(target): \(Self.errorText(errno))" }
        return nil
    }

    // MARK: - Helpers

    enum DirectoryOpen {
        case success(Int32)
        case missing
        case refused(String)
        case failed(String)
    }

    /// openat(O_NOFOLLOW | O_DIRECTORY); a symlink or non-directory is `.refused` with a reason.
    static func openDirectory(in dirfd: Int32, name: String, shown: String) -> DirectoryOpen {
        let fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        if fd >= 0 { return .success(fd) }
        let e = errno
        if e == ENOENT { return .missing }
        if e == ELOOP || e == ENOTDIR {
            var st = stat()
            if fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0, st.st_mode & S_IFMT == S_IFLNK {
                return .refused("\(shown) is a symbolic link; nothing below a home prefix is followed")
            }
            return .refused("\(shown) exists and is not a directory")
        }
        return .failed("open \(shown): \(errorText(e))")
    }

    /// Components of an absolute, normalised path (no empty, `.`, `..`, no NUL); nil otherwise.
    /// A trailing `/` is tolerated. `/` → [].
    static func components(ofAbsolute path: String) -> [String]? {
        guard path.utf8.first == UInt8(ascii: "/"), !path.utf8.contains(0) else { return nil }
        var parts = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        parts.removeFirst()
        if parts.last == "" { parts.removeLast() }
        for p in parts where p.isEmpty || p == "." || p == ".." { return nil }
        return parts
    }

    static func join(_ root: String, _ path: String) -> String {
        var r = root
        while r.utf8.last == UInt8(ascii: "/") { r.removeLast() }
        return r + path
    }

    static func errorText(_ code: Int32) -> String {
        let text = SystemError.message(code)
        let name: String
        switch code {
        case EACCES: name = "EACCES"
        case EPERM: name = "EPERM"
        case ENOENT: name = "ENOENT"
        case ENOSPC: name = "ENOSPC"
        case EROFS: name = "EROFS"
        case EDQUOT: name = "EDQUOT"
        default: name = "errno \(code)"
        }
        return "\(text) (\(name))"
    }

    static func octal(_ mode: mode_t) -> String {
        let digits = String(mode, radix: 8)
        return "0" + String(repeating: "0", count: max(0, 3 - digits.count)) + digits
    }
}
