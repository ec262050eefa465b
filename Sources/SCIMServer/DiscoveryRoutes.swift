import Hummingbird
import SCIMProtocol

/// RFC 7644 §4: /ServiceProviderConfig, /ResourceTypes, /Schemas. Served to any valid token of
/// the org, so Okta's and Entra's connection tests and schema discovery work.
struct DiscoveryRoutes {
    let service: SCIMService

    static let schemas: [SCIMSchema] = [.user, .group, .enterpriseUser, .coreWeaveUser]
    static let resourceTypes: [SCIMResourceType] = [.user, .group]

    func register(on router: Router<BasicRequestContext>) {
        let service = self.service
        router.get("/scim/:org/ServiceProviderConfig") { request, context in
            await service.respond(request) {
                let org = try context.parameters.require("org")
                _ = try await service.authenticator.authorize(request, org: org, surface: .scim(write: false))
                return SCIMResponse.json(ServiceProviderConfig.json(
                    baseURL: service.baseURL(org: org), maxResults: service.configuration.maxResults,
                    maxPayloadSize: service.configuration.maxBodyBytes))
            }
        }
        router.get("/scim/:org/ResourceTypes") { request, context in
            await service.respond(request) {
                let org = try context.parameters.require("org")
                _ = try await service.authenticator.authorize(request, org: org, surface: .scim(write: false))
                let base = service.baseURL(org: org)
                let all = Self.resourceTypes.map { $0.json(baseURL: base) }
                return SCIMResponse.json(ListResponse.json(resources: all, totalResults: all.count, startIndex: 1,
                                                           itemsPerPage: all.count))
            }
        }
        router.get("/scim/:org/ResourceTypes/:name") { request, context in
            await service.respond(request) {
                let org = try context.parameters.require("org")
                let name = try context.parameters.require("name")
                _ = try await service.authenticator.authorize(request, org: org, surface: .scim(write: false))
                guard let type = Self.resourceTypes.first(where: { $0.name.lowercased() == name.lowercased() }) else {
                    throw SCIMError.notFound("no resource type \"\(name)\"")
                }
                return SCIMResponse.json(type.json(baseURL: service.baseURL(org: org)))
            }
        }
        router.get("/scim/:org/Schemas") { request, context in
            await service.respond(request) {
                let org = try context.parameters.require("org")
                _ = try await service.authenticator.authorize(request, org: org, surface: .scim(write: false))
                let base = service.baseURL(org: org)
                let all = Self.schemas.map { $0.json(baseURL: base) }
                return SCIMResponse.json(ListResponse.json(resources: all, totalResults: all.count, startIndex: 1,
                                                           itemsPerPage: all.count))
            }
        }
        router.get("/scim/:org/Schemas/:urn") { request, context in
            await service.respond(request) {
                let org = try context.parameters.require("org")
                let urn = try context.parameters.require("urn")
                _ = try await service.authenticator.authorize(request, org: org, surface: .scim(write: false))
                guard let schema = Self.schemas.first(where: { $0.id.lowercased() == urn.lowercased() }) else {
                    throw SCIMError.notFound("no schema \"\(urn)\"")
                }
                return SCIMResponse.json(schema.json(baseURL: service.baseURL(org: org)))
            }
        }
    }
}
