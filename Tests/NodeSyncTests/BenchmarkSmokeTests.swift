// `make bench`'s harness (Benchmarks/run.py, issue 12) in smoke mode: every benchmark with tiny sizes,
// against the binaries under test. The table must have every row the suite defines, each with a
// figure; only the rows that need what `make bench` adds (the PyPI peer, the ordo-one/benchmark
// package) may say why they were not measured. Needs root (keys cache ownership, mount namespaces).
import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

@Suite("Benchmarks: the make bench harness, smoke sizes", .serialized)
struct BenchmarkSmokeTests {
    static let repo = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// Rows that a smoke run may leave unmeasured, and the reason it must give.
    static let onlyInFullRuns: [String: String] = [
        "ingest-seq-peer": "make bench", "ingest-c8-peer": "make bench",
        "inproc-snapshot-open": "make bench", "inproc-snapshot-encode": "make bench",
        "inproc-keys-lookup": "make bench",
    ]

    @Test("a smoke run prints one table with every row, each measured")
    func smokeTableHasEveryRow() async throws {
        try requireRoot("the benchmarks use a root-owned keys cache and mount namespaces")
        let script = Self.repo + "/Benchmarks/run.py"
        let list = try await run("/usr/bin/env", ["python3", script, "--list-rows"], error: .separate)
        try #require(list.status == 0, "run.py --list-rows: \(list.stderr)")
        let rows = list.lines
        #expect(rows.count >= 40, "expected the full row list, got \(rows.count)")

        let out = NSTemporaryDirectory() + "/bench-smoke-\(UUID().uuidString).md"
        defer { try? FileManager.default.removeItem(atPath: out) }
        let run = try await TestSupport.run("/usr/bin/env", [
            "python3", script, "--smoke", "--bridge", try Binaries.sunkBridge(),
            "--helper", try Binaries.authorizedKeysHelper(), "--out", out,
        ], error: .separate)
        #expect(run.status == 0, "run.py --smoke failed:\n\(run.stdout.suffix(3000))\n\(run.stderr.suffix(3000))")
        let report = try String(contentsOfFile: out, encoding: .utf8)
        #expect(report.contains("- commit: ") && report.contains(" cores (") && report.contains("MiB memory"))
        let tableLines = report.split(separator: "\n").filter { $0.hasPrefix("| ") }
        for row in rows {
            let line = tableLines.first { $0.contains("`\(row)`") }
            #expect(line != nil, "row \(row) missing from the table")
            guard let line else { continue }
            if let reason = Self.onlyInFullRuns[row], line.contains("not measured") {
                #expect(line.contains(reason), "row \(row) not measured without saying why: \(line)")
            } else {
                #expect(!line.contains("not measured"), "row \(row) was not measured: \(line)")
            }
        }
    }
}
