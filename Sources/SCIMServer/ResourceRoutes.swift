import HTTPTypes
import Hummingbird
import SCIMProtocol
import SunkModel
import SunkStore

/// What the SCIM routes need to know about one resource type: how its stored form maps to and
/// from SCIM JSON, and which store calls read and write it. Users and Groups each conform
/// (`UserResource`, `GroupResource`); everything else about a request is in `ResourceRoutes`.
protocol SCIMResourceKind: SendableMetatype {
    associatedtype Stored: Sendable
    associatedtype Draft: Sendable

    /// The path segment and the resource type: `Users` and `.user`.
    static var endpoint: String { get }
    static var type: SCIMResourceType { get }

    static func id(of stored: Stored) -> String
    static func etag(of stored: Stored) -> String
    static func render(_ stored: Stored, baseURL: String) -> JSONValue
    /// The validated draft of a normalised body (every POSIX and SSH rule applies here).
    static func draft(from normalized: JSONValue, policy: Policy) throws -> Draft

    /// One page of the list, `filter` (already validated for `type`) applied, rendered with `baseURL`.
    static func list(_ database: any IdentityStore, org: Org, filter: SCIMFilter?, query: ListQuery, baseURL: String)
        async throws -> (total: Int, page: [JSONValue])
    static func create(_ database: any IdentityStore, org: Org, draft: Draft, actor: String) async throws -> Stored
    /// One resource; `projection` says what the answer shows (a group need not read members
    /// the answer leaves out).
    static func fetch(_ database: any IdentityStore, org: Org, id: String, projection: Projection) async throws -> Stored
    /// Read-modify-write in one serialised transaction; `transform` turns the current resource
    /// into the new draft.
    static func update(_ database: any IdentityStore, org: Org, id: String, ifMatch: String?, actor: String, method: String,
                       transform: @escaping @Sendable (Stored) throws -> Draft) async throws -> Stored
    /// Applies PATCH operations (already parsed and within the limits) and stores the result.
    static func patch(_ database: any IdentityStore, org: Org, id: String, ifMatch: String?, actor: String,
                      operations: [PatchOperation], projection: Projection) async throws -> Stored
    static func delete(_ database: any IdentityStore, org: Org, id: String, ifMatch: String?, actor: String) async throws
}

/// /scim/ORG/Users and /scim/ORG/Groups: create, read, list with filters, replace, patch and
/// delete, each authorised, size-limited, audited when refused, with weak ETags and If-Match.
struct ResourceRoutes<Kind: SCIMResourceKind> {
    let service: SCIMService
    var database: any IdentityStore { service.database }

    func register(on router: Router<BasicRequestContext>) {
        let routes = self
        let collection = RouterPath("/scim/:org/\(Kind.endpoint)")
        let member = RouterPath("/scim/:org/\(Kind.endpoint)/:id")
        router.get(collection) { request, context in
            await routes.service.respond(request) { try await routes.list(request, context) }
        }
        router.post(collection) { request, context in
            await routes.service.respond(request) { try await routes.create(request, context) }
        }
        router.post(RouterPath("/scim/:org/\(Kind.endpoint)/.search")) { request, context in
            await routes.service.respond(request) { try await routes.search(request, context) }
        }
        router.get(member) { request, context in
            await routes.service.respond(request) { try await routes.get(request, context) }
        }
        router.put(member) { request, context in
            await routes.service.respond(request) { try await routes.replace(request, context) }
        }
        router.patch(member) { request, context in
            await routes.service.respond(request) { try await routes.patch(request, context) }
        }
        router.delete(member) { request, context in
            await routes.service.respond(request) { try await routes.delete(request, context) }
        }
        MethodNotAllowed.register(on: router, path: collection, allowed: [.get, .post], service: service)
        MethodNotAllowed.register(on: router, path: member, allowed: [.get, .put, .patch, .delete], service: service)
        MethodNotAllowed.register(on: router, path: RouterPath("/scim/:org/\(Kind.endpoint)/.search"),
                                  allowed: [.post], service: service)
    }

    private func authorize(_ request: Request, _ context: BasicRequestContext, write: Bool) async throws -> (Org, Principal) {
        try await service.authenticator.authorize(request, org: try context.parameters.require("org"), surface: .scim(write: write))
    }

    func list(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let (org, _) = try await authorize(request, context, write: false)
        var query = try ListQuery(request, maxResults: service.configuration.maxResults)
        guard let cursor = try request.scimQuery.value("cursor") else {
            let (total, page) = try await results(org: org, query: query, filter: try query.filter(for: Kind.type))
            return SCIMResponse.json(ListResponse.json(resources: page, totalResults: total, startIndex: query.startIndex,
                                                       itemsPerPage: page.count))
        }
        return try await cursorPage(request, org: org, cursor: cursor, query: &query)
    }

