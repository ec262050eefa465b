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

    /// Groups are few: read the candidates (narrowed by an indexed lookup when the filter allows),
    /// filter in full, then page. Members are read only when the answer shows them or the filter
    /// names them: Entra's existence check (`excludedAttributes=members`) on a group of 100k
    /// members reads one row.
    static func list(_ database: any IdentityStore, org: Org, filter: SCIMFilter?, query: ListQuery, baseURL: String)
        async throws -> (total: Int, page: [JSONValue])
    {
        let members = !query.projection.excludes("members", of: type) || (filter.map(namesMembers) ?? false)
        let candidates = try await database.groups(org: org, lookup: filter.map(lookup(for:)) ?? .all, members: members)
        var resources = candidates.map { GroupMapping.render($0, baseURL: baseURL) }
        if let filter { resources = resources.filter { filter.matches($0, type: .group) } }
        return (resources.count, Array(resources.dropFirst(query.startIndex - 1).prefix(query.count)))
    }

    /// True when the filter refers to `members` anywhere.
    static func namesMembers(_ filter: SCIMFilter) -> Bool {
        switch filter {
        case .compare(let path, _, _), .present(let path), .valuePath(let path, _): return GroupPatch.isMembers(path)
        case .and(let a, let b), .or(let a, let b): return namesMembers(a) || namesMembers(b)
        case .not(let inner): return namesMembers(inner)
        }
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

    static func create(_ database: any IdentityStore, org: Org, draft: GroupDraft, actor: String) async throws -> StoredGroup {
        try await database.createGroup(org: org, draft: draft, actor: actor)
    }

    /// Entra reads groups with `excludedAttributes=members`: then the members are not read.
    static func fetch(_ database: any IdentityStore, org: Org, id: String, projection: Projection) async throws -> StoredGroup {
        try await database.group(org: org, id: id, members: !projection.excludes("members", of: type))
    }

    /// PUT: the draft's members replace the current ones.
    static func update(_ database: any IdentityStore, org: Org, id: String, ifMatch: String?, actor: String, method: String,
                       transform: @escaping @Sendable (StoredGroup) throws -> GroupDraft) async throws -> StoredGroup {
        try await database.updateGroup(org: org, id: id, ifMatch: ifMatch, actor: actor, method: method,
                                       readingMembers: false, answerWithMembers: true) { current in
            let draft = try transform(current)
            return GroupChange(group: draft, membership: MembershipChange(replacingWith: draft.memberIDs))
        }
    }

    /// PATCH as a `GroupPatch`: member operations become row changes, the rest is applied to the
    /// document without its members; the group's members are read only for unusual filters.
    static func patch(_ database: any IdentityStore, org: Org, id: String, ifMatch: String?, actor: String,
                      operations: [PatchOperation], projection: Projection) async throws -> StoredGroup {
        let plan = try GroupPatch(operations)
        let policy = org.policy
        return try await database.updateGroup(org: org, id: id, ifMatch: ifMatch, actor: actor, method: "PATCH",
                                              readingMembers: plan.needsCurrentMembers,
                                              answerWithMembers: !projection.excludes("members", of: type)) { current in
            try plan.change(of: current, policy: policy)
        }
    }

    static func delete(_ database: any IdentityStore, org: Org, id: String, ifMatch: String?, actor: String) async throws {
        try await database.deleteGroup(org: org, id: id, ifMatch: ifMatch, actor: actor)
    }
}
