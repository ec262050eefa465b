import SCIMProtocol
import SunkModel
import SunkStore

/// A PATCH of a group split in two, so that its cost follows the size of the request and not the
/// size of the group: the operations on `members` become a `MembershipChange` (sets of ids the
/// store inserts or deletes row by row), and every other operation is applied by the generic
/// engine (`applyPatch`) to the group's document without its members.
///
/// Member operations, in request order:
/// - `add members [{value}…]` adds; `remove members` empties; `remove members [{value}…]` (Entra)
///   removes those; `replace members […]` replaces the whole list (`[]` empties it);
/// - `remove members[value eq "ID"]` (Okta; `or` of such too) removes those ids; any other filter
///   is evaluated on the members, read only for such a request;
/// - a pathless add/replace whose value has `members` treats it as add/replace of `members`;
/// - add/replace with a filter, and paths below a member (`members.value`), are `400 invalidPath`:
///   a member is added or removed whole.
struct GroupPatch: Sendable {
    enum MemberOperation: Sendable {
        case add([String]), remove([String]), replace([String]), removeMatching(SCIMFilter)
    }

    private(set) var documentOperations: [(Int, PatchOperation)] = []
    private(set) var memberOperations: [MemberOperation] = []
    let total: Int

    /// True when an operation needs the current members (a filter other than `value eq`).
    var needsCurrentMembers: Bool {
        memberOperations.contains { if case .removeMatching = $0 { return true }; return false }
    }

    init(_ operations: [PatchOperation]) throws {
        total = operations.count
        for (index, operation) in operations.enumerated() {
            do {
                try classify(operation, position: index + 1)
            } catch var error as SCIMError {
                if operations.count > 1 { error.detail = "Operation \(index + 1): " + error.detail }
                throw error
            }
        }
    }

    private mutating func classify(_ operation: PatchOperation, position: Int) throws {
        guard let path = operation.path else {
            try classifyPathless(operation, position: position)
            return
        }
        guard Self.isMembers(path.attribute) else {
            documentOperations.append((position, operation))
            return
        }
        if let sub = path.attribute.subAttribute ?? path.subAttribute {
            throw SCIMError.invalidPath("members.\(sub) cannot be changed on its own: add, remove or replace whole members.")
        }
        if let filter = path.filter {
            guard operation.op == .remove else {
                throw SCIMError.invalidPath("A filter on members selects members to remove; to add members use "
                                            + "the path \"members\" with a list of {\"value\": USER_ID}.")
            }
            do { try SCIMFilter.valuePath(AttributePath(name: "members"), filter).validate(for: .group) }
            catch { throw SCIMError.invalidPath("Invalid filter in path: \(error.detail)") }
            if let ids = Self.valueEqualities(filter) {
                memberOperations.append(.remove(ids))
            } else {
                memberOperations.append(.removeMatching(filter))
            }
            return
        }
        switch operation.op {
        case .add: memberOperations.append(.add(try GroupMapping.memberIDs(operation.value)))
        case .replace: memberOperations.append(.replace(try GroupMapping.memberIDs(operation.value)))
        case .remove:
            if let value = operation.value, !value.isUnassigned {
                memberOperations.append(.remove(try GroupMapping.memberIDs(value)))
            } else {
                memberOperations.append(.replace([]))
            }
        }
    }

    /// A pathless add/replace: `members` (also under the core URN) goes to the member operations,
    /// the other keys stay one document operation.
    private mutating func classifyPathless(_ operation: PatchOperation, position: Int) throws {
        guard case .object(var value)? = operation.value else {
            documentOperations.append((position, operation))
            return
        }
        func take(_ members: JSONValue) throws {
            let ids = try GroupMapping.memberIDs(members)
            memberOperations.append(operation.op == .add ? .add(ids) : .replace(ids))
        }
        for key in value.keys.sorted() {
            if key.lowercased() == "members" || key.lowercased() == SCIMSchemaURN.group.lowercased() + ":members" {
                try take(value.removeValue(forKey: key)!)
            } else if key.lowercased() == SCIMSchemaURN.group.lowercased(), case .object(var inner)? = value[key] {
                for innerKey in inner.keys.sorted() where innerKey.lowercased() == "members" {
                    try take(inner.removeValue(forKey: innerKey)!)
                }
                value[key] = .object(inner)
            }
        }
        documentOperations.append((position, PatchOperation(op: operation.op, path: nil, value: .object(value))))
    }

    /// True when `path` names the group's `members` (plain or under the core URN).
    static func isMembers(_ path: AttributePath) -> Bool {
        guard let resolved = SCIMResourceType.group.resolve(AttributePath(schemaURN: path.schemaURN, name: path.name))
        else { return false }
        return resolved.extensionURN == nil && resolved.attribute.name == "members"
    }

    /// The ids of `value eq "ID"` or an `or` of such; nil for any other filter.
    static func valueEqualities(_ filter: SCIMFilter) -> [String]? {
        switch filter {
        case .or(let left, let right):
            guard let a = valueEqualities(left), let b = valueEqualities(right) else { return nil }
            return a + b
        default:
            guard let (path, id) = filter.simpleEquality, path.schemaURN == nil, path.subAttribute == nil,
                  path.name.lowercased() == "value" else { return nil }
            return [id]
        }
    }

    /// The change this PATCH makes of `current` (whose `members` are loaded only when
    /// ``needsCurrentMembers``), validated under `policy`.
    func change(of current: StoredGroup, policy: Policy) throws -> GroupChange {
        var document = GroupMapping.storedDocument(current)
        document["schemas"] = .array([.string(SCIMSchemaURN.group)])
        document["displayName"] = .string(current.displayName)
        let patched = try applyPatch(numbered: documentOperations, of: total, to: .object(document), type: .group)
        let draft = try GroupMapping.draft(from: patched, policy: policy)
        var membership = MembershipChange()
        let currentIDs = needsCurrentMembers ? current.members.map(\.id) : []
        for operation in memberOperations {
            switch operation {
            case .add(let ids): membership.add(ids)
            case .remove(let ids): membership.remove(ids)
            case .replace(let ids): membership.replace(with: ids)
            case .removeMatching(let filter):
                let matcher = SCIMFilter.valuePath(AttributePath(name: "members"), filter)
                let matching = membership.applied(to: currentIDs).filter { id in
                    matcher.matches(.object(["members": .array([.object(["value": .string(id)])])]), type: .group)
                }
                membership.remove(Array(matching))
            }
        }
        return GroupChange(group: draft, membership: membership)
    }
}
