// The one child runner, on real programs (/bin/sh): status, both streams, the environment, the time
// limit (SIGTERM, then SIGKILL for a child that ignores it), the output cap, and a launch failure.
import Foundation
import ProcessRunner
import Testing

@Suite("ProcessRunner: ChildProcess", .timeLimit(.minutes(1)))
struct ChildProcessTests {
    func shell(_ script: String, environment: [String: String]? = nil, timeout: Int? = nil,
               outputLimit: Int = 1 << 20, merged: Bool = false) throws -> ChildResult {
        try ChildProcess("/bin/sh", ["-c", script], environment: environment, timeout: timeout, killGrace: 0.5,
                         outputLimit: outputLimit, mergeStandardError: merged).run()
    }

    @Test("exit status and the two streams, apart or merged in the order written")
    func streams() throws {
        let apart = try shell("echo out; echo err >&2; exit 3")
        #expect(apart.ending == .exit(3) && apart.status == 3 && !apart.succeeded && !apart.timedOut)
        #expect(apart.standardOutput == "out\n")
        #expect(apart.standardError == "err\n")

        let merged = try shell("echo one; echo two >&2; echo three", merged: true)
        #expect(merged.succeeded)
        #expect(merged.standardOutput == "one\ntwo\nthree\n")
        #expect(merged.stderr.isEmpty)
    }

    @Test("the environment given is the child's whole environment; none given: it inherits ours")
    func environment() throws {
        let given = try shell("echo \"[$SUNK_TEST_VALUE][$HOME]\"", environment: ["SUNK_TEST_VALUE": "set"])
        #expect(given.standardOutput == "[set][]\n")
        let inherited = try shell("echo \"[$PATH]\"")
        #expect(inherited.standardOutput == "[\(ProcessInfo.processInfo.environment["PATH"] ?? "")]\n")
    }

    @Test("past the time limit the child is signalled and the run says it timed out")
    func timeoutEnds() throws {
        let start = Date()
        // exec: the signals reach sleep itself, not a shell waiting for it.
        let result = try shell("echo started; exec sleep 30", timeout: 1)
        #expect(result.timedOut && !result.succeeded)
        #expect(result.ending == .signal(SIGTERM) || result.ending == .signal(SIGKILL), "\(result.ending)")
        #expect(result.standardOutput == "started\n")
        #expect(Date().timeIntervalSince(start) < 10)
    }

    @Test("a child that ignores SIGTERM gets SIGKILL after the grace time")
    func timeoutKills() throws {
        let start = Date()
        let result = try shell("trap '' TERM; while :; do sleep 0.1; done", timeout: 1)
        #expect(result.timedOut)
        #expect(result.ending == .signal(SIGKILL))
        #expect(Date().timeIntervalSince(start) < 10)
    }

    @Test("a shell child gets SIGTERM first: its trap runs and its exit status is kept")
    func termReachesShell() throws {
        let result = try shell("trap 'echo terminated; exit 7' TERM; while :; do sleep 0.1; done", timeout: 1,
                               merged: true)
        #expect(result.timedOut)
        #expect(result.ending == .exit(7), "\(result.ending)")
        #expect(result.standardOutput == "terminated\n")
    }

    @Test("past the cap only the end of the output is kept, and that is said")
    func outputCap() throws {
        let result = try shell("i=0; while [ $i -lt 500 ]; do echo line$i; i=$((i+1)); done; echo last", outputLimit: 64)
        #expect(result.truncated)
        #expect(result.stdout.count == 64)
        #expect(result.standardOutput.hasSuffix("line499\nlast\n"))
        let small = try shell("echo short", outputLimit: 64)
        #expect(!small.truncated && small.standardOutput == "short\n")
    }

    @Test("a program that cannot start is a launch error, not a result")
    func launchFailure() {
        #expect {
            try ChildProcess("/nonexistent/sunk-program", []).run()
        } throws: { error in
            guard case .launch = error as? ChildLaunchError else { return false }
            return true
        }
    }
}
