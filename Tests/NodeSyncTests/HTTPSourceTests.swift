// `sync --from URL --token-file F` against a small loopback HTTP server (python3): bearer token,
// ETag / If-None-Match → 304, HTTP errors leave the node untouched.
import Foundation
import NodeSync
import SunkSnapshot
import Testing
import TestSupport

@Suite("HTTP snapshot source", .serialized, .tags(.live))
struct HTTPSourceTests {
    /// Serves DIR/snapshot.json at /scim/default/export/v1/snapshot when the bearer token is `secret`
    /// (else 401), with ETag "\"<serial>\"" from DIR/etag, 304 on a matching If-None-Match, 404
    /// elsewhere. Listens on 127.0.0.1, an ephemeral port printed on the first line. Logs requests to
    /// DIR/requests.log. Exits by itself after 120 s.
    static let server = #"""
    import http.server, os, sys, threading
    d = sys.argv[1]
    threading.Timer(120, lambda: os._exit(0)).start()   # never outlive a hung test
    class H(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a): pass
        def do_GET(self):
            with open(os.path.join(d, "requests.log"), "a") as f:
                f.write("%s inm=%s\n" % (self.path, self.headers.get("If-None-Match")))
            if self.headers.get("Authorization") != "Bearer secret":
                self.send_response(401); self.send_header("WWW-Authenticate", "Bearer"); self.end_headers()
                self.wfile.write(b'{"detail":"bad token"}'); return
            if self.path != "/scim/default/export/v1/snapshot":
                self.send_response(404); self.end_headers(); return
            etag = open(os.path.join(d, "etag")).read().strip()
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304); self.send_header("ETag", etag); self.end_headers(); return
            body = open(os.path.join(d, "snapshot.json"), "rb").read()
            self.send_response(200); self.send_header("ETag", etag)
            self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
    s = http.server.HTTPServer(("127.0.0.1", 0), H)
    print(s.server_address[1], flush=True)
    s.serve_forever()
    """#

    final class Server: Sendable {
        let process: ChildProcess
        let port: Int
        let directory: String

        init(directory: String) async throws {
            self.directory = directory
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let child = try await ChildProcess.start("/usr/bin/python3", ["-c", HTTPSourceTests.server, directory],
                                                     output: .separate)
            process = child
            _ = await child.waitFor(seconds: 30) { $0.contains("\n") || !child.isRunning }
            guard let line = child.output.split(separator: "\n").first, let port = Int(line) else {
                child.signal(SIGKILL)
                throw SyncError.usage("test server did not start (python3 missing?): \(child.standardError.text)")
            }
            self.port = port
        }

        var url: String { "http://127.0.0.1:\(port)/scim/default/export/v1/snapshot" }

        func publish(_ body: SnapshotBody) throws {
            try HTTPSourceTests.signer.sign(body).write(to: URL(fileURLWithPath: directory + "/snapshot.json"))
            try "\"\(body.serial)\"".write(toFile: directory + "/etag", atomically: true, encoding: .utf8)
        }

        var requests: [String] {
            ((try? String(contentsOfFile: directory + "/requests.log", encoding: .utf8)) ?? "")
                .split(separator: "\n").map(String.init)
        }

        /// SIGKILL: the server must never outlive the test.
        func stop() { process.signal(SIGKILL) }
    }

    static let signer = SignedSnapshotTests.Signer()
    static func options(_ root: String) throws -> SyncOptions {
        SyncOptions(root: root, trust: try SignedSnapshotTests.trust(signer.trustLine))
    }

    static func token(_ root: String, _ value: String) throws -> String {
        let path = root + "/in/token"
        try FileManager.default.createDirectory(atPath: root + "/in", withIntermediateDirectories: true)
        try (value + "\n").write(toFile: path, atomically: false, encoding: .utf8)
        chmod(path, 0o600)
        return path
    }

    @Test func fetchThenNotModifiedThenChange() async throws {
        let root = try Fixture.makeRoot()
        defer { Fixture.remove(root) }
        let server = try await Server(directory: root + "/in")
        defer { server.stop() }
        try server.publish(Fixture.body(users: Fixture.users(3), serial: 5))
        let source = try HTTPSnapshotSource(url: server.url, tokenFile: try Self.token(root, "secret"))
        let options = try Self.options(root)

        let first = try await NodeSyncer(source: source, options: options).run()
        #expect(first.result == .applied)
        #expect(first.serial == 5)
        var state = try #require(try SyncState.load(NodePaths(root: root)))
        #expect(state.etag == "\"5\"")

        let before = NodeFiles(root: root)
        let second = try await NodeSyncer(source: source, options: options).run()
        #expect(second.result == .notModified)
        #expect(NodeFiles(root: root) == before)
        #expect(server.requests.last == "/scim/default/export/v1/snapshot inm=\"5\"")
        state = try #require(try SyncState.load(NodePaths(root: root)))
        #expect(state.lastResult == .notModified)

        try server.publish(Fixture.body(users: Fixture.users(4), serial: 6))
        let third = try await NodeSyncer(source: source, options: options).run()
        #expect(third.result == .applied)
        #expect(third.plan.users.count == 4)
        #expect(try SyncState.load(NodePaths(root: root))?.etag == "\"6\"")
    }

    @Test func httpErrorsLeaveFilesUntouched() async throws {
        let root = try Fixture.makeRoot()
        defer { Fixture.remove(root) }
        let server = try await Server(directory: root + "/in")
        defer { server.stop() }
        try server.publish(Fixture.body(users: Fixture.users(3), serial: 5))
        let good = try HTTPSnapshotSource(url: server.url, tokenFile: try Self.token(root, "secret"))
        _ = try await NodeSyncer(source: good, options: try Self.options(root)).run()
        let before = NodeFiles(root: root)

        try server.publish(Fixture.body(users: Fixture.users(4), serial: 6))
        let wrongToken = try HTTPSnapshotSource(url: server.url, tokenFile: try Self.token(root, "wrong"))
        let options = try Self.options(root)
        do {
            _ = try await NodeSyncer(source: wrongToken, options: options).run()
            Issue.record("401 accepted")
        } catch {
            #expect(error.description.contains("HTTP 401"))
            #expect(error.description.contains("check the node token"))
        }
        let wrongURL = try HTTPSnapshotSource(url: server.url + "x", tokenFile: try Self.token(root, "secret"))
        await #expect(throws: SyncError.self) {
            try await NodeSyncer(source: wrongURL, options: try Self.options(root)).run()
        }
        #expect(NodeFiles(root: root) == before)
        #expect(try SyncState.load(NodePaths(root: root))?.lastError?.contains("HTTP 404") == true)
    }
}
