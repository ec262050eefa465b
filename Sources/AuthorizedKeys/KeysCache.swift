// The keys cache: the one local file `sunk-authorized-keys` reads on every login attempt.
// No Foundation here: the helper that links this module is built as a fully static binary.

/// The keys cache file, written by `sunk-bridge sync` and read by `sunk-authorized-keys`.
///
/// Location: `<root>/var/lib/sunk-bridge/keys.cache`, owned root:root, mode 0644, in directories that
/// are all root-owned and not writable by group or others (the reader refuses anything else).
///
/// Format (version 1), bytes, ASCII only:
///
/// ```text
/// sunk-keys-cache<TAB>1<TAB><entries><TAB><data-bytes><TAB><options>\n      ← header line
/// name:uid:key1<TAB>key2…\n                                                   ← one line per user
/// ```
///
/// - The header starts with the tag `sunk-keys-cache` and the format version `1`. `<entries>` is the
///   number of user lines and `<data-bytes>` the exact number of bytes after the header line, so a
///   truncated or extended file is detected in O(1). `<options>` is the operator's authorized_keys
///   options (`Policy.keyOptions`, e.g. `restrict,pty`) or empty for none.
/// - User lines are sorted bytewise (unsigned byte order of the UTF-8) on `name`, each name appears
///   once. `name` follows the POSIX user-name character rule `[a-z_][a-z0-9_-]*` (at most 255 bytes,
///   the largest `nameMaxLength` a policy allows); `uid` is decimal without leading zeros, never 0;
///   keys are canonical `SSHPublicKey.rendered` lines (`type base64 [comment]`, no tab, no newline),
///   separated by one TAB; a user without keys has nothing after the second `:`.
/// - Lookup is an exact match on name *and* uid: a binary search over the byte range of the user
///   lines (probe a byte offset, advance to the next line start, compare the name), so a lookup
///   touches O(log n) lines of the memory-mapped file and never scans it.
public enum KeysCache {
    /// The format tag at the start of the header.
    public static let formatTag = "sunk-keys-cache"
    /// The format version this code writes and reads.
    public static let formatVersion = 1
    /// The node's state directory (relative to the node root): `sync` keeps its generations there and
    /// links the cache into it.
    public static let stateDirectory = "/var/lib/sunk-bridge"
    /// The cache's name in the state directory and in each generation.
    public static let fileName = "keys.cache"
    /// Path of the cache relative to the node root: the one definition every Swift caller uses.
    public static let relativePath = stateDirectory + "/" + fileName
    /// Longest user name accepted (the largest `Policy.nameMaxLength`).
    public static let maxNameLength = 255

    /// `<root>/var/lib/sunk-bridge/keys.cache`; a root of `""` or `"/"` means the real file system.
    public static func path(root: String) -> String {
        var r = root
        while r.utf8.count > 1, r.utf8.last == UInt8(ascii: "/") { r.removeLast() }
        if r.isEmpty || r == "/" { return relativePath }
        return r + relativePath
    }

    /// The POSIX user-name character rule of `PosixRules.userName` (`^[a-z_][a-z0-9_-]*$`), with the
    /// longest length any policy allows. Reserved names and the org's length limit are the server's
    /// and `sync`'s business; this rule only guarantees a name cannot break the file format or a log.
    ///
    /// (Raw-buffer versions, not generic ones: a generic call across modules is resolved at run time,
    /// and run-time type metadata is what a short-lived helper pays for most.)
    public static func isValidName(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let count = bytes.count
        guard count > 0, count <= maxNameLength else { return false }
        for i in 0..<count {
            let b = bytes[i]
            let lowerOrUnderscore = (b >= 0x61 && b <= 0x7A) || b == 0x5F
            if i == 0 {
                if !lowerOrUnderscore { return false }
            } else if !(lowerOrUnderscore || (b >= 0x30 && b <= 0x39) || b == 0x2D) {
                return false
            }
        }
        return true
    }

    public static func isValidName(_ name: String) -> Bool {
        var copy = name
        return copy.withUTF8 { isValidName(UnsafeRawBufferPointer($0)) }
    }

    /// Parses a decimal uid: ASCII digits only, no sign, no leading zero, at most UInt32.max.
    public static func parseUID(_ bytes: UnsafeRawBufferPointer) -> UInt32? {
        let count = bytes.count
        guard count > 0, count <= 10, !(bytes[0] == 0x30 && count > 1) else { return nil }
        var value: UInt64 = 0
        for i in 0..<count {
            let b = bytes[i]
            guard b >= 0x30 && b <= 0x39 else { return nil }
            value = value * 10 + UInt64(b - 0x30)
        }
        return value <= UInt64(UInt32.max) ? UInt32(value) : nil
    }

    public static func parseUID(_ text: String) -> UInt32? {
        var copy = text
        return copy.withUTF8 { parseUID(UnsafeRawBufferPointer($0)) }
    }

    /// A cheap safety check of the header's options (the writer applies the full
    /// `Policy.validateKeyOptions`): only `[A-Za-z0-9,-]`, so no option can carry an argument
    /// (`command=`, `from=`…), a quote or a space.
    static func isSafeOptions(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count > 0, bytes.count <= 256 else { return false }
        for b in bytes {
            let ok = (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || (b >= 0x30 && b <= 0x39)
                || b == 0x2C || b == 0x2D
            if !ok { return false }
        }
        return true
    }
}

/// One user's line in the keys cache.
public struct KeysCacheEntry: Sendable, Equatable {
    public var name: String
    public var uid: UInt32
    /// authorized_keys lines; the writer re-parses each and writes it canonically.
    public var keys: [String]

    public init(name: String, uid: UInt32, keys: [String]) {
        self.name = name
        self.uid = uid
        self.keys = keys
    }
}

/// Why the keys cache could not be written or read. `description` is one line for a log.
public enum KeysCacheError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The cache file (or a directory on its path) does not exist.
    case missing(path: String)
    /// A system call failed (`operation` names it, `errno` is the error number).
    case io(operation: String, path: String, errno: Int32)
    /// The file or one of its directories may be modified by someone other than root.
    case unsafe(path: String, reason: String)
    /// The file is not a keys cache this code understands.
    case malformed(path: String, reason: String)
    /// An entry given to the writer is invalid (nothing is written).
    case invalidEntry(name: String, reason: String)
    /// The options given to the writer are not acceptable authorized_keys options.
    case invalidOptions(reason: String)

    public var description: String {
        switch self {
        case .missing(let path):
            return "keys cache \(path) does not exist"
        case .io(let operation, let path, let code):
            return "keys cache \(path): \(operation) failed: \(SystemError.message(code)) (errno \(code))"
        case .unsafe(let path, let reason):
            return "keys cache refused, unsafe: \(path) \(reason)"
        case .malformed(let path, let reason):
            return "keys cache \(path) is malformed: \(reason)"
        case .invalidEntry(let name, let reason):
            return "keys cache entry \(name): \(reason)"
        case .invalidOptions(let reason):
            return "keys cache options: \(reason)"
        }
    }
}
