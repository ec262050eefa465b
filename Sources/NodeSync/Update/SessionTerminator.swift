// Ends every session and process of one uid on this node: systemd-logind first where it runs (so
// the session scopes go away cleanly), then SIGTERM to whatever is left, SIGKILL after a grace time.
import Foundation
import ProcessRunner
import SunkModel
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

enum SessionTerminator {
    /// What was done, one line. Never acts on uid 0.
    static func terminate(uid: UInt32, grace: Int) -> String {
        guard uid != 0 else { return "refused: uid 0" }
        var parts: [String] = []
        // systemd is PID 1 (sd_booted's test); logind may still be absent: its error is recorded.
        if FileManager.default.fileExists(atPath: "/run/systemd/system"),
           let loginctl = ["/usr/bin/loginctl", "/bin/loginctl"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) {
            parts.append("loginctl terminate-user: "
                         + HookRunner.run([loginctl, "terminate-user", String(uid)], timeout: 10))
        }
        let termed = signal(uid: uid, SIGTERM)
        guard termed > 0 else {
            parts.append("no process left")
            return parts.joined(separator: "; ")
        }
        let deadline = Date().addingTimeInterval(TimeInterval(max(grace, 0)))
        while Date() < deadline, !processes(of: uid).isEmpty { usleep(50_000) }
        let killed = signal(uid: uid, SIGKILL)
        parts.append("SIGTERM to \(termed) process(es)" + (killed > 0 ? ", SIGKILL to \(killed) after \(grace) s" : ""))
        return parts.joined(separator: "; ")
    }

    /// Sends `sig` to every live process whose real, effective or saved uid is `uid`; returns how many.
    static func signal(uid: UInt32, _ sig: Int32) -> Int {
        var count = 0
        for pid in processes(of: uid) where kill(pid, sig) == 0 { count += 1 }
        return count
    }

    /// Live (not zombie) processes of `uid`, from /proc/PID/status, this process excluded.
    static func processes(of uid: UInt32) -> [pid_t] {
        let me = getpid()
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        var out: [pid_t] = []
        for entry in entries {
            guard let pid = pid_t(entry), pid != me,
                  let text = try? String(contentsOfFile: "/proc/\(entry)/status", encoding: .utf8) else { continue }
            var zombie = false
            var matches = false
            for line in text.split(separator: "\n") {
                if line.hasPrefix("State:") { zombie = line.contains("Z (zombie)") || line.contains("X (dead)") }
                if line.hasPrefix("Uid:") {
                    let ids = line.dropFirst(4).split(whereSeparator: { $0 == "\t" || $0 == " " }).prefix(3)
                    matches = ids.contains { UInt32($0) == uid }
                }
            }
            if matches && !zombie { out.append(pid) }
        }
        return out
    }
}

/// Runs an operator's command with a time limit (a `ChildProcess`, stdout and stderr together).
enum HookRunner {
    /// The output kept: its end, enough for the last line, which is all that is reported.
    static let outputLimit = 64 << 10

    /// `exit N` (plus the last line of output when not 0), `timed out after T s`, or why it could not start.
    static func run(_ argv: [String], timeout: Int) -> String {
        guard let program = argv.first else { return "no command" }
        let result: ChildResult
        do throws(ChildLaunchError) {
            result = try ChildProcess(program, Array(argv.dropFirst()), timeout: timeout, outputLimit: outputLimit,
                                      mergeStandardError: true).run()
        } catch {
            switch error {
            case .capture: return "cannot create a temp file"
            case .launch(let reason): return "cannot run \(program): \(reason.localizedDescription)"
            }
        }
        if result.timedOut { return "timed out after \(timeout) s" }
        let status = switch result.ending {
        case .signal(let number): "killed by signal \(number)"
        case .exit(let code): "exit \(code)"
        }
        if result.succeeded { return status }
        let last = result.standardOutput.split(whereSeparator: \.isNewline).last.map { String($0.prefix(200)) } ?? ""
        let printable = Printable.escaped(last)
        return printable.isEmpty ? status : "\(status): \(printable)"
    }
}
