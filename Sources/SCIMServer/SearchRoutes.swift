import HTTPTypes
import Hummingbird
import SCIMProtocol
import SunkStore

/// `POST /scim/ORG/.search` (RFC 7644 §3.4.3): one query over Users and then Groups. The filter is
/// checked against each type; a type whose schema lacks what the filter names is left out (so
/// `userName eq "x"` searches users only), and a filter neither type understands is `400
/// invalidFilter`. `startIndex`/`count` page over the concatenation; `totalResults` is the sum.
/// Same token scope, body limit and maxResults cap as the per-type searches.
struct RootSearchRoute {
    let users: ResourceRoutes<UserResource>
    let groups: ResourceRoutes<GroupResource>
    var service: SCIMService { users.service }

    func register(on router: Router<BasicRequestContext>) {
        let route = self
        let path = RouterPath("/scim/:org/.search")
        router.post(path) { request, context in
            await route.service.respond(request) { try await route.search(request, context) }
        }
        MethodNotAllowed.register(on: router, path: path, allowed: [.post], service: service)
    }

    func search(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        var request = request
        let (org, _) = try await service.authenticator.authorize(
            request, org: try context.parameters.require("org"), surface: .scim(write: false))
        let body = try await request.scimBody(limit: service.configuration.maxBodyBytes)
        let query = try ListQuery(search: body, maxResults: service.configuration.maxResults)
        let userFilter = Result { try query.filter(for: UserResource.type) }
        let groupFilter = Result { try query.filter(for: GroupResource.type) }
        if case .failure(let error) = userFilter, case .failure = groupFilter { throw error }

        var total = 0
        var page: [JSONValue] = []
        var remaining = query
        if case .success(let filter) = userFilter {
            let (count, found) = try await users.results(org: org, query: remaining, filter: filter)
            total += count
            page += found
            remaining.startIndex = max(1, query.startIndex - count)
            remaining.count = query.count - found.count
        }
        if case .success(let filter) = groupFilter {
            let (count, found) = try await groups.results(org: org, query: remaining, filter: filter)
            total += count
            page += found
        }
        return SCIMResponse.json(ListResponse.json(resources: page, totalResults: total, startIndex: query.startIndex,
                                                   itemsPerPage: page.count))
    }
}

/// `405 Method Not Allowed` (RFC 7231 §6.5.5) with the RFC 7644 error body and an `Allow` header,
/// for the methods a SCIM endpoint does not serve (POST on /Schemas, PUT on /Users…), instead of
/// a 404 that would say the endpoint does not exist. Authentication comes first, as for the
/// methods the endpoint serves.
enum MethodNotAllowed {
    static let methods: [HTTPRequest.Method] = [.get, .post, .put, .patch, .delete]

    static func register(on router: Router<BasicRequestContext>, path: RouterPath, allowed: [HTTPRequest.Method],
                         service: SCIMService) {
        let allow = allowed.map(\.rawValue).joined(separator: ", ")
        for method in methods where !allowed.contains(method) {
            router.on(path, method: method) { request, context in
                await service.respond(request) {
                    _ = try await service.authenticator.authorize(
                        request, org: try context.parameters.require("org"), surface: .scim(write: false))
                    let error = SCIMError(status: 405, detail: "\(request.method.rawValue) is not supported on "
                                          + "\(request.uri.path); this endpoint answers \(allow)")
                    return SCIMResponse.error(error, headers: [.allow: allow])
                }
            }
        }
    }
}
