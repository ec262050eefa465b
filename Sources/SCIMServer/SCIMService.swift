import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Console
import Logging
import SCIMProtocol
import SunkStore
import Synchronization

/// Shared state of the running server: the database, the configuration and the base URL that
/// `Location` and `meta.location` use (known only once the port is bound when it is 0).
final class SCIMService: Sendable {
    let database: any IdentityStore
    let configuration: ServerConfiguration
    let authenticator: ObservedAuthenticator
    let logger: Logger
    /// Cursors of `GET /Users` and `/Groups` (RFC 9865).
    let cursors = CursorCodec()
    private let boundURL = Mutex<String>("")

    init(database: any IdentityStore, configuration: ServerConfiguration, logger: Logger) {
        self.database = database
        self.configuration = configuration
        self.authenticator = ObservedAuthenticator(database: database)
        self.logger = logger
        boundURL.withLock { $0 = "http://\(configuration.host):\(configuration.port)" }
    }

    func setBoundURL(_ url: String) { boundURL.withLock { $0 = url } }

    /// `https://public.example/scim/ORG` (or the bound address when no public URL is set).
    func baseURL(org: String) -> String {
        "\(rootURL())/scim/\(org)"
    }

    /// `https://public.example` without a trailing slash, or the bound address.
    func rootURL() -> String {
        configuration.publicURL.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 } ?? boundURL.withLock { $0 }
    }

    /// Runs a handler and turns anything it throws into a SCIM error response.
    func respond(_ request: Request, _ body: () async throws -> Response) async -> Response {
        do {
            return try await body()
        } catch {
            if let scim = ErrorMapping.scimError(for: error) {
                RequestObservation.current?.noteError(scim)
                if scim.status >= 500 {
                    logger.error("request failed", metadata: Self.errorMetadata(request, error: scim.detail))
                }
                return SCIMResponse.error(scim)
            }
            logger.error("internal error", metadata: Self.errorMetadata(request, error: "\(error)"))
            let failure = SCIMError(status: 500, detail: "internal error; the server log has the details")
            RequestObservation.current?.noteError(failure)
            return SCIMResponse.error(failure)
        }
    }

    /// The request id ties a handler's error line to the request's own log line.
    static func errorMetadata(_ request: Request, error: String) -> Logger.Metadata {
        var metadata: Logger.Metadata = ["path": .string(String(request.uri.path.prefix(256))), "error": .string(error)]
        if let id = RequestObservation.current?.requestID { metadata["request_id"] = .string(id) }
        return metadata
    }

    /// Runs a write and records its outcome in the audit log when it was refused (successful
    /// writes are audited by the store inside their transaction).
    func audited<T>(org: Org, principal: Principal, method: String, resource: String,
                    _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            let outcome = ErrorMapping.scimError(for: error).map { "\($0.status) \($0.scimType?.rawValue ?? ""): \($0.detail)" }
                ?? "500 internal error"
            try? await database.audit(org: org, actor: principal.tokenName, method: method, resource: resource,
                                      outcome: String(outcome.prefix(500)))
            throw error
        }
    }
}

/// Entry point used by `sunk-bridge serve` and the tests: builds the Hummingbird application
/// with every route.
public enum SCIMServerApp {
    /// `onListening` gets the bound base URL once the port is open; `ready` replaces the
    /// `/readyz` probe (default: the database answers a read). The console (`/console/`) uses
    /// `console`, with `Secure` cookies whenever the server or its public URL speaks https.
    public static func make(
        database: any IdentityStore, configuration: ServerConfiguration, logger: Logger,
        server: HTTPServerBuilder = .http1(), scheme: String = "http", console: ConsoleConfiguration = .init(),
        onListening: @escaping @Sendable (String) async -> Void = { _ in },
        ready: (@Sendable () async -> Bool)? = nil
    ) -> some ApplicationProtocol {
        let service = SCIMService(database: database, configuration: configuration, logger: logger)
        let router = Router()
        // One watch for the change feed's held requests; /metrics reports how many wait.
        let watch = SerialWatch(database: database)
        addObservability(to: router, database: database, logger: logger, ready: ready, watch: watch)
        router.add(middleware: SCIMFallbackMiddleware())
        router.get("/healthz") { _, _ in "ok\n" }
        DiscoveryRoutes(service: service).register(on: router)
        let users = ResourceRoutes<UserResource>(service: service)
        let groups = ResourceRoutes<GroupResource>(service: service)
        users.register(on: router)
        groups.register(on: router)
        RootSearchRoute(users: users, groups: groups).register(on: router)
        NodeRoutes(service: service, watch: watch).register(on: router)
        var console = console
        console.secureCookies = console.secureCookies || scheme == "https"
            || configuration.publicURL?.lowercased().hasPrefix("https://") == true
        ConsoleRoutes(database: database, configuration: console, logger: logger, publicBase: { service.rootURL() })
            .register(on: router)
        return Application(
            router: router,
            server: server,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port),
                                 serverName: "sunk-bridge"),
            services: [DatabaseCloser(database: database, logger: logger)],
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? configuration.port
                let host = configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host
                let url = "\(scheme)://\(host):\(port)"
                service.setBoundURL(url)
                await onListening(url)
            },
            logger: logger)
    }
}

/// Unmatched routes and framework errors answer with a SCIM error body too.
struct SCIMFallbackMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context,
                next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError {
            let detail = error.status == .notFound ? "no such endpoint: \(request.method) \(request.uri.path)"
                : (error.body ?? error.status.reasonPhrase)
            return SCIMResponse.error(SCIMError(status: Int(error.status.code), detail: detail))
        }
    }
}
