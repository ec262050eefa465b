// The one way tests start programs: swift-subprocess (posix_spawn with every descriptor but stdio
// closed in the child, O_CLOEXEC pipes, signal mask and dispositions reset, children reaped through
// pidfds). It is safe to call from many tasks at once, which Foundation's Process on Linux was not
// (children inherited each other's pipes and blocked signals), so suites can run in parallel again.
import Foundation
import Subprocess
import Synchronization
import Testing
#if canImport(Darwin)
import System
#else
import SystemPackage
#endif
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// How a finished child ended.
public enum Termination: Sendable, Equatable, CustomStringConvertible {
    case exited(Int32)
    case signaled(Int32)

    init(_ status: TerminationStatus) {
        switch status {
        case .exited(let code): self = .exited(code)
        case .signaled(let signal): self = .signaled(signal)
        }
    }

    /// Foundation's `terminationStatus`: the exit code, or the signal number.
    public var status: Int32 {
        switch self {
        case .exited(let code), .signaled(let code): code
        }
    }

    public var description: String {
        switch self {
        case .exited(let code): "exit \(code)"
        case .signaled(let signal): "signal \(signal)"
        }
    }
}

/// What `run` collected from a finished child.
public struct ProcessResult: Sendable {
    public var termination: Termination
    /// Standard output, or standard output and error interleaved when they were merged.
    public var output: String
    /// Standard error when it was collected on its own, else "".
    public var error: String
    /// The exit code, or the signal number (Foundation's `terminationStatus`).
    public var status: Int32 { termination.status }
}

/// What the child's standard error does.
public enum ErrorStream: Sendable {
    /// Interleaved into `output`, like `2>&1`.
    case merged
    /// Collected apart, into `error`.
    case separate
    /// Thrown away.
    case discarded
}

private let collectLimit = 256 << 20

private func environmentValue(_ environment: [String: String]?) -> Subprocess.Environment {
    guard let environment else { return .inherit }
    var custom: [Subprocess.Environment.Key: String] = [:]
    for (key, value) in environment {
        if let key = Subprocess.Environment.Key(rawValue: key) { custom[key] = value }
    }
    return .custom(custom)
}

private func configuration(_ executable: String, _ arguments: [String], environment: [String: String]?,
                           workingDirectory: String?) -> Subprocess.Configuration {
    Subprocess.Configuration(executable: .path(FilePath(executable)), arguments: Arguments(arguments),
                             environment: environmentValue(environment),
                             workingDirectory: workingDirectory.map { FilePath($0) })
}

/// Runs a program to completion and returns how it ended and what it printed. `environment` nil
/// inherits the test's; otherwise it is the whole environment. `input` is fed on stdin (else
/// /dev/null). Waits without blocking a thread of Swift's cooperative pool, so in-process servers
/// keep answering the child.
public func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                input: [UInt8]? = nil, error: ErrorStream = .merged,
                workingDirectory: String? = nil) async throws -> ProcessResult {
    let config = configuration(executable, arguments, environment: environment, workingDirectory: workingDirectory)
    let input: [UInt8] = input ?? []
    switch error {
    case .merged:
        let r = try await Subprocess.run(config, input: .array(input), output: .bytes(limit: collectLimit),
                                         error: .combinedWithOutput)
        return ProcessResult(termination: Termination(r.terminationStatus), output: text(r.standardOutput), error: "")
    case .separate:
        let r = try await Subprocess.run(config, input: .array(input), output: .bytes(limit: collectLimit),
                                         error: .bytes(limit: collectLimit))
        return ProcessResult(termination: Termination(r.terminationStatus), output: text(r.standardOutput),
                             error: text(r.standardError))
    case .discarded:
        let r = try await Subprocess.run(config, input: .array(input), output: .bytes(limit: collectLimit),
                                         error: .discarded)
        return ProcessResult(termination: Termination(r.terminationStatus), output: text(r.standardOutput), error: "")
    }
}

private func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

/// Runs a program with no output kept, SIGKILLing it after `killAfter` seconds (nil: never). Returns
/// how it ended and how long it ran.
public func runKilling(_ executable: String, _ arguments: [String], after delay: Double?,
                       environment: [String: String]? = nil) async throws -> (termination: Termination, seconds: Double) {
    let config = configuration(executable, arguments, environment: environment, workingDirectory: nil)
    let clock = ContinuousClock()
    let start = clock.now
    let r = try await Subprocess.run(config, input: .none, output: .discarded, error: .discarded) { execution in
        if let delay {
            try? await Task.sleep(for: .nanoseconds(Int64(delay * 1e9)))
            try? execution.send(signal: .kill)
        }
    }
    let elapsed = clock.now - start
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    return (Termination(r.terminationStatus), seconds)
}

