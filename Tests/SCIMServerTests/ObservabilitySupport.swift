import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
@testable import SCIMServer
import SunkStore
import Synchronization
import Testing
import TestSupport

/// Records every log entry (level, message, merged metadata) so tests can inspect what the server
/// logged. swift-log's in-memory handler is not among the dependencies; this is all it takes.
final class LogCapture: Sendable {
    struct Entry: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]

        /// Everything the entry would print, for "never appears" checks.
        var rendered: String {
            message + " " + metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        }
    }

    private let store = Mutex<[Entry]>([])

    var entries: [Entry] { store.withLock { $0 } }
    var requestLines: [Entry] { entries.filter { $0.message == "request" } }
    var allText: String { entries.map(\.rendered).joined(separator: "\n") }

    func append(_ entry: Entry) { store.withLock { $0.append(entry) } }

    func logger(label: String = "observed", level: Logger.Level = .debug) -> Logger {
        var logger = Logger(label: label) { _ in CapturingLogHandler(capture: self) }
        logger.logLevel = level
        return logger
    }
}

struct CapturingLogHandler: LogHandler {
    let capture: LogCapture
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        for (key, value) in event.metadata ?? [:] { merged[key] = value }
        capture.append(.init(level: event.level, message: event.message.description,
                             metadata: merged.mapValues { "\($0)" }))
    }
}

/// A test server whose log is captured (everything from debug up).
func withObservedServer(ready: (@Sendable () async -> Bool)? = nil,
                        _ body: (TestServer, LogCapture) async throws -> Void) async throws {
    let capture = LogCapture()
    try await withServer(logger: capture.logger(), ready: ready) { server in try await body(server, capture) }
}

/// One parsed sample of the exposition.
struct PromSample: Sendable, Equatable {
    var family: String
    var type: String
    var name: String
    var labels: [String: String]
    var value: Double
}

/// Parses Prometheus text exposition with the reference Python parser (prometheus-client from
/// PyPI), fed on stdin. A missing interpreter or package fails the test with what to install.
func parsePrometheus(_ text: [UInt8]) async throws -> [PromSample] {
    let script = """
        import json, sys
        try:
            from prometheus_client.parser import text_string_to_metric_families
        except ImportError:
            sys.stderr.write("MISSING prometheus_client\\n"); sys.exit(3)
        out = []
        for family in text_string_to_metric_families(sys.stdin.read()):
            for s in family.samples:
                out.append({"family": family.name, "type": family.type, "name": s.name,
                            "labels": s.labels, "value": s.value})
        json.dump(out, sys.stdout)
        """
    let result = try await run("/usr/bin/env", ["python3", "-c", script], input: text, error: .separate)
    let data = Data(result.output.utf8)
    let errorText = result.error
    switch result.status {
    case 0: break
    case 127:
        Issue.record("python3 is not installed: the /metrics test parses with the Python prometheus-client (apt-get install python3; pip install prometheus-client)")
        throw CancellationError()
    case 3:
        Issue.record("python3 has no prometheus_client: run `pip install prometheus-client` (the reference Prometheus text-format parser this test uses)")
        throw CancellationError()
    default:
        Issue.record("the Prometheus parser rejected /metrics (exit \(result.status)): \(errorText)")
        throw CancellationError()
    }
    struct Raw: Decodable { var family: String; var type: String; var name: String; var labels: [String: String]; var value: Double }
    return try JSONDecoder().decode([Raw].self, from: data).map {
        PromSample(family: $0.family, type: $0.type, name: $0.name, labels: $0.labels, value: $0.value)
    }
}

extension Array where Element == PromSample {
    /// The value of the sample with exactly this name and these labels.
    func value(_ name: String, _ labels: [String: String]) -> Double? {
        first { $0.name == name && $0.labels == labels }?.value
    }
}