    /// A page of an RFC 9865 cursor walk. The store has no history, so a cursor is bound to the org
    /// serial its walk started from: after a change the next page answers `400 expiredCursor` and the
    /// client starts again — a walk is never silently a mix of two states.
    private func cursorPage(_ request: Request, org: Org, cursor: String, query: inout ListQuery) async throws -> Response {
        if try request.scimQuery.value("startIndex") != nil {
            throw SCIMError.invalidValue("give either cursor or startIndex, not both")
        }
        let binding = "\(org.name)|\(Kind.endpoint)|\(try request.scimQuery.value("filter") ?? "")|\(query.count)"
        var offset = 0
        if !cursor.isEmpty {
            let position = try service.cursors.open(cursor, binding: binding)
            guard position.serial == org.serial else {
                throw SCIMError(status: 400, scimType: .expiredCursor, detail: """
                    \(Kind.endpoint) changed since this walk started (serial \(position.serial), now \(org.serial)); \
                    start again with an empty cursor
                    """)
            }
            offset = position.offset
        }
        query.startIndex = offset + 1
        let (total, page) = try await results(org: org, query: query, filter: try query.filter(for: Kind.type))
        var list: [String: JSONValue] = [
            "schemas": .array([.string(SCIMSchemaURN.listResponse)]),
            "totalResults": .int(Int64(total)), "itemsPerPage": .int(Int64(page.count)), "Resources": .array(page),
        ]
        if query.count > 0 && offset + query.count < total {
            list["nextCursor"] = .string(service.cursors.make(serial: org.serial, offset: offset + query.count, binding: binding))
        }
        if query.count > 0 && offset > 0 {
            list["previousCursor"] = .string(service.cursors.make(serial: org.serial, offset: max(0, offset - query.count),
                                                                  binding: binding))
        }
        return SCIMResponse.json(.object(list))
    }

    /// `POST /scim/ORG/Users/.search` and `/Groups/.search` (RFC 7644 §3.4.3): the query in a
    /// SearchRequest body, answered exactly as the equivalent GET (same token scope, body limit,
    /// maxResults cap, ListResponse).
    func search(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        var request = request
        let (org, _) = try await authorize(request, context, write: false)
        let body = try await request.scimBody(limit: service.configuration.maxBodyBytes)
        let query = try ListQuery(search: body, maxResults: service.configuration.maxResults)
        let (total, page) = try await results(org: org, query: query, filter: try query.filter(for: Kind.type))
        return SCIMResponse.json(ListResponse.json(resources: page, totalResults: total, startIndex: query.startIndex,
                                                   itemsPerPage: page.count))
    }

    /// The total and one page of projected resources for a query whose filter was checked
    /// against this type (the root search composes the two types from this).
    func results(org: Org, query: ListQuery, filter: SCIMFilter?) async throws -> (total: Int, page: [JSONValue]) {
        let (total, page) = try await Kind.list(database, org: org, filter: filter, query: query,
                                                baseURL: service.baseURL(org: org.name))
        return (total, page.map { query.projection.apply($0, type: Kind.type) })
    }

    func create(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        var request = request
        let (org, principal) = try await authorize(request, context, write: true)
        return try await service.audited(org: org, principal: principal, method: "POST", resource: Kind.endpoint) {
            let body = try await request.scimBody(limit: service.configuration.maxBodyBytes)
            let draft = try Kind.draft(from: try normalize(body, type: Kind.type), policy: org.policy)
            let created = try await Kind.create(database, org: org, draft: draft, actor: principal.tokenName)
            return respondWith(created, org: org, status: .created, request: request)
        }
    }

    func get(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let (org, _) = try await authorize(request, context, write: false)
        let found = try await Kind.fetch(database, org: org, id: try context.parameters.require("id"),
                                         projection: try Projection(request))
        return respondWith(found, org: org, status: .ok, request: request)
    }

    func replace(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        var request = request
        let (org, principal) = try await authorize(request, context, write: true)
        let id = try context.parameters.require("id")
        return try await service.audited(org: org, principal: principal, method: "PUT", resource: "\(Kind.endpoint)/\(id)") {
            let body = try await request.scimBody(limit: service.configuration.maxBodyBytes)
            let draft = try Kind.draft(from: try normalize(body, type: Kind.type), policy: org.policy)
            let updated = try await Kind.update(
                database, org: org, id: id, ifMatch: request.headers[.ifMatch], actor: principal.tokenName, method: "PUT"
            ) { _ in draft }
            return respondWith(updated, org: org, status: .ok, request: request)
        }
    }

    func patch(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        var request = request
        let (org, principal) = try await authorize(request, context, write: true)
        let id = try context.parameters.require("id")
        return try await service.audited(org: org, principal: principal, method: "PATCH", resource: "\(Kind.endpoint)/\(id)") {
            let operations = try PatchRequest.parse(try await request.scimBody(limit: service.configuration.maxBodyBytes))
            let updated = try await Kind.patch(database, org: org, id: id, ifMatch: request.headers[.ifMatch],
                                               actor: principal.tokenName, operations: operations,
                                               projection: try Projection(request))
            return respondWith(updated, org: org, status: .ok, request: request)
        }
    }

    func delete(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let (org, principal) = try await authorize(request, context, write: true)
        let id = try context.parameters.require("id")
        try await service.audited(org: org, principal: principal, method: "DELETE", resource: "\(Kind.endpoint)/\(id)") {
            try await Kind.delete(database, org: org, id: id, ifMatch: request.headers[.ifMatch], actor: principal.tokenName)
        }
        return SCIMResponse.noContent()
    }

    func respondWith(_ stored: Kind.Stored, org: Org, status: HTTPResponse.Status, request: Request) -> Response {
        let base = service.baseURL(org: org.name)
        let resource = Kind.render(stored, baseURL: base)
        let projected = (try? Projection(request))?.apply(resource, type: Kind.type) ?? resource
        var headers: HTTPFields = [.eTag: Kind.etag(of: stored)]
        if status == .created { headers[.location] = "\(base)/\(Kind.endpoint)/\(Kind.id(of: stored))" }
        return SCIMResponse.json(projected, status: status, headers: headers)
    }
}
