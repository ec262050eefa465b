// `sunk-bridge slurm sync` against the real Slurm 22.05 (munge, slurmdbd on MariaDB, slurmctld,
// slurmd from Debian 12), all inside the test's own namespaces on loopback: Tests/e2e/slurm/run.sh.
// Needs root and the packages of scripts/install-deps.sh; fails (never skips) without them.
import Foundation
import Testing
import TestSupport

@Suite("slurm sync end to end (real Slurm)", .serialized, .tags(.e2e, .root, .slurm), .exclusive, .timeLimit(.minutes(20)))
struct SlurmEndToEndTests {
    static let script = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().deletingLastPathComponent()
        .appendingPathComponent("../e2e/slurm/run.sh").standardizedFileURL.path

    struct E2EError: Error, CustomStringConvertible { var description: String }

    @Test("Okta push → sync → slurm sync: sbatch accepted and runs; left group and locked refused; running jobs kept or cancelled; second run no change; hand-made untouched")
    func realSlurm() async throws {
        guard geteuid() == 0 else {
            throw E2EError(description: "needs root: namespaces, bind mounts and the Slurm daemons")
        }
        let started = Date()
        let result = try await run("/bin/bash", [Self.script, try Binaries.sunkBridge()])
        let text = result.output
        let lines = text.split(separator: "\n").map(String.init)
        print("Tests/e2e/slurm/run.sh: \(Int(Date().timeIntervalSince(started))) s")
        #expect(result.status == 0, "run.sh failed:\n\(text)")
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
