import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import SCIMProtocol
import SCIMServer
import ServiceLifecycle
import SunkStore
import Testing
import TestSupport

/// HTTPS for a test server: the server's certificate store, and the CA file its client trusts.
struct TestTLS: Sendable {
    var store: TLSCertificateStore
    var caFile: String
}

/// A SUNK Bridge server over a real SQLite file in a fresh temp directory. Each test gets its own.
/// By default (`withServer`) requests go through the application's router in process
/// (HummingbirdTesting's `.router`: no socket, the same middleware and handlers); a live server on
/// 127.0.0.1 with a real HTTP client is used where a test needs one: TLS, lifecycle and restarts,
/// child processes that connect to the server, connection-level behaviour (`Transport.live`).
final class TestServer: Sendable {
    /// How requests reach the application.
    enum Transport: Sendable {
        /// In process, through the router (HummingbirdTesting `.router`).
        case router
        /// A real server on 127.0.0.1 and a real HTTP client.
        case live
    }

    let directory: String
    let databasePath: String
    let database: SunkDatabase
    let baseURL: String
    /// A scim-scope token (the IdP's) and its name, which the request log shows.
    let token: String
    let tokenName: String
    let nodeToken: String
    /// The certificate store when the server speaks HTTPS.
    let tls: TLSCertificateStore?
    private let task: Task<Void, any Error>?
    private let group: ServiceGroup?
    let client: HTTPClient
    /// Set for `.router`: requests go to the application in process.
    private let router: (any TestClientProtocol)?

    /// Writes the default org's trust line (what `sunk-bridge org trust-key` prints) to `path`, 0644.
    @discardableResult
    func writeTrustKey(to path: String, org: String = "default") throws -> String {
        let lines = try database.trustKeys(org: org, includePrevious: false).map(\.line)
        FileManager.default.createFile(atPath: path, contents: Data((lines.joined(separator: "\n") + "\n").utf8),
                                       attributes: [.posixPermissions: 0o644])
        return path
    }

