import SunkModel

// The user values the store takes and gives, whatever its engine.

/// A user as the SCIM layer hands it to the store: the normalised SCIM document plus the
/// CoreWeave attributes already validated by `SunkModel.PosixRules` under the org's policy.
/// `nil` means "the IdP did not send it"; the store fills in defaults and allocations.
public struct UserDraft: Sendable, Equatable {
    public var userName: String
    public var externalID: String?
    public var active: Bool
    /// The normalised SCIM document (no id, meta, groups or password), serialised JSON.
    public var document: String
    /// GECOS text derived from displayName/name, already sanitised.
    public var gecos: String
    public var posixName: String?
    /// The POSIX name derived from userName, used when `posixName` is nil.
    public var derivedName: String?
    public var uid: UInt32?
    public var gid: UInt32?
    public var home: String?
    public var shell: String?
    /// Canonical one-line renderings of the validated keys.
    public var keys: [String]

    public init(userName: String, externalID: String?, active: Bool, document: String, gecos: String,
                posixName: String?, derivedName: String?, uid: UInt32?, gid: UInt32?, home: String?,
                shell: String?, keys: [String]) {
        self.userName = userName; self.externalID = externalID; self.active = active
        self.document = document; self.gecos = gecos; self.posixName = posixName
        self.derivedName = derivedName; self.uid = uid; self.gid = gid; self.home = home
        self.shell = shell; self.keys = keys
    }
}

/// A stored user with every POSIX field resolved.
public struct StoredUser: Sendable, Equatable {
    public var id: String
    public var userName: String
    public var externalID: String?
    public var active: Bool
    public var document: String
    public var gecos: String
    public var explicitName: String?
    /// The effective POSIX name; nil when the user cannot be exported (see `exportProblem`).
    public var posixName: String?
    public var explicitUID: UInt32?
    public var uid: UInt32
    public var uidAllocated: Bool
    public var explicitGID: UInt32?
    public var gid: UInt32
    public var explicitHome: String?
    public var home: String?
    public var explicitShell: String?
    public var shell: String
    public var keys: [String]
    public var exportProblem: String?
    public var version: Int64
    public var createdAt: String
    public var modifiedAt: String
    /// Groups this user belongs to: (group id, displayName), computed from memberships.
    public var groups: [GroupRef]

    /// The weak ETag of this version.
    public var etag: String { "W/\"\(version)\"" }
}

/// A reference from a user to a group it belongs to.
public struct GroupRef: Sendable, Equatable {
    public var id: String
    public var displayName: String
    package init(id: String, displayName: String) { self.id = id; self.displayName = displayName }
}

/// How to order and slice a listing. SCIM's `startIndex` is 1-based.
public struct Page: Sendable, Equatable {
    public var startIndex: Int
    public var count: Int
    public init(startIndex: Int, count: Int) { self.startIndex = max(1, startIndex); self.count = max(0, count) }
}

/// Columns a listing can be narrowed by with an index (`userName eq "x"` from Okta's existence check).
public enum UserLookup: Sendable, Equatable {
    case all
    case userName(String)
    /// Users whose userName starts with this text, compared case-insensitively like `userName`
    /// (an index range, not a scan): the console's search box. At most `prefixLimit` of them.
    case userNamePrefix(String)
    case externalID(String)
    case id(String)

    /// The most users a `userNamePrefix` lookup answers.
    public static let prefixLimit = 100

    /// The range of folded userName keys a prefix covers: `lower ≤ key < upper`. Keys are compared
    /// as bytes (SQLite's BINARY, PostgreSQL's "C" collation), so every key that starts with `lower`
    /// sorts below it followed by the highest scalar.
    public static func prefixRange(_ prefix: String) -> (lower: String, upper: String) {
        let lower = UserKey.fold(prefix)
        return (lower, lower + "\u{10FFFF}")
    }
}

/// userName is case-insensitive for uniqueness and filtering (RFC 7643 `caseExact: false`).
public enum UserKey {
    public static func fold(_ userName: String) -> String { userName.lowercased() }
}