/// A child that keeps running while the test talks to it (`serve`, nginx, a Python HTTP server):
/// its output collected as it arrives (or appended to a log file), signals, and its end awaited.
public final class ChildProcess: Sendable {
    public enum Output: Sendable {
        /// stdout into `standardOutput`, stderr into `standardError`.
        case separate
        /// Both into `standardOutput`, interleaved.
        case merged
        /// stdout into `standardOutput`, stderr thrown away.
        case discardError
        /// Both appended to this file (read back by `output`).
        case file(String)
    }

    public let pid: pid_t
    public let standardOutput: OutputCollector
    public let standardError: OutputCollector
    public let logFile: String?
    private let holder: FinishedHolder
    private let task: Task<Termination?, Never>

    private init(pid: pid_t, out: OutputCollector, err: OutputCollector, logFile: String?,
                 holder: FinishedHolder, task: Task<Termination?, Never>) {
        self.pid = pid
        self.standardOutput = out
        self.standardError = err
        self.logFile = logFile
        self.holder = holder
        self.task = task
    }

    /// Starts `executable`; returns once it has been spawned. Throws if it could not be.
    public static func start(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                             output: Output = .separate, workingDirectory: String? = nil) async throws -> ChildProcess {
        let config = configuration(executable, arguments, environment: environment, workingDirectory: workingDirectory)
        let out = OutputCollector(), err = OutputCollector()
        let holder = FinishedHolder()
        let started = StartSignal()
        let task = Task<Termination?, Never> {
            do {
                let status: TerminationStatus
                switch output {
                case .separate:
                    status = try await Subprocess.run(config, input: .none, output: .sequence, error: .sequence) { execution in
                        started.resume(.success(execution.processIdentifier.value))
                        async let a: Void = drain(execution.standardOutput, into: out)
                        async let b: Void = drain(execution.standardError, into: err)
                        _ = await (a, b)
                    }.terminationStatus
                case .merged:
                    status = try await Subprocess.run(config, input: .none, output: .sequence,
                                                      error: .combinedWithOutput) { execution in
                        started.resume(.success(execution.processIdentifier.value))
                        await drain(execution.standardOutput, into: out)
                    }.terminationStatus
                case .discardError:
                    status = try await Subprocess.run(config, input: .none, output: .sequence, error: .discarded) { execution in
                        started.resume(.success(execution.processIdentifier.value))
                        await drain(execution.standardOutput, into: out)
                    }.terminationStatus
                case .file(let path):
                    let fd = try FileDescriptor.open(FilePath(path), .writeOnly, options: [.create, .append],
                                                     permissions: [.ownerReadWrite, .groupRead, .otherRead])
                    status = try await Subprocess.run(config, input: .none,
                                                      output: .fileDescriptor(fd, closeAfterSpawningProcess: true),
                                                      error: .combinedWithOutput) { execution in
                        started.resume(.success(execution.processIdentifier.value))
                    }.terminationStatus
                }
                out.finish()
                err.finish()
                let termination = Termination(status)
                holder.value.withLock { $0 = termination }
                return termination
            } catch {
                out.finish()
                err.finish()
                started.resume(.failure(error))
                holder.value.withLock { $0 = .exited(-1) }
                return nil
            }
        }
        let pid = try await started.wait()
        var logFile: String? = nil
        if case .file(let path) = output { logFile = path }
        return ChildProcess(pid: pid, out: out, err: err, logFile: logFile, holder: holder, task: task)
    }

