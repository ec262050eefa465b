import SCIMProtocol
import SunkModel
import SunkStore

/// /scim/ORG/Users (served by `ResourceRoutes<UserResource>`).
enum UserResource: SCIMResourceKind {
    static let endpoint = "Users"
    static let type = SCIMResourceType.user

    static func id(of user: StoredUser) -> String { user.id }
    static func etag(of user: StoredUser) -> String { user.etag }
    static func render(_ user: StoredUser, baseURL: String) -> JSONValue { UserMapping.render(user, baseURL: baseURL) }
    static func draft(from normalized: JSONValue, policy: Policy) throws -> UserDraft {
        try UserMapping.draft(from: normalized, policy: policy)
    }


    /// Without a filter, a page straight from SQL; with one, the rows an indexed lookup narrows
    /// to, filtered in full.
    static func list(_ database: any IdentityStore, org: Org, filter: SCIMFilter?, query: ListQuery, baseURL: String)
        async throws -> (total: Int, page: [JSONValue])
    {
        guard let filter else {
            let result = try await database.userPage(org: org, page: Page(startIndex: query.startIndex, count: query.count))
            return (result.total, result.users.map { UserMapping.render($0, baseURL: baseURL) })
        }
        let matching = try await database.users(org: org, lookup: lookup(for: filter))
            .map { UserMapping.render($0, baseURL: baseURL) }
            .filter { filter.matches($0, type: .user) }
        return (matching.count, Array(matching.dropFirst(query.startIndex - 1).prefix(query.count)))
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

    static func create(_ database: any IdentityStore, org: Org, draft: UserDraft, actor: String) async throws -> StoredUser {
        try await database.createUser(org: org, draft: draft, actor: actor)
    }

    static func fetch(_ database: any IdentityStore, org: Org, id: String, projection: Projection) async throws -> StoredUser {
        try await database.user(org: org, id: id)
    }

    static func update(_ database: any IdentityStore, org: Org, id: String, ifMatch: String?, actor: String, method: String,
                       transform: @escaping @Sendable (StoredUser) throws -> UserDraft) async throws -> StoredUser {
        try await database.updateUser(org: org, id: id, ifMatch: ifMatch, actor: actor, method: method, transform: transform)
    }

    /// The generic engine on the stored document, inside `update`'s transaction (a user's
    /// document is small: at most ``SCIMAttribute/defaultMaxValues`` values per attribute).
    static func patch(_ database: any IdentityStore, org: Org, id: String, ifMatch: String?, actor: String,
                      operations: [PatchOperation], projection: Projection) async throws -> StoredUser {
        let policy = org.policy
        return try await update(database, org: org, id: id, ifMatch: ifMatch, actor: actor, method: "PATCH") { current in
            let patched = try applyPatch(operations, to: UserMapping.patchable(current), type: type)
            return try draft(from: try normalize(patched, type: type), policy: policy)
        }
    }

    static func delete(_ database: any IdentityStore, org: Org, id: String, ifMatch: String?, actor: String) async throws {
        try await database.deleteUser(org: org, id: id, ifMatch: ifMatch, actor: actor)
    }
}
