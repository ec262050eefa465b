// The one errno / EINTR layer of the project, without Foundation: the static key helper links it,
// and NodeSync, the server and the CLI reuse it.
#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
@preconcurrency import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// errno helpers without Foundation.
public enum SystemError {
    /// `strerror(code)` as a Swift string.
    public static func message(_ code: Int32) -> String {
        guard let p = strerror(code) else { return "error \(code)" }
        return String(cString: p)
    }

    /// The calling thread's `errno`.
    public static var current: Int32 { errno }

    /// Calls `call` again for as long as it fails with `EINTR` (a signal arrived before any byte
    /// moved); returns the first other result, with `errno` as the call left it.
    @inlinable
    public static func retryingEINTR<Result: BinaryInteger>(_ call: () -> Result) -> Result {
        while true {
            let result = call()
            if result < 0 && errno == EINTR { continue }
            return result
        }
    }

    /// Writes every byte to `fd`, retrying short writes and `EINTR`. Returns 0, or the errno of the
    /// `write` that failed.
    public static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Int32 {
        bytes.withUnsafeBytes { raw in writeAll(fd, raw) }
    }

    /// `writeAll` over raw bytes.
    public static func writeAll(_ fd: Int32, _ raw: UnsafeRawBufferPointer) -> Int32 {
        var offset = 0
        while offset < raw.count {
            let n = retryingEINTR { write(fd, raw.baseAddress! + offset, raw.count - offset) }
            if n < 0 { return errno }
            offset += n
        }
        return 0
    }

    /// Reads `fd` to its end, retrying `EINTR`, in chunks of `chunk` bytes. Stops with `.tooLarge`
    /// once more than `limit` bytes have been read.
    public static func readAll(_ fd: Int32, limit: Int = .max, chunk: Int = 1 << 16) -> ReadResult {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: chunk)
        while true {
            let n = retryingEINTR { buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) } }
            if n < 0 { return .failed(errno) }
            if n == 0 { return .bytes(bytes) }
            bytes += buffer[0..<n]
            if bytes.count > limit { return .tooLarge }
        }
    }

    public enum ReadResult: Equatable, Sendable {
        case bytes([UInt8])
        case failed(Int32)
        case tooLarge
    }
}

/// Closes a file descriptor, retrying nothing (close must not be retried on Linux).
@inline(__always) func closeFD(_ fd: Int32) {
    if fd >= 0 { _ = close(fd) }
}

/// O_PATH (Linux): an fd that only names a file; needs search permission on the parent only.
/// Glibc hides it behind _GNU_SOURCE, so it is spelled out (same value on every Linux architecture
/// Swift supports).
let openPathOnly: Int32 = 0o10000000
