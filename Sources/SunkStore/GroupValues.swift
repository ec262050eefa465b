// The group values the store takes and gives, whatever its engine.

/// A group as the SCIM layer hands it to the store. `posixName` is already derived from
/// displayName (and mapped/validated) by `SunkModel.PosixRules.derivedGroupName`.
public struct GroupDraft: Sendable, Equatable {
    public var displayName: String
    public var externalID: String?
    /// Normalised SCIM document without id, meta and members, serialised JSON.
    public var document: String
    public var posixName: String
    /// The complete member list (user ids), in the order given.
    public var memberIDs: [String]

    public init(displayName: String, externalID: String?, document: String, posixName: String, memberIDs: [String]) {
        self.displayName = displayName; self.externalID = externalID; self.document = document
        self.posixName = posixName; self.memberIDs = memberIDs
    }
}

/// How a write changes a group's members, as sets, so the store touches only the rows that
/// change: `replacement` (when set) is the complete new list, then `removed` are deleted and
/// `added` inserted. Built by applying add/remove/replace operations in order; each costs O(k)
/// for its k ids, never O(group size).
public struct MembershipChange: Sendable, Equatable {
    /// The complete new member list, when an operation replaced it (PUT, `replace members`).
    public private(set) var replacement: Set<String>?
    /// Ids to add (to `replacement` or the current members); disjoint from `removed`.
    public private(set) var added = Set<String>()
    /// Ids to remove from the current members.
    public private(set) var removed = Set<String>()

    public init() {}

    /// The change of a PUT or POST: exactly these members.
    public init(replacingWith ids: [String]) { replace(with: ids) }

    /// Nothing changes.
    public var isEmpty: Bool { replacement == nil && added.isEmpty && removed.isEmpty }

    public mutating func replace(with ids: [String]) {
        replacement = Set(ids)
        added = []
        removed = []
    }

    public mutating func add(_ ids: [String]) {
        if replacement != nil { replacement!.formUnion(ids); return }
        removed.subtract(ids)
        added.formUnion(ids)
    }

    public mutating func remove(_ ids: [String]) {
        if replacement != nil { replacement!.subtract(ids); return }
        added.subtract(ids)
        removed.formUnion(ids)
    }

    /// The members after the change, given the current ones (for filters that must see them).
    public func applied(to current: [String]) -> Set<String> {
        if let replacement { return replacement }
        return Set(current).subtracting(removed).union(added)
    }
}

/// What a PUT or PATCH makes of a group: its new row (`group.memberIDs` is ignored) and how its
/// members change.
public struct GroupChange: Sendable, Equatable {
    public var group: GroupDraft
    public var membership: MembershipChange
    public init(group: GroupDraft, membership: MembershipChange) { self.group = group; self.membership = membership }
}

/// A member as stored: the user id and the userName SCIM shows as `display`.
public struct MemberRef: Sendable, Equatable {
    public var id: String
    public var userName: String
    package init(id: String, userName: String) { self.id = id; self.userName = userName }
}

public struct StoredGroup: Sendable, Equatable {
    public var id: String
    public var displayName: String
    public var externalID: String?
    public var document: String
    public var posixName: String
    public var gid: UInt32
    public var members: [MemberRef]
    public var version: Int64
    public var createdAt: String
    public var modifiedAt: String
    public var etag: String { "W/\"\(version)\"" }

    package init(id: String, displayName: String, externalID: String?, document: String, posixName: String,
                 gid: UInt32, members: [MemberRef], version: Int64, createdAt: String, modifiedAt: String) {
        self.id = id; self.displayName = displayName; self.externalID = externalID; self.document = document
        self.posixName = posixName; self.gid = gid; self.members = members; self.version = version
        self.createdAt = createdAt; self.modifiedAt = modifiedAt
    }
}

/// Columns a group listing can be narrowed by with an index.
public enum GroupLookup: Sendable, Equatable {
    case all
    case displayName(String)
    case externalID(String)
    case id(String)
}

