// The node's bearer token, read from a file only root can read.
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Reads a bearer token file: a regular file, not readable by group or others, one line.
public enum TokenFile {
    public static func read(_ path: String) throws(SyncError) -> String {
        var st = stat()
        if stat(path, &st) != 0 {
            throw .tokenFile(path: path, reason: "cannot be read: \(SystemCall.message(errno))")
        }
        if (st.st_mode & S_IFMT) != S_IFREG {
            throw .tokenFile(path: path, reason: "is not a regular file")
        }
        if (st.st_mode & 0o044) != 0 {
            let mode = String(st.st_mode & 0o777, radix: 8)
            throw .tokenFile(path: path, reason: "is readable by group or others (mode \(mode)); run chmod 600 \(path)")
        }
        guard let bytes = try SystemCall.read(path) else {
            throw .tokenFile(path: path, reason: "does not exist")
        }
        var token = String(decoding: bytes, as: UTF8.self)
        while token.hasSuffix("\n") || token.hasSuffix("\r") { token.removeLast() }
        if token.isEmpty { throw .tokenFile(path: path, reason: "is empty") }
        if token.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value >= 0x7f }) {
            throw .tokenFile(path: path, reason: "must hold one token: printable ASCII without spaces or extra lines")
        }
        return token
    }
}
