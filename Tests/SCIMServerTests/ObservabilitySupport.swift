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

/// A server started like `sunk-bridge serve` starts it, but with a capturing logger, over a
/// fresh database with the `default` org and one scim token named `okta-observed`.
final class ObservedServer: Sendable {
    static let tokenName = "okta-observed"

    let directory: String
    let database: SunkDatabase
    let token: String
    let baseURL: String
    let capture: LogCapture
    let client: HTTPClient
    private let task: Task<Void, any Error>

    struct Reply: Sendable {
        var status: Int
        var headers: HTTPHeaders
        var body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    /// `ready` replaces the database probe of `/readyz` (to see the 503 answer).
    static func start(ready: (@Sendable () async -> Bool)? = nil) async throws -> ObservedServer {
        let directory = try temporaryDirectory("observed")
        let database = try SunkDatabase(path: directory + "/sunk.sqlite")
        _ = try database.createOrg("default")
        let token = try database.createToken(org: "default", name: tokenName, scope: .scim)
        let capture = LogCapture()
        let logger = capture.logger()
        let (stream, continuation) = AsyncStream<String>.makeStream()
        let configuration = ServerConfiguration(host: "127.0.0.1", port: 0)
        let task: Task<Void, any Error>
        if let ready {
            // Only the observability part, with the given probe.
            let router = Router()
            SCIMServerApp.addObservability(to: router, database: database, logger: logger, ready: ready)
            router.get("/healthz") { _, _ in "ok\n" }
            let app = Application(
                router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                onServerRunning: { channel in continuation.yield("http://127.0.0.1:\(channel.localAddress?.port ?? 0)") },
                logger: logger)
            task = Task { try await app.runService(gracefulShutdownSignals: []) }
        } else {
            let app = SCIMServerApp.make(database: database, configuration: configuration, logger: logger) { url in
                continuation.yield(url)
            }
            task = Task { try await app.runService(gracefulShutdownSignals: []) }
        }
        var url: String?
        for await value in stream { url = value; break }
        let bound = try #require(url, "the server did not report a listening address")
        return ObservedServer(directory: directory, database: database, token: token, baseURL: bound,
                              capture: capture, task: task)
    }

    private init(directory: String, database: SunkDatabase, token: String, baseURL: String, capture: LogCapture,
                 task: Task<Void, any Error>) {
        self.directory = directory; self.database = database; self.token = token
        self.baseURL = baseURL; self.capture = capture; self.task = task
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(60), read: .seconds(120))
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    func finish() async {
        try? await client.shutdown()
        task.cancel()
        _ = try? await task.value
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// `path` is absolute on the server (`/scim/default/Users`, `/metrics`).
    func send(_ method: HTTPMethod, _ path: String, body: [UInt8]? = nil, bearer: String? = nil,
              headers: [(String, String)] = []) async throws -> Reply {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        if let bearer { request.headers.add(name: "Authorization", value: "Bearer \(bearer)") }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/scim+json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response = try await client.execute(request, timeout: .seconds(60))
        let buffer = try await response.body.collect(upTo: 16 << 20)
        return Reply(status: Int(response.status.code), headers: response.headers, body: Array(buffer.readableBytesView))
    }
}

func withObservedServer(ready: (@Sendable () async -> Bool)? = nil,
                        _ body: (ObservedServer) async throws -> Void) async throws {
    let server = try await ObservedServer.start(ready: ready)
    do { try await body(server) } catch { await server.finish(); throw error }
    await server.finish()
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
func parsePrometheus(_ text: [UInt8]) throws -> [PromSample] {
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
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", script]
    let input = Pipe(), output = Pipe(), errors = Pipe()
    process.standardInput = input
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    input.fileHandleForWriting.write(Data(text))
    try input.fileHandleForWriting.close()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    switch process.terminationStatus {
    case 0: break
    case 127:
        Issue.record("python3 is not installed: the /metrics test parses with the Python prometheus-client (apt-get install python3; pip install prometheus-client)")
        throw CancellationError()
    case 3:
        Issue.record("python3 has no prometheus_client: run `pip install prometheus-client` (the reference Prometheus text-format parser this test uses)")
        throw CancellationError()
    default:
        Issue.record("the Prometheus parser rejected /metrics (exit \(process.terminationStatus)): \(errorText)")
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
