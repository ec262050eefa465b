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
            do throws(RuleViolation) {
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
                do throws(RuleViolation) {
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

    /// Publishes the bytes with `AtomicFile.replace`: root:root (when running as root), mode 0644.
    static func commit(_ bytes: [UInt8], to path: String) throws(KeysCacheError) {
        guard !AtomicFile.split(path).base.isEmpty else { throw .malformed(path: path, reason: "path names a directory") }
        do throws(SystemCallError) {
            try AtomicFile.replace(path, with: bytes, attributes: FileAttributes(mode: 0o644))
        } catch {
            throw .io(operation: error.operation, path: error.path, errno: error.errno)
        }
    }

    /// A name for an error message: quoted, escaped (`Printable.escaped`), at most 64 characters.
    static func printable(_ s: String) -> String {
        "\"" + Printable.escaped(String(String.UnicodeScalarView(s.unicodeScalars.prefix(64)))) + "\""
    }
}
