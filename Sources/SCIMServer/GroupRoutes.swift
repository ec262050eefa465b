import HTTPTypes
import Hummingbird
import SCIMProtocol
import SunkStore

/// /scim/ORG/Groups: Okta Group Push and Entra group provisioning. Flat groups only.
struct GroupRoutes {
    let service: SCIMService
    var database: SunkDatabase { service.database }

    func register(on router: Router<BasicRequestContext>) {
        let routes = self
        router.get("/scim/:org/Groups") { request, context in
            await routes.service.respond(request) { try await routes.list(request, context) }
        }
        router.post("/scim/:org/Groups") { request, context in
            await routes.service.respond(request) { try await routes.create(request, context) }
        }
        router.get("/scim/:org/Groups/:id") { request, context in
            await routes.service.respond(request) { try await routes.get(request, context) }
        }
        router.put("/scim/:org/Groups/:id") { request, context in
            await routes.service.respond(request) { try await routes.replace(request, context) }
        }
        router.patch("/scim/:org/Groups/:id") { request, context in
            await routes.service.respond(request) { try await routes.patch(request, context) }
        }
        router.delete("/scim/:org/Groups/:id") { request, context in
            await routes.service.respond(request) { try await routes.delete(request, context) }
        }
    }

    func list(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let (org, _) = try await service.authenticator.authorize(
            request, org: try context.parameters.require("org"), surface: .scim(write: false))
        let query = try ListQuery(request, type: .group, maxResults: service.configuration.maxResults)
        let base = service.baseURL(org: org.name)
        let projection = try Projection(request)
        let candidates = try await database.groups(org: org, lookup: query.filter.map(Self.lookup(for:)) ?? .all)
        var resources = candidates.map { GroupMapping.render($0, baseURL: base) }
        if let filter = query.filter { resources = resources.filter { filter.matches($0, type: .group) } }
        let page = Array(resources.dropFirst(query.startIndex - 1).prefix(query.count))
        return SCIMResponse.json(ListResponse.json(
            resources: page.map { projection.apply($0, type: .group) }, totalResults: resources.count,
            startIndex: query.startIndex, itemsPerPage: page.count))
    }

    static func lookup(for filter: SCIMFilter) -> GroupLookup {
        guard let (path, value) = filter.simpleEquality, path.subAttribute == nil,
              path.schemaURN == nil || path.schemaURN == SCIMSchemaURN.group else { return .all }
        switch path.name.lowercased() {
        case "displayname": return .displayName(value)
        case "externalid": return .externalID(value)
        case "id": return .id(value)
        default: return .all
        }
    }

    func create(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        var request = request
        let (org, principal) = try await service.authenticator.authorize(
            request, org: try context.parameters.require("org"), surface: .scim(write: true))
        return try await service.audited(org: org, principal: principal, method: "POST", resource: "Groups") {
            let body = try await request.scimBody(limit: service.configuration.maxBodyBytes)
            let draft = try GroupMapping.draft(from: try normalize(body, type: .group), policy: org.policy)
            let group = try await database.createGroup(org: org, draft: draft, actor: principal.tokenName)
            return respondWith(group, org: org, status: .created, request: request)
        }
    }

    func get(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let (org, _) = try await service.authenticator.authorize(
            request, org: try context.parameters.require("org"), surface: .scim(write: false))
        let group = try await database.group(org: org, id: try context.parameters.require("id"))
        return respondWith(group, org: org, status: .ok, request: request)
    }

    func replace(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        var request = request
        let (org, principal) = try await service.authenticator.authorize(
            request, org: try context.parameters.require("org"), surface: .scim(write: true))
        let id = try context.parameters.require("id")
        return try await service.audited(org: org, principal: principal, method: "PUT", resource: "Groups/\(id)") {
            let body = try await request.scimBody(limit: service.configuration.maxBodyBytes)
            let draft = try GroupMapping.draft(from: try normalize(body, type: .group), policy: org.policy)
            let group = try await database.updateGroup(
                org: org, id: id, ifMatch: request.headers[.ifMatch], actor: principal.tokenName, method: "PUT"
            ) { _ in draft }
            return respondWith(group, org: org, status: .ok, request: request)
        }
    }

    func patch(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        var request = request
        let (org, principal) = try await service.authenticator.authorize(
            request, org: try context.parameters.require("org"), surface: .scim(write: true))
        let id = try context.parameters.require("id")
        return try await service.audited(org: org, principal: principal, method: "PATCH", resource: "Groups/\(id)") {
            let operations = try PatchRequest.parse(try await request.scimBody(limit: service.configuration.maxBodyBytes))
            let policy = org.policy
            let group = try await database.updateGroup(
                org: org, id: id, ifMatch: request.headers[.ifMatch], actor: principal.tokenName, method: "PATCH"
            ) { current in
                let patched = try applyPatch(operations, to: GroupMapping.patchable(current), type: .group)
                return try GroupMapping.draft(from: try normalize(patched, type: .group), policy: policy)
            }
            return respondWith(group, org: org, status: .ok, request: request)
        }
    }

    func delete(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let (org, principal) = try await service.authenticator.authorize(
            request, org: try context.parameters.require("org"), surface: .scim(write: true))
        let id = try context.parameters.require("id")
        try await service.audited(org: org, principal: principal, method: "DELETE", resource: "Groups/\(id)") {
            try await database.deleteGroup(org: org, id: id, ifMatch: request.headers[.ifMatch], actor: principal.tokenName)
        }
        return SCIMResponse.noContent()
    }

    func respondWith(_ group: StoredGroup, org: Org, status: HTTPResponse.Status, request: Request) -> Response {
        let base = service.baseURL(org: org.name)
        let resource = GroupMapping.render(group, baseURL: base)
        let projected = (try? Projection(request))?.apply(resource, type: .group) ?? resource
        var headers: HTTPFields = [.eTag: group.etag]
        if status == .created { headers[.location] = "\(base)/Groups/\(group.id)" }
        return SCIMResponse.json(projected, status: status, headers: headers)
    }
}