    /// The output so far: the log file's text for `.file`, else standard output (and error when merged).
    public var output: String {
        if let logFile { return (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "" }
        return standardOutput.text
    }

    /// True until the child has exited and been reaped.
    public var isRunning: Bool { holder.value.withLock { $0 == nil } }

    /// How it ended, once it has.
    public var termination: Termination? { holder.value.withLock { $0 } }

    /// Sends `signal` while the child runs (never to a reaped, possibly reused pid).
    public func signal(_ signal: Int32) {
        holder.value.withLock { if $0 == nil { _ = Glibc.kill(pid, signal) } }
    }

    /// Waits for the child to end.
    @discardableResult
    public func wait() async -> Termination {
        await task.value ?? .exited(-1)
    }

    /// Waits up to `seconds` for the child to end; returns how it ended, or nil if it still runs.
    public func wait(seconds: Double) async -> Termination? {
        let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        while ContinuousClock.now < deadline {
            if let t = termination { return t }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return termination
    }

    /// SIGTERM now, SIGKILL after `grace` seconds if it still runs. Does not wait (usable in `defer`).
    public func stop(grace: Double = 10) {
        signal(SIGTERM)
        Task { [self] in
            if await wait(seconds: grace) == nil { signal(SIGKILL) }
        }
    }

    /// SIGTERM, SIGKILL after `grace` seconds, and waits for the end.
    @discardableResult
    public func stopAndWait(grace: Double = 10) async -> Termination {
        signal(SIGTERM)
        if await wait(seconds: grace) == nil { signal(SIGKILL) }
        return await wait()
    }

    /// SIGKILL, and waits for the end.
    @discardableResult
    public func killAndWait() async -> Termination {
        signal(SIGKILL)
        return await wait()
    }

    /// Waits up to `seconds` for `predicate` on `output`; returns whether it became true.
    public func waitFor(seconds: Double = 60, _ predicate: (String) -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        while ContinuousClock.now < deadline {
            if predicate(output) { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return predicate(output)
    }

    /// The rest of the first output line that starts with `prefix`, once it has arrived.
    public func line(startingWith prefix: String) -> String? {
        output.split(separator: "\n").first { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
    }

    /// Waits for a line starting with `prefix`, or the child's end; returns the rest of that line.
    public func waitForLine(startingWith prefix: String, seconds: Double = 120) async -> String? {
        _ = await waitFor(seconds: seconds) { _ in line(startingWith: prefix) != nil || !isRunning }
        if !isRunning { await standardOutput.waitForEnd(seconds: 10) }
        return line(startingWith: prefix)
    }

    /// The port of the `listening on http(s)://127.0.0.1:PORT` line, once printed.
    public func listeningPort(seconds: Double = 60) async -> Int? {
        _ = await waitFor(seconds: seconds) { $0.contains("listening on ") || !isRunning }
        guard let line = output.split(separator: "\n").first(where: { $0.contains("listening on ") }),
              let port = line.split(separator: ":").last.flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) })
        else { return nil }
        return port
    }
}

private final class FinishedHolder: Sendable {
    let value = Mutex<Termination?>(nil)
}

/// Hands the spawned pid (or the spawn error) from the child's task to `start`, once.
private final class StartSignal: Sendable {
    private let state = Mutex<(result: Result<pid_t, any Error>?, waiter: CheckedContinuation<pid_t, any Error>?)>((nil, nil))

    func resume(_ result: Result<pid_t, any Error>) {
        let waiter: CheckedContinuation<pid_t, any Error>? = state.withLock { s in
            guard s.result == nil else { return nil }
            s.result = result
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume(with: result)
    }

    func wait() async throws -> pid_t {
        try await withCheckedThrowingContinuation { continuation in
            let ready: Result<pid_t, any Error>? = state.withLock { s in
                if let r = s.result { return r }
                s.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(with: ready) }
        }
    }
}

private func drain(_ sequence: SubprocessOutputSequence, into collector: OutputCollector) async {
    do {
        for try await buffer in sequence {
            buffer.withUnsafeBytes { collector.append(Array($0)) }
        }
    } catch {
        collector.append(Array("\n[reading the child's output failed: \(error)]\n".utf8))
    }
}

extension ProcessResult {
    /// `output` (standard output when standard error was collected apart).
    public var stdout: String { output }
    /// `error`: standard error when it was collected apart.
    public var stderr: String { error }
    /// The lines of `output`.
    public var lines: [String] { output.split(separator: "\n").map(String.init) }
    /// True when a line of `output` starts with `prefix` and contains every one of `parts`.
    public func has(_ prefix: String, _ parts: String...) -> Bool {
        lines.contains { l in l.hasPrefix(prefix) && parts.allSatisfy { l.contains($0) } }
    }
}

/// Fails the test (never skips it) unless it runs as root, saying why root is needed.
public func requireRoot(_ why: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    guard geteuid() == 0 else {
        Issue.record("this test needs root (\(why)); run the suite as root", sourceLocation: sourceLocation)
        throw NotRoot()
    }
}

public struct NotRoot: Error, CustomStringConvertible {
    public var description: String { "not root" }
}
