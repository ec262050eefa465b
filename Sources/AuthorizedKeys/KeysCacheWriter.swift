#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
@preconcurrency import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import SunkModel

/// Writes the keys cache (format: `KeysCache`) atomically: a temp file in the same directory, write,
/// fsync, owner root:root (when running as root) and mode 0644, rename over the old file, fsync the
/// directory. Every entry is re-validated first; on any error nothing is replaced.
public enum KeysCacheWriter {
    /// Writes `entries` (any order; sorted here) with the operator's `options` (nil = none) to `path`.
    /// The directory must exist.
    public static func write(entries: [KeysCacheEntry], options: String?, to path: String) throws(KeysCacheError) {
        let bytes = try render(entries: entries, options: options)
        try commit(bytes, to: path)
    }

    /// The exact bytes `write` would put in the file (validated, sorted, canonical).
    public static func render(entries: [KeysCacheEntry], options: String?) throws(KeysCacheError) -> [UInt8] {
        if let options {
            do throws(ValidationError) {
                try Policy.validateKeyOptions(options)
            } catch {
                throw .invalidOptions(reason: error.reason)
            }
        }

        var lines: [(name: [UInt8], line: [UInt8])] = []
        lines.reserveCapacity(entries.count)
        for entry in entries {
            let name = Array(entry.name.utf8)
            guard name.withUnsafeBytes({ KeysCache.isValidName($0) }) else {
                throw .invalidEntry(name: printable(entry.name),
                                    reason: "name must match ^[a-z_][a-z0-9_-]*$ (at most \(KeysCache.maxNameLength) bytes)")
            }
            guard entry.uid != 0 else {
                throw .invalidEntry(name: entry.name, reason: "uid 0 is never served keys")
            }
            var line = name
            line.append(UInt8(ascii: ":"))
            line.append(contentsOf: String(entry.uid).utf8)
            line.append(UInt8(ascii: ":"))
            for (i, raw) in entry.keys.enumerated() {
                let rendered: String
                do throws(ValidationError) {
                    rendered = try SSHPublicKey(parsing: raw).rendered
                } catch {
                    throw .invalidEntry(name: entry.name, reason: "key \(i + 1): \(error.reason)")
                }
                for b in rendered.utf8 where b < 0x20 || b == 0x7F {
                    throw .invalidEntry(name: entry.name,
                                        reason: "key \(i + 1): canonical form contains control byte \(b)")
                }
                if i > 0 { line.append(0x09) }
                line.append(contentsOf: rendered.utf8)
            }
            line.append(0x0A)
            lines.append((name, line))
        }

        lines.sort { $0.name.lexicographicallyPrecedes($1.name) }
        var dataBytes = 0
        for i in lines.indices {
            if i > 0 && lines[i - 1].name == lines[i].name {
                throw .invalidEntry(name: String(decoding: lines[i].name, as: UTF8.self), reason: "name appears twice")
            }
            dataBytes += lines[i].line.count
        }

        var out: [UInt8] = []
        let header = "\(KeysCache.formatTag)\t\(KeysCache.formatVersion)\t\(lines.count)\t\(dataBytes)\t\(options ?? "")\n"
        out.reserveCapacity(header.utf8.count + dataBytes)
        out.append(contentsOf: header.utf8)
        for l in lines { out.append(contentsOf: l.line) }
        return out
    }

    // MARK: - Atomic commit

    static func commit(_ bytes: [UInt8], to path: String) throws(KeysCacheError) {
        let (dir, base) = splitPath(path)
        guard !base.isEmpty else { throw .malformed(path: path, reason: "path names a directory") }
        var template = Array((dir == "/" ? "/" : dir + "/").utf8) + Array(".\(base).tmp.XXXXXX".utf8) + [0]
        let fd = template.withUnsafeMutableBufferPointer { buf in
            buf.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buf.count) { mkstemp($0) }
        }
        if fd < 0 { throw .io(operation: "create temp file in \(dir)", path: path, errno: errno) }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        let tempPath = String(decoding: template.dropLast(), as: UTF8.self)
        var committed = false
        defer {
            if !committed { _ = unlink(tempPath) }
        }
        do throws(KeysCacheError) {
            try writeAll(fd, bytes, path: tempPath)
            if fsync(fd) != 0 { throw .io(operation: "fsync", path: tempPath, errno: errno) }
            if geteuid() == 0, fchown(fd, 0, 0) != 0 { throw .io(operation: "fchown root:root", path: tempPath, errno: errno) }
            if fchmod(fd, 0o644) != 0 { throw .io(operation: "fchmod 0644", path: tempPath, errno: errno) }
        } catch {
            closeFD(fd)
            throw error
        }
        if close(fd) != 0 { throw .io(operation: "close", path: tempPath, errno: errno) }
        if rename(tempPath, path) != 0 { throw .io(operation: "rename", path: path, errno: errno) }
        committed = true
        let dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd < 0 { throw .io(operation: "open directory", path: dir, errno: errno) }
        defer { closeFD(dfd) }
        if fsync(dfd) != 0 { throw .io(operation: "fsync directory", path: dir, errno: errno) }
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(KeysCacheError) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { raw in
                Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw .io(operation: "write", path: path, errno: errno)
            }
            offset += n
        }
    }

    static func splitPath(_ path: String) -> (dir: String, base: String) {
        // String indices, no byte array: the helper calls this on every run.
        let utf8 = path.utf8
        guard let slash = utf8.lastIndex(of: UInt8(ascii: "/")) else { return (".", path) }
        let dir = slash == utf8.startIndex ? "/" : String(path[..<slash])
        return (dir, String(path[utf8.index(after: slash)...]))
    }

    /// A name for an error message: control characters replaced, bounded length.
    static func printable(_ s: String) -> String {
        var out = ""
        for scalar in s.unicodeScalars.prefix(64) {
            out.unicodeScalars.append(scalar.value < 0x20 || scalar.value == 0x7F ? "?" : scalar)
        }
        return "\"" + out + "\""
    }
}
