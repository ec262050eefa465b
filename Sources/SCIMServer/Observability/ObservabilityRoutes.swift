import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import SunkStore

/// `/metrics` (Prometheus text format) and `/readyz`. Neither needs a token: what they show is
/// counts, serials and times, never a user's or a group's name; who may reach them is decided by
/// the listen address and the proxy in front.
struct ObservabilityRoutes {
    let metrics: ServerMetrics
    let logger: Logger
    /// True when the database answers; the real server asks SQLite.
    let ready: @Sendable () async -> Bool

    static let prometheusContentType = "text/plain; version=0.0.4; charset=utf-8"

    func register(on router: Router<BasicRequestContext>) {
        let routes = self
        router.get("/metrics") { _, _ in
            do {
                let body = try await routes.metrics.scrape()
                return Response(status: .ok, headers: [.contentType: Self.prometheusContentType],
                                body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
            } catch {
                routes.logger.error("metrics scrape failed", metadata: ["error": "\(error)"])
                return Self.text("the database did not answer; see the server log\n", status: .serviceUnavailable)
            }
        }
        router.get("/readyz") { _, _ in
            await routes.ready() ? Self.text("ready\n", status: .ok)
                : Self.text("not ready: the database does not answer\n", status: .serviceUnavailable)
        }
    }

    static func text(_ text: String, status: HTTPResponse.Status) -> Response {
        Response(status: status, headers: [.contentType: "text/plain; charset=utf-8"],
                 body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}

extension SCIMServerApp {
    /// The observability part of the router: the outermost middleware and its two routes. Called
    /// by `make` before any other middleware or route, so every request passes through it.
    static func addObservability(to router: Router<BasicRequestContext>, database: any IdentityStore, logger: Logger,
                                 ready: (@Sendable () async -> Bool)? = nil, watch: SerialWatch? = nil) {
        let metrics = ServerMetrics(database: database, watch: watch)
        router.add(middleware: ObservabilityMiddleware(logger: logger, metrics: metrics))
        let probe = ready ?? { await database.isReadable() }
        ObservabilityRoutes(metrics: metrics, logger: logger, ready: probe).register(on: router)
    }
}
