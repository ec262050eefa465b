import SCIMProtocol
import SunkModel
import SunkStore

/// /scim/ORG/Groups: Okta Group Push and Entra group provisioning, flat groups only (served by
/// `ResourceRoutes<GroupResource>`).
enum GroupResource: SCIMResourceKind {
    static let endpoint = "Groups"
    static let type = SCIMResourceType.group

    static func id(of group: StoredGroup) -> String { group.id }
    static func etag(of group: StoredGroup) -> String { group.etag }
    static func render(_ group: StoredGroup, baseURL: String) -> JSONValue { GroupMapping.render(group, baseURL: baseURL) }
    static func draft(from normalized: JSONValue, policy: Policy) throws -> GroupDraft {
        try GroupMapping.draft(from: normalized, policy: policy)
    }
    static func patchable(_ group: StoredGroup) -> JSONValue { GroupMapping.patchable(group) }

    /// Groups are few: read the candidates (narrowed by an indexed lookup when the filter allows),
    /// filter in full, then page.
    static func list(_ database: SunkDatabase, org: Org, query: ListQuery, baseURL: String) async throws
        -> (total: Int, page: [JSONValue])
    {
        let candidates = try await database.groups(org: org, lookup: query.filter.map(lookup(for:)) ?? .all)
        var resources = candidates.map { GroupMapping.render($0, baseURL: baseURL) }
        if let filter = query.filter { resources = resources.filter { filter.matches($0, type: .group) } }
        return (resources.count, Array(resources.dropFirst(query.startIndex - 1).prefix(query.count)))
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

    static func create(_ database: SunkDatabase, org: Org, draft: GroupDraft, actor: String) async throws -> StoredGroup {
        try await database.createGroup(org: org, draft: draft, actor: actor)
    }

    static func fetch(_ database: SunkDatabase, org: Org, id: String) async throws -> StoredGroup {
        try await database.group(org: org, id: id)
    }

    static func update(_ database: SunkDatabase, org: Org, id: String, ifMatch: String?, actor: String, method: String,
                       transform: @escaping @Sendable (StoredGroup) throws -> GroupDraft) async throws -> StoredGroup {
        try await database.updateGroup(org: org, id: id, ifMatch: ifMatch, actor: actor, method: method, transform: transform)
    }

    static func delete(_ database: SunkDatabase, org: Org, id: String, ifMatch: String?, actor: String) async throws {
        try await database.deleteGroup(org: org, id: id, ifMatch: ifMatch, actor: actor)
    }
}
