// What a node does in-process, each next to a reference measured in the same run:
//  - opening the large signed snapshot (envelope, Ed25519 signature, document decode) vs
//    Foundation's JSONSerialization parsing the same document bytes (the JSON floor);
//  - the canonical encoding of its body (CanonicalJSON) vs JSONEncoder writing the same bytes;
//  - a keys-cache lookup in the large cache vs the same in the small cache (flat = O(log n)).
// Inputs come from Benchmarks/run.py (SUNK_BENCH_SNAPSHOT, SUNK_BENCH_TRUST, SUNK_BENCH_KEYS_SMALL,
// SUNK_BENCH_KEYS_LARGE, SUNK_BENCH_KEYS_NAME_SMALL/LARGE); a benchmark whose input is missing is not
// registered.
import AuthorizedKeys
import Benchmark
import Foundation
import SunkSnapshot

let benchmarks: @Sendable () -> Void = {
    // Throughput is what the JMH export (read by run.py) carries as its primary metric.
    Benchmark.defaultConfiguration = .init(metrics: [.throughput, .wallClock, .mallocCountTotal],
                                           maxDuration: .seconds(5), maxIterations: 100_000)
    let env = ProcessInfo.processInfo.environment

    if let snapshotPath = env["SUNK_BENCH_SNAPSHOT"], let trustPath = env["SUNK_BENCH_TRUST"],
       let data = FileManager.default.contents(atPath: snapshotPath),
       let trust = try? TrustedKeys.load(path: trustPath) {
        // The document is what follows the envelope's blank line (docs/snapshot.md).
        let bytes = [UInt8](data)
        var split = 0
        while split + 1 < bytes.count && !(bytes[split] == 0x0A && bytes[split + 1] == 0x0A) { split += 1 }
        let document = Data(bytes[(split + 2)...])
        Benchmark("snapshot open (verify + decode)", configuration: .init(metrics: [.throughput, .wallClock, .mallocCountTotal], maxDuration: .seconds(10), maxIterations: 20)) { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(try! SnapshotOpening.open(data, trust: trust, expectedOrg: "default"))
            }
        }
        // The receiver's and the node's canonical encoding of the body (digest, publication) against
        // JSONEncoder writing the same bytes, the definition it is held to.
        if let body = try? SnapshotOpening.open(data, trust: trust, expectedOrg: "default").document.body {
            Benchmark("snapshot encode (canonical)", configuration: .init(metrics: [.throughput, .wallClock, .mallocCountTotal], maxDuration: .seconds(10), maxIterations: 20)) { benchmark in
                for _ in benchmark.scaledIterations {
                    blackHole(SnapshotDocument.canonicalEncoding(of: body))
                }
            }
            Benchmark("reference: JSONEncoder of the body", configuration: .init(metrics: [.throughput, .wallClock, .mallocCountTotal], maxDuration: .seconds(10), maxIterations: 20)) { benchmark in
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                for _ in benchmark.scaledIterations {
                    blackHole(try! encoder.encode(body))
                }
            }
        }
        Benchmark("reference: JSONSerialization of the document", configuration: .init(metrics: [.throughput, .wallClock, .mallocCountTotal], maxDuration: .seconds(10), maxIterations: 20)) { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(try! JSONSerialization.jsonObject(with: document))
            }
        }
    }

    for size in ["SMALL", "LARGE"] {
        guard let path = env["SUNK_BENCH_KEYS_\(size)"], let name = env["SUNK_BENCH_KEYS_NAME_\(size)"],
              let reader = try? KeysCacheReader(path: path) else { continue }
        Benchmark("keys cache lookup, \(size.lowercased()) cache") { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(reader.lookup(name: name))
            }
        }
    }
}
