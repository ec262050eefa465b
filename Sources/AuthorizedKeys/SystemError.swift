#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
@preconcurrency import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// errno helpers without Foundation.
enum SystemError {
    static func message(_ code: Int32) -> String {
        guard let p = strerror(code) else { return "error \(code)" }
        return String(cString: p)
    }

    static var current: Int32 { errno }
}

/// Closes a file descriptor, retrying nothing (close must not be retried on Linux).
@inline(__always) func closeFD(_ fd: Int32) {
    if fd >= 0 { _ = close(fd) }
}

/// O_PATH (Linux): an fd that only names a file; needs search permission on the parent only.
/// Glibc hides it behind _GNU_SOURCE, so it is spelled out (same value on every Linux architecture
/// Swift supports).
let openPathOnly: Int32 = 0o10000000
