import Hummingbird
import SCIMProtocol

/// RFC 7644 §4: /ServiceProviderConfig, /ResourceTypes, /Schemas. Part of the SCIM surface: served
/// to the org's scim-scope tokens (Okta's and Entra's connection tests and schema discovery);
/// node tokens get 403.
struct DiscoveryRoutes {
    let service: SCIMService

    static let schemas: [SCIMSchema] = [.user, .group, .enterpriseUser, .coreWeaveUser]
    static let resourceTypes: [SCIMResourceType] = [.user, .group]

    func register(on router: Router<BasicRequestContext>) {
        let service = self.service
        get("ServiceProviderConfig", on: router) { _, base in
            ServiceProviderConfig.json(baseURL: base, maxResults: service.configuration.maxResults,
                                       maxPayloadSize: service.configuration.maxBodyBytes)
        }
        get("ResourceTypes", on: router) { _, base in Self.list(Self.resourceTypes.map { $0.json(baseURL: base) }) }
        get("ResourceTypes/:name", on: router) { context, base in
            let name = try context.parameters.require("name")
            guard let type = Self.resourceTypes.first(where: { $0.name.lowercased() == name.lowercased() }) else {
                throw SCIMError.notFound("no resource type \"\(name)\"")
            }
            return type.json(baseURL: base)
        }
        get("Schemas", on: router) { _, base in Self.list(Self.schemas.map { $0.json(baseURL: base) }) }
        get("Schemas/:urn", on: router) { context, base in
            let urn = try context.parameters.require("urn")
            guard let schema = Self.schemas.first(where: { $0.id.lowercased() == urn.lowercased() }) else {
                throw SCIMError.notFound("no schema \"\(urn)\"")
            }
            return schema.json(baseURL: base)
        }
    }

    /// GET /scim/:org/PATH for a scim-scope token of the org; `body` gets the org's base URL.
    /// The endpoints are read-only: other methods answer 405 with `Allow: GET`.
    private func get(_ path: String, on router: Router<BasicRequestContext>,
                     _ body: @escaping @Sendable (BasicRequestContext, String) throws -> JSONValue) {
        let service = self.service
        MethodNotAllowed.register(on: router, path: RouterPath("/scim/:org/\(path)"), allowed: [.get], service: service)
        router.get(RouterPath("/scim/:org/\(path)")) { request, context in
            await service.respond(request) {
                let org = try context.parameters.require("org")
                _ = try await service.authenticator.authorize(request, org: org, surface: .scim(write: false))
                return SCIMResponse.json(try body(context, service.baseURL(org: org)))
            }
        }
    }

    /// A ListResponse with every resource on one page.
    static func list(_ all: [JSONValue]) -> JSONValue {
        ListResponse.json(resources: all, totalResults: all.count, startIndex: 1, itemsPerPage: all.count)
    }
}
