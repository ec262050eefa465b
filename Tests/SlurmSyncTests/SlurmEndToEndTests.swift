// `sunk-bridge slurm sync` against the real Slurm 22.05 (munge, slurmdbd on MariaDB, slurmctld,
// slurmd from Debian 12), all inside the test's own namespaces on loopback: Tests/e2e/slurm/run.sh.
// Needs root and the packages of scripts/install-deps.sh; fails (never skips) without them.
import Foundation
import Testing

@Suite("slurm sync end to end (real Slurm)", .serialized)
struct SlurmEndToEndTests {
    static let script = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().deletingLastPathComponent()
        .appendingPathComponent("../e2e/slurm/run.sh").standardizedFileURL.path

    /// SUNK_BRIDGE_BIN, else the sunk-bridge built next to this test binary.
    static func sunkBridge() throws -> String {
        if let path = ProcessInfo.processInfo.environment["SUNK_BRIDGE_BIN"], !path.isEmpty {
            guard FileManager.default.isExecutableFile(atPath: path) else {
                throw E2EError(description: "SUNK_BRIDGE_BIN=\(path) is not an executable file")
            }
            return path
        }
        var dir = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("sunk-bridge").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        throw E2EError(description: "sunk-bridge not found next to the test binary: swift build --product sunk-bridge, or set SUNK_BRIDGE_BIN")
    }

    struct E2EError: Error, CustomStringConvertible { var description: String }

    @Test("Okta push → sync → slurm sync: sbatch accepted and runs; left group and locked refused; running jobs kept or cancelled; second run no change; hand-made untouched")
    func realSlurm() throws {
        guard geteuid() == 0 else {
            throw E2EError(description: "needs root: namespaces, bind mounts and the Slurm daemons")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [Self.script, try Self.sunkBridge()]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        process.standardInput = FileHandle.nullDevice
        let started = Date()
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        let lines = text.split(separator: "\n").map(String.init)
        print("Tests/e2e/slurm/run.sh: \(Int(Date().timeIntervalSince(started))) s")
        #expect(process.terminationStatus == 0, "run.sh failed:\n\(text)")
        #expect(lines.last == "ALL CHECKS PASSED", "\(lines.suffix(5))")
        #expect(!lines.contains { $0.hasPrefix("FAIL ") }, "\(lines.filter { $0.hasPrefix("FAIL ") })")
        for expected in [
            "ok   slurmctld and slurmd up, node idle",
            "ok   --dry-run prints the sacctmgr commands",
            "ok   --dry-run changed nothing (no account physics)",
            "ok   slurm sync (exit 0)",
            "ok   accounts physics and research marked Organization=sunk-bridge",
            "ok   ada: sbatch --account=physics --wrap=true accepted",
            "ok   ada's job ran: JobState=COMPLETED",
            "ok   bob's association with physics removed",
            "ok   cy blocked: MaxSubmit=0 on cy/physics",
            "ok   bob (left the group): sbatch --account=physics refused",
            "ok   cy (locked): sbatch --account=physics refused",
            "ok   cy's running job left alone by the block (--on-remove block without --cancel-jobs): RUNNING",
            "ok   eve's running job cancelled (--cancel-jobs): CANCELLED",
            "ok   a second slurm sync reports no change (exit 0)",
            "ok   … and ran no command",
            "ok   the account made by hand and its association are untouched",
        ] {
            #expect(lines.contains { $0.hasPrefix(expected) }, "missing line: \(expected)")
        }
    }
}
