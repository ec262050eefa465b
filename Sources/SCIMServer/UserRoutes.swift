import HTTPTypes
import Hummingbird
import SCIMProtocol
import SunkStore

/// /scim/ORG/Users: create, read, list with filters, replace, patch, delete.
struct UserRoutes {
    let service: SCIMService
    var database: SunkDatabase { service.database }

    func register(on router: Router<BasicRequestContext>) {
        let routes = self
        router.get("/scim/:org/Users") { request, context in
            await routes.service.respond(request) { try await routes.list(request, context) }
        }
        router.post("/scim/:org/Users") { request, context in
            await routes.service.respond(request) { try await routes.create(request, context) }
        }
        router.get("/scim/:org/Users/:id") { request, context in
            await routes.service.respond(request) { try await routes.get(request, context) }
        }
        router.put("/scim/:org/Users/:id") { request, context in
            await routes.service.respond(request) { try await routes.replace(request, context) }
        }
        router.patch("/scim/:org/Users/:id") { request, context in
            await routes.service.respond(request) { try await routes.patch(request, context) }
        }
        router.delete("/scim/:org/Users/:id") { request, context in
            await routes.service.respond(request) { try await routes.delete(request, context) }
        }
    }

    func list(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let (org, _) = try await service.authenticator.authorize(
            request, org: try context.parameters.require("org"), surface: .scim(write: false))
        let query = try ListQuery(request, type: .user, maxResults: service.configuration.maxResults)
        let base = service.baseURL(org: org.name)
        let projection = try Projection(request)
        let total: Int
        let page: [JSONValue]
        if let filter = query.filter {
            let candidates = try await database.users(org: org, lookup: Self.lookup(for: filter))
            let matching = candidates.map { UserMapping.render($0, baseURL: base) }
                .filter { filter.matches($0, type: .user) }
            total = matching.count
            page = Array(matching.dropFirst(query.startIndex - 1).prefix(query.count))
        } else {
            let result = try await database.userPage(org: org, page: Page(startIndex: query.startIndex, count: query.count))
            total = result.total
            page = result.users.map { UserMapping.render($0, baseURL: base) }
        }
        return SCIMResponse.json(ListResponse.json(
            resources: page.map { projection.apply($0, type: .user) }, totalResults: total,
            startIndex: query.startIndex, itemsPerPage: page.count))
    }

    /// Filters of the form `attr eq "value"` on an indexed column narrow the rows read; the full
    /// filter is still evaluated on what comes back.
    static func lookup(for filter: SCIMFilter) -> UserLookup {
        guard let (path, value) = filter.simpleEquality, path.subAttribute == nil,
              path.schemaURN == nil || path.schemaURN == SCIMSchemaURN.user else { return .all }
        switch path.name.lowercased() {
        case "username": return .userName(value)
        case "externalid": return .externalID(value)
        case "id": return .id(value)
        default: return .all
        }
    }

    func create(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        var request = request
        let (org, principal) = try await service.authenticator.authorize(
            request, org: try context.parameters.require("org"), surface: .scim(write: true))
        return try await service.audited(org: org, principal: principal, method: "POST", resource: "Users") {
            let body = try await request.scimBody(limit: service.configuration.maxBodyBytes)
            let draft = try UserMapping.draft(from: try normalize(body, type: .user), policy: org.policy)
            let user = try await database.createUser(org: org, draft: draft, actor: principal.tokenName)
            return respondWith(user, org: org, status: .created, request: request)
        }
    }

    func get(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let (org, _) = try await service.authenticator.authorize(
            request, org: try context.parameters.require("org"), surface: .scim(write: false))
        let user = try await database.user(org: org, id: try context.parameters.require("id"))
        return respondWith(user, org: org, status: .ok, request: request)
    }

    func replace(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        var request = request
        let (org, principal) = try await service.authenticator.authorize(
            request, org: try context.parameters.require("org"), surface: .scim(write: true))
        let id = try context.parameters.require("id")
        return try await service.audited(org: org, principal: principal, method: "PUT", resource: "Users/\(id)") {
            let body = try await request.scimBody(limit: service.configuration.maxBodyBytes)
            let draft = try UserMapping.draft(from: try normalize(body, type: .user), policy: org.policy)
            let user = try await database.updateUser(
                org: org, id: id, ifMatch: request.headers[.ifMatch], actor: principal.tokenName, method: "PUT"
            ) { _ in draft }
            return respondWith(user, org: org, status: .ok, request: request)
        }
    }

    func patch(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        var request = request
        let (org, principal) = try await service.authenticator.authorize(
            request, org: try context.parameters.require("org"), surface: .scim(write: true))
        let id = try context.parameters.require("id")
        return try await service.audited(org: org, principal: principal, method: "PATCH", resource: "Users/\(id)") {
            let operations = try PatchRequest.parse(try await request.scimBody(limit: service.configuration.maxBodyBytes))
            let policy = org.policy
            let user = try await database.updateUser(
                org: org, id: id, ifMatch: request.headers[.ifMatch], actor: principal.tokenName, method: "PATCH"
            ) { current in
                let patched = try applyPatch(operations, to: UserMapping.patchable(current), type: .user)
                return try UserMapping.draft(from: try normalize(patched, type: .user), policy: policy)
            }
            return respondWith(user, org: org, status: .ok, request: request)
        }
    }

    func delete(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let (org, principal) = try await service.authenticator.authorize(
            request, org: try context.parameters.require("org"), surface: .scim(write: true))
        let id = try context.parameters.require("id")
        try await service.audited(org: org, principal: principal, method: "DELETE", resource: "Users/\(id)") {
            try await database.deleteUser(org: org, id: id, ifMatch: request.headers[.ifMatch], actor: principal.tokenName)
        }
        return SCIMResponse.noContent()
    }

    func respondWith(_ user: StoredUser, org: Org, status: HTTPResponse.Status, request: Request) -> Response {
        let base = service.baseURL(org: org.name)
        let resource = UserMapping.render(user, baseURL: base)
        let projected = (try? Projection(request))?.apply(resource, type: .user) ?? resource
        var headers: HTTPFields = [.eTag: user.etag]
        if status == .created { headers[.location] = "\(base)/Users/\(user.id)" }
        return SCIMResponse.json(projected, status: status, headers: headers)
    }
}

extension UserMapping {
    /// The document PATCH operates on: what was stored, with its schemas.
    static func patchable(_ user: StoredUser) -> JSONValue {
        guard case .object(var document)? = try? JSONValue.parse(Array(user.document.utf8)) else { return .object([:]) }
        document["schemas"] = schemas(of: document)
        return .object(document)
    }
}
