#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
@preconcurrency import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One user line found in the cache.
public struct KeysCacheRecord: Sendable, Equatable {
    public var name: String
    public var uid: UInt32
    public var keys: [String]
}

/// Read-only, memory-mapped view of a keys cache (format: `KeysCache`) with an O(log n) exact lookup.
///
/// Opening refuses a cache that is not a regular file, not owned by root, or writable by group or
/// others, or one whose directories (every component of its real path, up to `/`) are not root-owned
/// or are writable by group or others — the same rule sshd applies to the helper itself. The path may
/// be a symbolic link (it is on a node: `keys.cache` → `current/keys.cache` → the current
/// generation's file); it is resolved with `realpath` and the rule applies to the resolved file and
/// its directories, plus the directory holding the link. The walk uses
/// `openat(openPathOnly|O_NOFOLLOW)` from `/`, so what is checked is what is opened.
public struct KeysCacheReader {
    /// The operator's authorized_keys options from the header, nil when none.
    public let options: String?
    /// Number of user lines.
    public let entryCount: Int
    public let path: String

    private let map: Mapping
    private let dataStart: Int

    public init(path: String) throws(KeysCacheError) {
        let fd = try Self.openVerified(path)
        defer { closeFD(fd) }

        var st = stat()
        if fstat(fd, &st) != 0 { throw .io(operation: "fstat", path: path, errno: errno) }
        let size = Int(st.st_size)
        guard size > 0 else { throw .malformed(path: path, reason: "empty file") }
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
            throw .io(operation: "mmap", path: path, errno: errno)
        }
        try self.init(map: Mapping(mapped: UnsafeRawPointer(base), size: size), path: path)
    }

    /// A reader over a copy of `bytes` (the whole contents of a keys cache file), with the same
    /// header checks and lookup as `init(path:)` but none of its file checks. For tests and the
    /// fuzzer (`Fuzz/`); `path` only names the bytes in errors.
    public init(copying bytes: UnsafeRawBufferPointer, path: String = "(in memory)") throws(KeysCacheError) {
        try self.init(map: Mapping(copying: bytes), path: path)
    }

    /// The one parser behind both initialisers: checks the header of `map` and records where the
    /// user lines start.
    private init(map: Mapping, path: String) throws(KeysCacheError) {
        self.path = path
        self.map = map
        let size = map.size
        guard size > 0 else { throw .malformed(path: path, reason: "empty file") }

        // Header: tag TAB version TAB entries TAB data-bytes TAB options LF
        let bytes = map.bytes
        // Five fields; tab positions kept in a tuple (no array: less run-time metadata to set up).
        var tabs: (Int, Int, Int, Int) = (0, 0, 0, 0)
        var field = 0
        var i = 0
        let limit = min(size, 4096)
        while i < limit && bytes[i] != 0x0A {
            if bytes[i] == 0x09 {
                switch field {
                case 0: tabs.0 = i
                case 1: tabs.1 = i
                case 2: tabs.2 = i
                case 3: tabs.3 = i
                default: throw .malformed(path: path, reason: "too many header fields")
                }
                field += 1
            }
            i += 1
        }
        guard i < limit else { throw .malformed(path: path, reason: "no header line") }
        guard field == 4 else { throw .malformed(path: path, reason: "not a keys cache (header)") }
        let headerEnd = i
        func slice(_ f: Int) -> UnsafeRawBufferPointer {
            let (from, to): (Int, Int)
            switch f {
            case 0: (from, to) = (0, tabs.0)
            case 1: (from, to) = (tabs.0 + 1, tabs.1)
            case 2: (from, to) = (tabs.1 + 1, tabs.2)
            case 3: (from, to) = (tabs.2 + 1, tabs.3)
            default: (from, to) = (tabs.3 + 1, headerEnd)
            }
            return UnsafeRawBufferPointer(rebasing: bytes[from..<to])
        }
        guard Self.equals(slice(0), "sunk-keys-cache") else {
            throw .malformed(path: path, reason: "not a keys cache (header tag)")
        }
        guard Self.equals(slice(1), "1") else {
            throw .malformed(path: path, reason: "unsupported format version \(String(decoding: slice(1).prefix(16), as: UTF8.self))")
        }
        guard let count = KeysCache.parseUID(slice(2)), let dataBytes = KeysCache.parseUID(slice(3)) else {
            throw .malformed(path: path, reason: "bad entry count or data length in header")
        }
        let start = headerEnd + 1
        guard Int(dataBytes) == size - start else {
            throw .malformed(path: path, reason: "length \(size - start) after the header, header says \(dataBytes) (truncated?)")
        }
        guard dataBytes == 0 || bytes[size - 1] == 0x0A else {
            throw .malformed(path: path, reason: "last line not terminated")
        }
        let optionBytes = slice(4)
        if optionBytes.isEmpty {
            options = nil
        } else {
            guard KeysCache.isSafeOptions(optionBytes) else {
                throw .malformed(path: path, reason: "options must be a comma-separated list of allowed options")
            }
            options = String(decoding: optionBytes, as: UTF8.self)
        }
        entryCount = Int(count)
        dataStart = start
    }

    /// The keys of `name` if the cache has that name with exactly this `uid`; nil otherwise (unknown
    /// name, or the name belongs to another uid). An empty array: known user without keys.
    public func keys(forName name: String, uid: UInt32) -> [String]? {
        guard let record = lookup(name: name), record.uid == uid else { return nil }
        return record.keys
    }

    /// The line of `name` (exact, bytewise), or nil. A line that fails to parse is treated as absent.
    public func lookup(name: String) -> KeysCacheRecord? {
        var copy = name
        return copy.withUTF8 { lookup(UnsafeRawBufferPointer($0)) }
    }

    func lookup(_ target: UnsafeRawBufferPointer) -> KeysCacheRecord? {
        guard KeysCache.isValidName(target) else { return nil }
        let bytes = map.bytes
        guard let lineStart = Self.search(target, in: bytes, from: dataStart) else { return nil }
        // name ":" uid ":" key (TAB key)* LF
        guard lineStart + target.count < bytes.count, bytes[lineStart + target.count] == UInt8(ascii: ":") else { return nil }
        let uidStart = lineStart + target.count + 1
        var i = uidStart
        while i < bytes.count && bytes[i] != UInt8(ascii: ":") && bytes[i] != 0x0A { i += 1 }
        guard i < bytes.count, bytes[i] == UInt8(ascii: ":"),
              let uid = KeysCache.parseUID(UnsafeRawBufferPointer(rebasing: bytes[uidStart..<i])), uid != 0
        else { return nil }
        var keys: [String] = []
        i += 1
        var keyStart = i
        while i < bytes.count {
            let b = bytes[i]
            if b == 0x09 || b == 0x0A {
                if i > keyStart {
                    keys.append(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[keyStart..<i]), as: UTF8.self))
                }
                if b == 0x0A { break }
                keyStart = i + 1
            }
            i += 1
        }
        return KeysCacheRecord(name: String(decoding: target, as: UTF8.self), uid: uid, keys: keys)
    }

    static func equals(_ bytes: UnsafeRawBufferPointer, _ text: StaticString) -> Bool {
        guard bytes.count == text.utf8CodeUnitCount else { return false }
        return memcmp(bytes.baseAddress!, text.utf8Start, bytes.count) == 0
    }

    // MARK: - Binary search over line starts

    /// Start offset of the line whose name equals `target`, searching lines in `[start, bytes.count)`.
    ///
    /// Invariant: `lo` is a line start, and the target line (if present) starts in `[lo, hi)`. Each
    /// step probes the first line starting at or after the middle byte.
    static func search(_ target: UnsafeRawBufferPointer, in bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
        var lo = start
        var hi = bytes.count
        while lo < hi {
            let mid = lo + (hi - lo) / 2
            var s = mid
            if mid > lo {
                // first line start >= mid: the byte after the first LF at or after mid - 1
                var i = mid - 1
                while i < hi && bytes[i] != 0x0A { i += 1 }
                s = i + 1
            }
            if s >= hi {
                hi = mid
                continue
            }
            switch compareName(at: s, in: bytes, with: target) {
            case 0:
                return s
            case let c where c < 0:
                var e = s
                while e < bytes.count && bytes[e] != 0x0A { e += 1 }
                lo = e + 1
            default:
                hi = s
            }
        }
        return nil
    }

    /// Compares the name of the line at `s` (bytes up to `:`) with `target`: <0, 0, >0.
    static func compareName(at s: Int, in bytes: UnsafeRawBufferPointer, with target: UnsafeRawBufferPointer) -> Int {
        var i = s
        var j = 0
        while true {
            let lineEnded = i >= bytes.count || bytes[i] == UInt8(ascii: ":") || bytes[i] == 0x0A
            let targetEnded = j == target.count
            if lineEnded { return targetEnded ? 0 : -1 }
            if targetEnded { return 1 }
            let a = bytes[i], b = target[j]
            if a != b { return a < b ? -1 : 1 }
            i += 1
            j += 1
        }
    }

    // MARK: - Safe open

    /// Opens `path` read-only after checking the file and every directory of its real path.
    ///
    /// `path` may be a symbolic link (a node's `keys.cache` points into the current generation,
    /// `current/keys.cache` → `generations/<G>/keys.cache`): the whole path is resolved with
    /// `realpath`, every directory of the resolved path is walked from `/` with
    /// `openat(openPathOnly | O_NOFOLLOW)` and checked, and the resolved file is opened relative to
    /// the last of them with `O_NOFOLLOW`, so what is checked is what is opened. The directory the
    /// given path names (where the link itself lives) must pass the same rule, since whoever may write
    /// there may re-point the link.
    static func openVerified(_ path: String) throws(KeysCacheError) -> Int32 {
        guard path.utf8.first == UInt8(ascii: "/") else {
            throw .malformed(path: path, reason: "path must be absolute")
        }
        let (dir, base) = AtomicFile.split(path)
        guard !base.isEmpty, base != ".", base != ".." else {
            throw .malformed(path: path, reason: "path names a directory")
        }
        guard let linkDirectory = realpath(dir, nil) else {
            let e = errno
            if e == ENOENT || e == ENOTDIR { throw .missing(path: path) }
            throw .io(operation: "resolve directory", path: dir, errno: e)
        }
        defer { free(linkDirectory) }
        guard let resolved = realpath(path, nil) else {
            let e = errno
            if e == ENOENT || e == ENOTDIR { throw .missing(path: path) }
            throw .io(operation: "resolve", path: path, errno: e)
        }
        defer { free(resolved) }
        let length = strlen(resolved)
        var lastSlash = length
        while lastSlash > 0 && resolved[lastSlash - 1] != 0x2F { lastSlash -= 1 }
        lastSlash -= 1                                  // index of the last "/" (realpath is absolute)
        guard lastSlash + 1 < length else { throw .unsafe(path: path, reason: "is not a regular file") }

        // The link's own directory, when the file resolved elsewhere.
        let linkLength = strlen(linkDirectory)
        let sameDirectory = (lastSlash == 0 && linkLength == 1)
            || (linkLength == lastSlash && memcmp(linkDirectory, resolved, lastSlash) == 0)
        if !sameDirectory {
            closeFD(try walkDirectories(linkDirectory, count: linkLength, cachePath: path))
        }
        let dfd = try walkDirectories(resolved, count: lastSlash, cachePath: path)
        defer { closeFD(dfd) }

        let fd = openat(dfd, resolved + lastSlash + 1, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        if fd < 0 {
            let e = errno
            if e == ENOENT { throw .missing(path: path) }
            if e == ELOOP { throw .unsafe(path: path, reason: "changed while being checked (now a symbolic link)") }
            throw .io(operation: "open", path: path, errno: e)
        }
        var st = stat()
        if fstat(fd, &st) != 0 {
            let e = errno
            closeFD(fd)
            throw .io(operation: "fstat", path: path, errno: e)
        }
        /// The path in messages; a link shows what it resolved to (built only on the error paths).
        func shown() -> String {
            let target = String(cString: resolved)
            return target == path ? path : "\(path) (resolved to \(target))"
        }
        if (st.st_mode & S_IFMT) != S_IFREG {
            closeFD(fd)
            throw .unsafe(path: shown(), reason: "is not a regular file")
        }
        if st.st_uid != 0 {
            closeFD(fd)
            throw .unsafe(path: shown(), reason: "is owned by uid \(st.st_uid), not root")
        }
        if st.st_mode & 0o022 != 0 {
            closeFD(fd)
            throw .unsafe(path: shown(), reason: "is writable by group or others (mode \(octal(st.st_mode & 0o7777)))")
        }
        return fd
    }

    /// Opens and checks `/` and then each directory of the absolute, resolved path in
    /// `directory[0..<count]`, one component at a time with `O_NOFOLLOW` (each "/" after a component
    /// is turned into NUL for the `openat` and put back after it). Returns the last directory's fd.
    static func walkDirectories(_ directory: UnsafeMutablePointer<CChar>, count length: Int,
                                cachePath path: String) throws(KeysCacheError) -> Int32 {
        var dfd = open("/", openPathOnly | O_DIRECTORY | O_CLOEXEC)
        if dfd < 0 { throw .io(operation: "open /", path: "/", errno: errno) }
        do throws(KeysCacheError) {
            try checkDirectory(dfd, shown: directory, upTo: 1, cachePath: path)
        } catch {
            closeFD(dfd)
            throw error
        }
        var start = 1
        while start < length {
            var end = start
            while end < length && directory[end] != 0x2F { end += 1 }
            let saved = directory[end]
            directory[end] = 0
            let next = openat(dfd, directory + start, openPathOnly | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            let e = errno
            directory[end] = saved
            closeFD(dfd)
            if next < 0 {
                let shown = String(decoding: UnsafeRawBufferPointer(start: directory, count: end), as: UTF8.self)
                if e == ENOENT { throw .missing(path: path) }
                if e == ELOOP || e == ENOTDIR {
                    throw .unsafe(path: path, reason: "because \(shown) changed while being checked")
                }
                throw .io(operation: "open directory \(shown)", path: path, errno: e)
            }
            dfd = next
            do throws(KeysCacheError) {
                try checkDirectory(dfd, shown: directory, upTo: end, cachePath: path)
            } catch {
                closeFD(dfd)
                throw error
            }
            start = end + 1
        }
        return dfd
    }

    static func checkDirectory(_ fd: Int32, shown: UnsafeMutablePointer<CChar>, upTo end: Int,
                               cachePath: String) throws(KeysCacheError) {
        var st = stat()
        if fstat(fd, &st) != 0 {
            throw .io(operation: "fstat \(String(decoding: UnsafeRawBufferPointer(start: shown, count: end), as: UTF8.self))", path: cachePath, errno: errno)
        }
        if st.st_uid != 0 || st.st_mode & 0o022 != 0 {
            let name = String(decoding: UnsafeRawBufferPointer(start: shown, count: end), as: UTF8.self)
            if st.st_uid != 0 {
                throw .unsafe(path: cachePath, reason: "because directory \(name) is owned by uid \(st.st_uid), not root")
            }
            throw .unsafe(path: cachePath,
                          reason: "because directory \(name) is writable by group or others (mode \(octal(st.st_mode & 0o7777)))")
        }
    }

    static func octal(_ mode: mode_t) -> String {
        let digits = String(mode, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}

/// Owns the bytes a reader looks at: a read-only mapping of the cache file (unmapped when the last
/// reader copy goes away) or a private heap copy (freed then).
final class Mapping {
    let base: UnsafeRawPointer
    let size: Int
    private let isMapped: Bool

    init(mapped base: UnsafeRawPointer, size: Int) {
        self.base = base
        self.size = size
        isMapped = true
    }

    /// Exactly `bytes.count` bytes, so a read past the end is a real overflow (AddressSanitizer sees
    /// it), not a read of the rest of a page.
    init(copying bytes: UnsafeRawBufferPointer) {
        let copy = UnsafeMutableRawPointer.allocate(byteCount: max(bytes.count, 1), alignment: 1)
        if let source = bytes.baseAddress, bytes.count > 0 { copy.copyMemory(from: source, byteCount: bytes.count) }
        base = UnsafeRawPointer(copy)
        size = bytes.count
        isMapped = false
    }

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: size) }

    deinit {
        if isMapped {
            _ = munmap(UnsafeMutableRawPointer(mutating: base), size)
        } else {
            UnsafeMutableRawPointer(mutating: base).deallocate()
        }
    }
}
