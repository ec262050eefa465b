import Foundation
import Synchronization
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// A child's output as it arrives, readable while the child keeps running.
public final class OutputCollector: Sendable {
    private let state = Mutex<(bytes: [UInt8], ended: Bool)>(([], false))

    public init() {}

    public func append(_ bytes: [UInt8]) { state.withLock { $0.bytes += bytes } }
    public func finish() { state.withLock { $0.ended = true } }

    public var bytes: [UInt8] { state.withLock { $0.bytes } }
    public var text: String { String(decoding: bytes, as: UTF8.self) }
    /// Alias of `text`.
    public var output: String { text }
    /// True once the stream reached end of file.
    public var isAtEnd: Bool { state.withLock { $0.ended } }

    /// The rest of the first line that starts with `prefix`, once it has arrived.
    public func line(startingWith prefix: String) -> String? {
        text.split(separator: "\n").first { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
    }

    /// Waits up to `seconds` for end of file.
    public func waitForEnd(seconds: Double) async {
        let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        while !isAtEnd && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
    }
}

/// Everything until end of file from `fd`, retrying interrupted reads (FileHandle's readers trap
/// on EINTR, and children the tests kill interrupt reads with SIGCHLD).
public func readToEnd(_ fd: Int32) -> [UInt8] {
    var all: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { return all }
        all += buffer[0..<n]
    }
}

/// Waits for `condition` (checked every 50 ms) up to `limit` seconds; a guard against a hung
/// child, not a measurement.
public func eventually(limit: Double = 120, _ condition: () -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int64(limit * 1000))
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try await Task.sleep(for: .milliseconds(50))
    }
    return condition()
}
