import Foundation
import Testing

/// Runs a program to completion and returns its exit status and combined output. The wait
/// happens on a Dispatch thread (see `offload`), so the in-process server keeps answering the
/// child (e.g. `sunk-bridge sync` fetching from it).
@discardableResult
func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) async throws -> (status: Int32, output: String) {
    try await offload { try runBlocking(executable, arguments, environment: environment) }
}

func runBlocking(_ executable: String, _ arguments: [String], environment: [String: String]?) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let environment { process.environment = environment }
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = readToEnd(pipe.fileHandleForReading.fileDescriptor)
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// Everything until end of file, retrying interrupted reads (FileHandle's readers trap on EINTR).
func readToEnd(_ fd: Int32) -> [UInt8] {
    var all: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { return all }
        all += buffer[0..<n]
    }
}

/// A built executable named by an environment variable (`make test` sets them), else the
/// debug build folder. A missing binary fails the test with what to do.
func builtBinary(_ variable: String, fallback: String) throws -> String {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path
    let candidates = [ProcessInfo.processInfo.environment[variable], root + "/" + fallback].compactMap { $0 }
    guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
        Issue.record("no executable for \(variable) (tried \(candidates.joined(separator: ", "))): run `make test`, which builds it")
        throw CancellationError()
    }
    return found
}

/// The repository root (for scripts under Tests/e2e).
var repositoryRoot: String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path
}

/// A fresh temporary directory.
func temporaryDirectory(_ label: String) throws -> String {
    let path = NSTemporaryDirectory() + "sunk-\(label)-" + UUID().uuidString.prefix(8)
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}