    /// Starts a server; `databasePath` reuses an existing database (restart tests). `logger`
    /// replaces the quiet default (to capture the log), `tls` serves HTTPS, `ready` replaces the
    /// `/readyz` database probe.
    static func start(databasePath: String? = nil, port: Int = 0, publicURL: String? = nil, maxBodyBytes: Int = 1 << 20,
                      maxResults: Int = 1000, logger: Logger? = nil, tls: TestTLS? = nil,
                      ready: (@Sendable () async -> Bool)? = nil,
                      prepare: (SunkDatabase) throws -> Void = { _ in }) async throws -> TestServer {
        let setup = try Setup(databasePath: databasePath, prepare: prepare)
        let (stream, continuation) = AsyncStream<String>.makeStream()
        let app = SCIMServerApp.make(
            database: setup.database,
            configuration: ServerConfiguration(host: "127.0.0.1", port: port, publicURL: publicURL, maxBodyBytes: maxBodyBytes,
                                               maxResults: maxResults),
            logger: logger ?? quietLogger(),
            server: tls?.store.httpsServer() ?? .http1(), scheme: tls == nil ? "http" : "https",
            onListening: { url in continuation.yield(url) }, ready: ready)
        // Stopped the way SIGTERM stops `serve`: a graceful shutdown of the service group.
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger ?? quietLogger()))
        let task = Task { try await group.run() }
        var url: String?
        for await value in stream { url = value; break }
        let bound = try #require(url, "the server did not report a listening address")
        return TestServer(directory: setup.directory, databasePath: setup.path, database: setup.database, baseURL: bound,
                          token: setup.token, tokenName: setup.tokenName, nodeToken: setup.nodeToken, tls: tls,
                          task: task, group: group)
    }

    /// Runs `body` against the application in process (HummingbirdTesting `.router`). Its base URL
    /// is the public URL the application is configured with, so `Location` and `meta.location`
    /// read as they do behind a live server.
    static func inProcess(publicURL: String?, maxBodyBytes: Int, maxResults: Int, logger: Logger?,
                          ready: (@Sendable () async -> Bool)?, _ body: (TestServer) async throws -> Void) async throws {
        let setup = try Setup(databasePath: nil, prepare: { _ in })
        let base = publicURL ?? "http://127.0.0.1:1"
        let app = SCIMServerApp.make(
            database: setup.database,
            configuration: ServerConfiguration(host: "127.0.0.1", port: 0, publicURL: base, maxBodyBytes: maxBodyBytes,
                                               maxResults: maxResults),
            logger: logger ?? quietLogger(), ready: ready)
        // The router client only lives inside `test`'s closure, which must be Sendable; the test's
        // body runs there and nowhere else, awaited before `test` returns.
        nonisolated(unsafe) let body = body
        defer { try? FileManager.default.removeItem(atPath: setup.directory) }
        try await app.test(.router) { client in
            let server = TestServer(directory: setup.directory, databasePath: setup.path, database: setup.database,
                                    baseURL: base, token: setup.token, tokenName: setup.tokenName,
                                    nodeToken: setup.nodeToken, tls: nil, task: nil, group: nil, router: client)
            defer { _ = server.client.shutdown() }
            try await body(server)
        }
    }

    /// A database with the default org and a SCIM and a node token.
    private struct Setup {
        var directory: String
        var path: String
        var database: SunkDatabase
        var token: String
        var tokenName: String
        var nodeToken: String

        init(databasePath: String?, prepare: (SunkDatabase) throws -> Void) throws {
            directory = try databasePath.map { ($0 as NSString).deletingLastPathComponent } ?? temporaryDirectory("server")
            path = databasePath ?? directory + "/sunk.sqlite"
            let fresh = !SunkDatabase.exists(at: path)
            database = try SunkDatabase(path: path)
            if fresh { _ = try database.createOrg("default") }
            tokenName = "okta-\(UUID().uuidString.prefix(8))"
            token = try database.createToken(org: "default", name: tokenName, scope: .scim)
            nodeToken = try database.createToken(org: "default", name: "node-\(UUID().uuidString.prefix(8))", scope: .node)
            try prepare(database)
        }
    }

    /// Cancellation at shutdown logs at error level; SUNK_TEST_LOG=debug shows everything.
    private static func quietLogger() -> Logger {
        var logger = Logger(label: "test")
        logger.logLevel = ProcessInfo.processInfo.environment["SUNK_TEST_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .critical
        return logger
    }

    private init(directory: String, databasePath: String, database: SunkDatabase, baseURL: String, token: String,
                 tokenName: String, nodeToken: String, tls: TestTLS?, task: Task<Void, any Error>?, group: ServiceGroup?,
                 router: (any TestClientProtocol)? = nil) {
        self.directory = directory; self.databasePath = databasePath; self.database = database
        self.baseURL = baseURL; self.token = token; self.tokenName = tokenName; self.nodeToken = nodeToken
        self.tls = tls?.store; self.task = task; self.group = group; self.router = router
        // Up to 32 parallel connections and generous timeouts: the concurrency tests open 16 at
        // once, and the machine running every suite in parallel is small and shared.
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 32)
        configuration.timeout = .init(connect: .seconds(60), read: .seconds(120))
        if let tls {
            var trust = TLSConfiguration.makeClientConfiguration()
            trust.trustRoots = .file(tls.caFile)
            configuration.tlsConfiguration = trust
        }
        self.client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    var port: Int { Int(baseURL.split(separator: ":").last!)! }

    /// Stops the server (graceful shutdown) and the client; keeps the directory for restarts.
    func stop() async {
        try? await client.shutdown()
        await group?.triggerGracefulShutdown()
        _ = try? await task?.value
    }

    /// Stops and removes the temp directory.
    func finish() async {
        await stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    var scimURL: String { baseURL + "/scim/default" }

    struct Reply: Sendable {
        var status: Int
        var headers: HTTPHeaders
        var body: [UInt8]
        var json: JSONValue? { try? JSONValue.parse(body) }
        var text: String { String(decoding: body, as: UTF8.self) }
        subscript(key: String) -> JSONValue? { json?[key] }
    }

    /// Sends one request. `path` is relative to /scim/default unless it starts with "http" or "//".
    func request(_ method: HTTPMethod, _ path: String, json: JSONValue? = nil, body: [UInt8]? = nil,
                 token: String? = nil, headers: [(String, String)] = [], authorize: Bool = true) async throws -> Reply {
        let url = path.hasPrefix("http") ? path : (path.hasPrefix("//") ? baseURL + path.dropFirst() : scimURL + path)
        if let router {
            return try await routed(router, method, url, json: json, body: body, token: token, headers: headers,
                                    authorize: authorize)
        }
        return try await Self.send(client, method, url, body: body ?? json?.serialized(),
                                   bearer: authorize ? token ?? self.token : nil, headers: headers)
    }

    /// One request over HTTP with `client` (a live server, or any receiver this process reaches
    /// over a socket); a body is `application/scim+json` unless `headers` say otherwise.
    static func send(_ client: HTTPClient, _ method: HTTPMethod, _ url: String, body: [UInt8]?, bearer: String?,
                     headers: [(String, String)]) async throws -> Reply {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let bearer { request.headers.add(name: "Authorization", value: "Bearer \(bearer)") }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            if !headers.contains(where: { $0.0.lowercased() == "content-type" }) {
                request.headers.add(name: "Content-Type", value: "application/scim+json")
            }
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response = try await client.execute(request, timeout: .seconds(60))
        let buffer = try await response.body.collect(upTo: 64 << 20)
        return Reply(status: Int(response.status.code), headers: response.headers, body: Array(buffer.readableBytesView))
    }

    /// The same request through the router in process.
    private func routed(_ router: any TestClientProtocol, _ method: HTTPMethod, _ url: String, json: JSONValue?,
                        body: [UInt8]?, token: String?, headers: [(String, String)], authorize: Bool) async throws -> Reply {
        try #require(url.hasPrefix(baseURL), "in process, a request goes to this server only: \(url)")
        var fields = HTTPFields()
        if authorize { fields.append(HTTPField(name: .authorization, value: "Bearer \(token ?? self.token)")) }
        for (name, value) in headers {
            fields.append(HTTPField(name: try #require(HTTPField.Name(name)), value: value))
        }
        let bytes = body ?? json?.serialized()
        if bytes != nil, !headers.contains(where: { $0.0.lowercased() == "content-type" }) {
            fields.append(HTTPField(name: .contentType, value: "application/scim+json"))
        }
        let response = try await router.executeRequest(
            uri: String(url.dropFirst(baseURL.count)), method: HTTPRequest.Method(rawValue: method.rawValue)!,
            headers: fields, body: bytes.map { ByteBuffer(bytes: $0) })
        var replyHeaders = HTTPHeaders()
        for field in response.headers { replyHeaders.add(name: field.name.rawName, value: field.value) }
        return Reply(status: Int(response.status.code), headers: replyHeaders, body: Array(response.body.readableBytesView))
    }

    /// Sends one request to a server-absolute `path` (`/metrics`, `/scim/default/Users`), with
    /// `bearer` as the token or no Authorization header at all.
    func send(_ method: HTTPMethod, _ path: String, body: [UInt8]? = nil, bearer: String? = nil,
              headers: [(String, String)] = []) async throws -> Reply {
        try await request(method, baseURL + path, body: body, token: bearer, headers: headers, authorize: bearer != nil)
    }

    func get(_ path: String, token: String? = nil) async throws -> Reply { try await request(.GET, path, token: token) }
    func post(_ path: String, _ json: JSONValue, token: String? = nil) async throws -> Reply {
        try await request(.POST, path, json: json, token: token)
    }
    func put(_ path: String, _ json: JSONValue) async throws -> Reply { try await request(.PUT, path, json: json) }
    func patch(_ path: String, _ json: JSONValue) async throws -> Reply { try await request(.PATCH, path, json: json) }
    func delete(_ path: String) async throws -> Reply { try await request(.DELETE, path) }
}

/// Parses JSON text written in a test.
func json(_ text: String) -> JSONValue {
    do { return try JSONValue.parse(Array(text.utf8)) } catch { fatalError("bad test JSON: \(error)\n\(text)") }
}

/// Runs `body` against a fresh server and always cleans up: in process through the router unless
/// the test needs a live server (`transport: .live`, or TLS).
func withServer(publicURL: String? = nil, maxBodyBytes: Int = 1 << 20, maxResults: Int = 1000,
                logger: Logger? = nil, tls: TestTLS? = nil, ready: (@Sendable () async -> Bool)? = nil,
                transport: TestServer.Transport = .router,
                _ body: (TestServer) async throws -> Void) async throws {
    if transport == .router && tls == nil {
        return try await TestServer.inProcess(publicURL: publicURL, maxBodyBytes: maxBodyBytes, maxResults: maxResults,
                                              logger: logger, ready: ready, body)
    }
    let server = try await TestServer.start(publicURL: publicURL, maxBodyBytes: maxBodyBytes, maxResults: maxResults,
                                            logger: logger, tls: tls, ready: ready)
    do { try await body(server) } catch { await server.finish(); throw error }
    await server.finish()
}

/// A minimal valid user body.
func userBody(_ userName: String, posixName: String? = nil, uid: Int? = nil, extra: String = "") -> JSONValue {
    var ext: [String] = []
    if let posixName { ext.append("\"sunkPosixUsername\": \"\(posixName)\"") }
    if let uid { ext.append("\"sunkPosixUserId\": \(uid)") }
    if !extra.isEmpty { ext.append(extra) }
    let extensionPart = ext.isEmpty ? "" : """
        , "urn:coreweave:params:scim:schemas:extension:coreweave:2.0:CoreWeaveUser": {\(ext.joined(separator: ","))}
        """
    return json("""
        {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "\(userName)", "active": true,
         "name": {"givenName": "Test", "familyName": "User"}\(extensionPart)}
        """)
}
