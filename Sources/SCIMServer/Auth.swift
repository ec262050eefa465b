import HTTPTypes
import Hummingbird
import SCIMProtocol
import SunkStore

/// Which API a route belongs to, and so which tokens may use it:
/// - `scim`: the IdP-facing SCIM API (`/Users`, `/Groups`, discovery), switchable per org; only
///   scim-scope tokens, for reads as well as writes (a node token must not list every user's
///   profile, emails included);
/// - `node`: what nodes read (`/export/…`, `/node/…`); tokens of either scope, and it continues
///   while the SCIM API is off.
enum APISurface {
    case scim(write: Bool)
    case node
}

/// Bearer-token authentication (`authenticate`), then the token's right to the surface
/// (`permit`); `ObservedAuthenticator` calls both. Every request reads the token table, so a
/// revoked token, a new token or an org switch takes effect on the next request.
struct Authenticator: Sendable {
    let database: any IdentityStore

    /// The principal of a live token of `orgName` and the org as read with it; 401 for a
    /// missing, unknown or revoked token.
    func authenticate(_ request: Request, org orgName: String) async throws -> Authorization {
        guard let secret = Self.bearerToken(request.headers[.authorization]),
              let authorization = try await database.authorization(secret: secret, org: orgName)
        else { throw SCIMError.unauthorized() }
        return authorization
    }

    /// The org, when an authenticated token may use `surface` (see `APISurface`); 403 (a refused
    /// write audited) when not.
    func permit(_ authorization: Authorization, _ request: Request, org orgName: String,
                surface: APISurface) async throws -> Org {
        let (principal, org) = (authorization.principal, authorization.org)
        switch surface {
        case .scim(let write):
            var refusal: SCIMError?
            // Scope first: a node token is refused here whether or not the SCIM API is on.
            if principal.scope != .scim {
                refusal = SCIMError(status: 403, detail: "token \"\(principal.tokenName)\" has scope \(principal.scope.rawValue); this endpoint needs a scim-scope token (node tokens may read only /scim/\(org.name)/export/… and /scim/\(org.name)/node/…)")
            } else if !org.scimAPI {
                refusal = SCIMError(status: 403, detail: "the SCIM API of org \"\(org.name)\" is turned off (sunk-bridge org set \(org.name) --scim-api on)")
            }
            if let refusal {
                // A refused write is audited like any other refused write.
                if write {
                    let prefix = "/scim/\(orgName)/"
                    let path = request.uri.path
                    let resource = path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
                    try? await database.audit(org: org, actor: principal.tokenName, method: request.method.rawValue,
                                              resource: resource, outcome: "403 \(refusal.detail)")
                }
                throw refusal
            }
        case .node:
            break
        }
        return org
    }

    /// `Authorization: Bearer TOKEN`; the scheme name is case-insensitive (RFC 7235).
    static func bearerToken(_ header: String?) -> String? {
        guard let header else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }
}
