// `sunk-bridge getent passwd|group [KEY…]` over the files this node wrote.
#if canImport(Glibc)
import Glibc
#endif

/// Looks entries up in the rendered passwd or group file of one NSS format.
///
/// A lookup, not a load: the data file is mapped, not read, and a key is found by scanning its
/// bytes from line to line, so no line becomes a `String` but the one printed. At 100k users that is a few milliseconds of the command's time
/// instead of the hundreds that splitting the file into lines took.
public struct NSSLookup: Sendable {
    public enum Database: String, Sendable, CaseIterable { case passwd, group }

    /// The data file's bytes (empty when the file does not exist).
    private let data: MappedFile

    /// Maps the data file of `database` for `format` below `paths.root`; a missing file reads as empty.
    public init(database: Database, format: NSSFormat, paths: NodePaths) throws(SyncError) {
        let path = database == .passwd ? format.passwdPath(paths) : format.groupPath(paths)
        data = try MappedFile(path: path)
    }

    /// A lookup over lines held in memory (tests).
    public init(lines: [String]) {
        data = MappedFile(bytes: Array(lines.map { $0 + "\n" }.joined().utf8))
    }

    /// Every entry, in file order.
    public var lines: [String] {
        data.withBytes { bytes in
            bytes.split(separator: UInt8(ascii: "\n")).map { String(decoding: $0, as: UTF8.self) }
        }
    }

    /// The first entry whose id (third field) equals `key` when `key` is all digits, else whose name
    /// equals it; as getent does (a POSIX name is never all digits).
    public func find(_ key: String) -> String? {
        let numeric = !key.isEmpty && key.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
        let name = Array(key.utf8) + [UInt8(ascii: ":")]
        let id = numeric ? UInt32(key) : nil
        if numeric && id == nil { return nil }
        return data.withBytes { bytes -> String? in
            let line = Self.firstLine(in: bytes) { line in
                if let id { return Self.thirdField(of: line) == id }
                return line.starts(with: name)
            }
            return line.map { String(decoding: $0, as: UTF8.self) }
        }
    }

    /// getent's behaviour: no keys → every line, exit 0; keys → the found lines, exit 2 when any key
    /// was not found.
    public func query(_ keys: [String]) -> (output: [String], exitCode: Int32) {
        if keys.isEmpty { return (lines, 0) }
        var output: [String] = []
        var missing = false
        for key in keys {
            if let line = find(key) { output.append(line) } else { missing = true }
        }
        return (output, missing ? 2 : 0)
    }

    /// The first line (without its newline) that `matches`; lines are found with glibc's `memchr`.
    private static func firstLine(in bytes: UnsafeRawBufferPointer,
                                  where matches: (UnsafeRawBufferPointer) -> Bool) -> UnsafeRawBufferPointer? {
        var start = 0
        while start < bytes.count {
            let line = lineAt(start, in: bytes)
            if matches(line) { return line }
            start += line.count + 1
        }
        return nil
    }

    /// The line that starts at `offset`, without its newline.
    private static func lineAt(_ offset: Int, in bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        let rest = UnsafeRawBufferPointer(rebasing: bytes[offset...])
        let end = rest.baseAddress.flatMap { memchr($0, 0x0A, rest.count) }
            .map { rest.baseAddress!.distance(to: UnsafeRawPointer($0)) } ?? rest.count
        return UnsafeRawBufferPointer(rebasing: rest[0..<end])
    }

    /// The third colon-separated field read as a decimal id; nil when it is not one.
    private static func thirdField(of line: UnsafeRawBufferPointer) -> UInt32? {
        var colons = 0
        var value: UInt64 = 0
        var digits = 0
        for byte in line {
            if byte == UInt8(ascii: ":") {
                colons += 1
                if colons == 3 { break }
                continue
            }
            guard colons == 2 else { continue }
            guard byte >= 0x30, byte <= 0x39, value <= UInt64(UInt32.max) else { return nil }
            value = value * 10 + UInt64(byte - 0x30)
            digits += 1
        }
        guard colons >= 2, digits > 0, value <= UInt64(UInt32.max) else { return nil }
        return UInt32(value)
    }
}

/// A read-only file mapped into memory (or bytes held for tests); unmapped when the last copy goes.
private final class MappedFile: Sendable {
    private nonisolated(unsafe) let base: UnsafeRawPointer?
    private let count: Int
    private let mapped: Bool

    init(path: String) throws(SyncError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            let code = errno
            guard code == ENOENT || code == ENOTDIR else { throw .io(operation: "open", path: path, errno: code) }
            (base, count, mapped) = (nil, 0, false)
            return
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .io(operation: "fstat", path: path, errno: errno) }
        guard info.st_size > 0 else {
            (base, count, mapped) = (nil, 0, false)
            return
        }
        guard let address = mmap(nil, Int(info.st_size), PROT_READ, MAP_PRIVATE, fd, 0), address != MAP_FAILED else {
            throw .io(operation: "mmap", path: path, errno: errno)
        }
        (base, count, mapped) = (UnsafeRawPointer(address), Int(info.st_size), true)
    }

    init(bytes: [UInt8]) {
        let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 1)
        copy.copyBytes(from: bytes)
        (base, count, mapped) = (UnsafeRawPointer(copy.baseAddress), bytes.count, false)
    }

    func withBytes<T>(_ body: (UnsafeRawBufferPointer) -> T) -> T {
        body(UnsafeRawBufferPointer(start: base, count: count))
    }

    deinit {
        guard let base else { return }
        if mapped { munmap(UnsafeMutableRawPointer(mutating: base), count) } else { base.deallocate() }
    }
}
