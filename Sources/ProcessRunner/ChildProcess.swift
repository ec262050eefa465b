// The one way node and controller code run a program (visudo, sshd -T, the on-lock hook, loginctl,
// sacctmgr, scancel): an argument vector and no shell, the environment the caller chooses, a time
// limit enforced with SIGTERM and then SIGKILL, and the output captured in an unlinked temporary
// file rather than a pipe, so no reader thread is needed and a full pipe cannot stall the child.
//
// Two things Foundation's Process decides, and this type inherits:
// - the child gets a socket whose closing tells Process the child ended, so a grandchild that keeps
//   it (a hook that starts something in the background) holds up the wait until it exits, time
//   limit included (the limit signals the child, not its descendants);
// - the child starts with the launching thread's blocked signals; on a Dispatch or Swift
//   concurrency thread SIGTERM is among them, so a program that does not unblock it (a shell
//   does) ends only at the SIGKILL `killGrace` later.
import AuthorizedKeys
import Foundation
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// A program to run once, and how.
public struct ChildProcess: Sendable {
    /// Absolute path of the program.
    public var program: String
    public var arguments: [String]
    /// The child's whole environment; nil: it inherits this process's.
    public var environment: [String: String]?
    /// Seconds the child may run (at least 1) before it gets SIGTERM; nil: no limit.
    public var timeout: Int?
    /// Seconds between SIGTERM and SIGKILL once the time limit has passed.
    public var killGrace: Double
    /// Bytes kept of each stream: the last ones (error messages come last); older bytes are dropped
    /// and `ChildResult.truncated` is set.
    public var outputLimit: Int
    /// Standard error goes into the standard output capture, interleaved as the child wrote them.
    public var mergeStandardError: Bool

    public init(_ program: String, _ arguments: [String], environment: [String: String]? = nil,
                timeout: Int? = nil, killGrace: Double = 2, outputLimit: Int = 1 << 20,
                mergeStandardError: Bool = false) {
        self.program = program
        self.arguments = arguments
        self.environment = environment
        self.timeout = timeout
        self.killGrace = killGrace
        self.outputLimit = outputLimit
        self.mergeStandardError = mergeStandardError
    }

    /// Starts the program (through `ProcessLaunch`), waits for it, and returns how it ended and
    /// what it wrote. Throws only when it could not be started.
    public func run() throws(ChildLaunchError) -> ChildResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        if let environment { process.environment = environment }
        process.standardInput = FileHandle.nullDevice
        let (out, err) = try ProcessLaunch.run(process) { () throws(ChildLaunchError) in
            // Created under the launch lock: no other child started meanwhile can inherit them.
            let out = try CaptureFile()
            let err = mergeStandardError ? out : try CaptureFile()
            process.standardOutput = out.handle
            process.standardError = err.handle
            return (out, err)
        }
        let timedOut = wait(for: process)
        let (stdout, outCut) = out.tail(outputLimit)
        let (stderr, errCut) = mergeStandardError ? ([], false) : err.tail(outputLimit)
        let ending: ChildResult.Ending = process.terminationReason == .uncaughtSignal
            ? .signal(process.terminationStatus) : .exit(process.terminationStatus)
        return ChildResult(ending: ending, timedOut: timedOut, stdout: stdout, stderr: stderr,
                           truncated: outCut || errCut)
    }

    /// Waits for the child; past the time limit sends SIGTERM, then SIGKILL after `killGrace`.
    /// True when the limit ended it.
    private func wait(for process: Process) -> Bool {
        guard let timeout else {
            process.waitUntilExit()
            return false
        }
        let deadline = Date().addingTimeInterval(TimeInterval(max(timeout, 1)))
        while process.isRunning && Date() < deadline { usleep(20_000) }
        guard process.isRunning else {
            process.waitUntilExit()
            return false
        }
        process.terminate()
        let hard = Date().addingTimeInterval(killGrace)
        while process.isRunning && Date() < hard { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        return true
    }
}

/// How a child ended and what it wrote.
public struct ChildResult: Sendable, Equatable {
    /// `exit(N)` or `signal(N)` (the signal that ended it).
    public enum Ending: Sendable, Equatable {
        case exit(Int32)
        case signal(Int32)
    }

    public var ending: Ending
    /// The time limit passed and the child was signalled.
    public var timedOut: Bool
    /// Standard output (with standard error when merged), its last `outputLimit` bytes.
    public var stdout: [UInt8]
    /// Standard error, its last `outputLimit` bytes; empty when merged into `stdout`.
    public var stderr: [UInt8]
    /// More was written than `outputLimit`; the start was dropped.
    public var truncated: Bool

    /// The exit status, or the number of the signal that ended the child (Foundation's
    /// `terminationStatus`).
    public var status: Int32 {
        switch ending {
        case .exit(let code), .signal(let code): code
        }
    }

    /// Exited by itself with status 0.
    public var succeeded: Bool { ending == .exit(0) && !timedOut }

    /// `stdout` as text.
    public var standardOutput: String { String(decoding: stdout, as: UTF8.self) }
    /// `stderr` as text.
    public var standardError: String { String(decoding: stderr, as: UTF8.self) }
}

/// Why a child did not start.
public enum ChildLaunchError: Error, CustomStringConvertible {
    /// The temporary file for its output could not be created (errno).
    case capture(Int32)
    /// Foundation's `Process.run()` failed (no such program, not executable, …).
    case launch(any Error)

    public var description: String {
        switch self {
        case .capture(let code): "cannot create a temp file: \(SystemError.message(code))"
        case .launch(let error): "\(error)"
        }
    }
}

/// An unlinked temporary file the child writes its output to; read back from its end.
private final class CaptureFile {
    let handle: FileHandle

    init() throws(ChildLaunchError) {
        var template = Array((NSTemporaryDirectory() + "/sunk-bridge-child-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw .capture(errno) }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
    }

    /// The last `limit` bytes, and whether anything before them was dropped.
    func tail(_ limit: Int) -> ([UInt8], Bool) {
        let fd = handle.fileDescriptor
        var info = stat()
        guard fstat(fd, &info) == 0 else { return ([], false) }
        let size = Int(info.st_size)
        let start = max(0, size - limit)
        var bytes = [UInt8](repeating: 0, count: size - start)
        var done = 0
        while done < bytes.count {
            let n = SystemError.retryingEINTR {
                bytes.withUnsafeMutableBytes { raw in pread(fd, raw.baseAddress! + done, raw.count - done, off_t(start + done)) }
            }
            if n <= 0 { break }
            done += n
        }
        return (Array(bytes.prefix(done)), start > 0)
    }
}
