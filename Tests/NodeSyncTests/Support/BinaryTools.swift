// Running the built `sunk-bridge` binary from the node tests, and finding it.
import Foundation
import Testing
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

struct DoctorTestError: Error, CustomStringConvertible {
    var description: String
}

/// Runs programs and finds the binaries under test.
enum DoctorTestTools {
    /// `SUNK_BRIDGE_BIN`, else `sunk-bridge` next to the running test binary (SwiftPM puts every
    /// product of the build in one directory).
    static func sunkBridge() throws -> String {
        if let path = ProcessInfo.processInfo.environment["SUNK_BRIDGE_BIN"], !path.isEmpty {
            guard FileManager.default.isExecutableFile(atPath: path) else {
                throw DoctorTestError(description: "SUNK_BRIDGE_BIN=\(path) is not an executable file")
            }
            return path
        }
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("sunk-bridge").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        throw DoctorTestError(description: """
            sunk-bridge binary not found next to \(exe.path): build it (swift build --product sunk-bridge) \
            or set SUNK_BRIDGE_BIN
            """)
    }

    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
        var lines: [String] { stdout.split(separator: "\n").map(String.init) }
        /// True when a line starts with `prefix` and contains every one of `parts`.
        func has(_ prefix: String, _ parts: String...) -> Bool {
            lines.contains { l in l.hasPrefix(prefix) && parts.allSatisfy { l.contains($0) } }
        }
    }

    /// Runs a program to completion; stdout through a pipe read to the end, stderr through a file.
    static func run(_ path: String, _ args: [String], environment: [String: String]? = nil) throws -> Output {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = args
        if let environment { p.environment = environment }
        let errPath = NSTemporaryDirectory() + "/doctor-test-stderr-\(UUID().uuidString)"
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: errPath) }
        let errHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        let out = Pipe()
        p.standardOutput = out
        p.standardError = errHandle
        p.standardInput = FileHandle.nullDevice
        try p.run()
        try? errHandle.close()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let err = FileManager.default.contents(atPath: errPath) ?? Data()
        return Output(status: p.terminationStatus, stdout: String(decoding: data, as: UTF8.self),
                      stderr: String(decoding: err, as: UTF8.self))
    }

    static func requireRoot(_ why: String) throws {
        guard geteuid() == 0 else {
            throw DoctorTestError(description: "this test needs root (\(why)); run the suite as root")
        }
    }

    static func rfc3339(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: date)
    }
}
