import Foundation
import HTTPTypes
import Hummingbird
import Logging
import SCIMProtocol

/// The outermost middleware: gives every request an id (echoed in `X-Request-Id`), counts and
/// times it for `/metrics`, and writes one structured log line when it is answered.
///
/// The line carries the request id, method, path without the query, org, the name of the token
/// that authenticated (never the token itself), status, duration and, for errors, the SCIM
/// `scimType`. It never carries a header, a query string or a body, so no secret, password or
/// SSH key can reach the log through it.
struct ObservabilityMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger
    let metrics: ServerMetrics

    static var requestIDField: HTTPField.Name { HTTPField.Name("X-Request-Id")! }
    /// Probes and scrapes are logged at debug: they come every few seconds and say nothing new.
    static var quietPaths: Set<String> { ["/healthz", "/readyz", "/metrics"] }

    func handle(_ request: Request, context: Context,
                next: (Request, Context) async throws -> Response) async throws -> Response {
        let requestID = RequestID.accept(request.headers[Self.requestIDField]) ?? RequestID.generate()
        let observation = RequestObservation(requestID: requestID)
        let start = ContinuousClock.now
        var context = context
        context.logger[metadataKey: "request_id"] = .string(requestID)
        var response: Response
        var failure: (any Error)?
        do {
            response = try await RequestObservation.$current.withValue(observation) {
                try await next(request, context)
            }
        } catch {
            // Everything SCIM-shaped was answered inside; what is left is a framework failure.
            failure = error
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            let scim = SCIMError(status: status, detail: status >= 500 ? "internal error; the server log has the details"
                                 : (error as? any HTTPResponseError)?.status.reasonPhrase ?? "error")
            observation.noteError(scim)
            response = SCIMResponse.error(scim)
        }
        let elapsed = ContinuousClock.now - start
        response.headers[Self.requestIDField] = requestID
        let status = Int(response.status.code)
        let route = ServerMetrics.routeLabel(context.endpointPath)
        metrics.record(route: route, method: request.method.rawValue, status: status, duration: elapsed)

        let path = request.uri.path
        var metadata: Logger.Metadata = [
            "request_id": .string(requestID),
            "method": .string(request.method.rawValue),
            "path": .string(String(path.prefix(256))),
            "route": .string(route),
            "status": .stringConvertible(status),
            "duration_ms": .string(Self.milliseconds(elapsed)),
        ]
        if let org = Self.org(inPath: path) { metadata["org"] = .string(org) }
        if let token = observation.tokenName { metadata["token"] = .string(token) }
        if status >= 400, let scimType = observation.scimType { metadata["scim_type"] = .string(scimType) }
        if let failure { metadata["error"] = .string(String(describing: failure).prefix(300).description) }
        let level: Logger.Level = Self.quietPaths.contains(path) ? .debug : (status >= 500 ? .error : .info)
        logger.log(level: level, "request", metadata: metadata)
        return response
    }

    /// `ORG` of `/scim/ORG/...` when it is a well-formed org name.
    static func org(inPath path: String) -> String? {
        let parts = path.split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 3, parts[0].isEmpty, parts[1] == "scim" else { return nil }
        let candidate = parts[2].split(separator: "/", maxSplits: 1).first.map(String.init) ?? ""
        let valid = (1...63).contains(candidate.utf8.count)
            && candidate.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7a) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2d }
        return valid ? candidate : nil
    }

    static func milliseconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let ms = Double(seconds) * 1000 + Double(attoseconds) / 1e15
        return String(format: "%.3f", ms)
    }
}

/// Request ids: a client's own (`X-Request-Id` from a proxy or the IdP) when it is a short,
/// plain token, else a fresh random one.
enum RequestID {
    static func accept(_ header: String?) -> String? {
        guard let header, (1...128).contains(header.utf8.count) else { return nil }
        let allowed = header.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
                || byte == UInt8(ascii: ":")
        }
        // A client that pastes a bearer secret here must not get it logged.
        return allowed && !header.hasPrefix("sbt_") ? header : nil
    }

    static func generate() -> String {
        var rng = SystemRandomNumberGenerator()
        let digits = Array("0123456789abcdef".utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        for _ in 0..<16 {
            let value = UInt8.random(in: .min ... .max, using: &rng)
            bytes.append(digits[Int(value >> 4)])
            bytes.append(digits[Int(value & 0xf)])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
