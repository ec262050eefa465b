import Hummingbird
import SCIMProtocol
import SunkStore
import Synchronization

/// What the handlers learn about a request that its log line needs (the authenticated token's
/// name, the SCIM error type of a refusal), and the request id for the handlers' own log lines.
/// The observability middleware creates one per request and binds it to a task-local for the
/// handler's duration; handlers run in the same task, so they find it without any change to the
/// routes.
final class RequestObservation: Sendable {
    @TaskLocal static var current: RequestObservation?

    private struct State {
        var tokenName: String?
        var scimType: String?
    }
    private let state = Mutex(State())
    let requestID: String

    init(requestID: String) { self.requestID = requestID }

    var tokenName: String? { state.withLock { $0.tokenName } }
    var scimType: String? { state.withLock { $0.scimType } }

    func noteToken(_ name: String) { state.withLock { $0.tokenName = name } }
    func noteError(_ error: SCIMError) { state.withLock { $0.scimType = error.scimType?.rawValue } }
}

/// The authenticator the routes call: the real one, plus a note of which token was presented so
/// the request's log line can name it (the name only; the secret never leaves `Authenticator`).
struct ObservedAuthenticator: Sendable {
    let base: Authenticator

    init(database: any IdentityStore) { base = Authenticator(database: database) }

    /// Notes the token as soon as it is known, so a 403 (wrong scope, SCIM API off) names it too.
    func authorize(_ request: Request, org: String, surface: APISurface) async throws -> (Org, Principal) {
        let authorization = try await base.authenticate(request, org: org)
        RequestObservation.current?.noteToken(authorization.principal.tokenName)
        return (try await base.permit(authorization, request, org: org, surface: surface), authorization.principal)
    }
}
