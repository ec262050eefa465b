import Foundation
import GRDB

// One record type per table (GRDB's Codable records): the column lists of INSERT, UPDATE and
// row decoding come from the properties, so no statement depends on a hand-kept column order.
// The schema itself is Migrations.swift and never changes here. Records are internal: the
// store's API speaks in domain values (`Org`, `StoredUser`, …), never in rows.

/// A row of `org`. `frozenSnapshot` is left out of the record (see `databaseSelection`): a
/// snapshot-sized blob is read and written only by the code that needs it.
struct OrgRecord: Codable, Equatable, FetchableRecord, MutablePersistableRecord {
    static let databaseTableName = "org"
    var id: Int64?
    var name: String
    var scimAPI: Bool
    var provisioning: Bool
    /// The policy as sorted-key JSON (`Org.encode`).
    var policy: String
    var serial: Int64
    var nextUID: Int64?
    var nextGID: Int64?
    var createdAt: String
    var changedAt: String

    enum Columns {
        static let id = Column(CodingKeys.id)
        static let name = Column(CodingKeys.name)
        static let scimAPI = Column(CodingKeys.scimAPI)
        static let provisioning = Column(CodingKeys.provisioning)
        static let policy = Column(CodingKeys.policy)
        static let serial = Column(CodingKeys.serial)
        static let nextUID = Column(CodingKeys.nextUID)
        static let nextGID = Column(CodingKeys.nextGID)
        static let createdAt = Column(CodingKeys.createdAt)
        static let changedAt = Column(CodingKeys.changedAt)
        static let frozenSnapshot = Column("frozenSnapshot")
    }

    static var databaseSelection: [any SQLSelectable] {
        [Columns.id, Columns.name, Columns.scimAPI, Columns.provisioning, Columns.policy, Columns.serial,
         Columns.nextUID, Columns.nextGID, Columns.createdAt, Columns.changedAt]
    }

    mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// A row of `scimUser`: the SCIM document and every POSIX field, explicit and effective.
struct UserRecord: Codable, Equatable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "scimUser"
    var id: String
    var orgID: Int64
    var userName: String
    var userNameKey: String
    var externalID: String?
    var active: Bool
    var document: String
    var gecos: String
    var explicitName: String?
    var posixName: String?
    var explicitUID: Int64?
    var allocatedUID: Int64?
    var uid: Int64
    var explicitGID: Int64?
    var gid: Int64
    var explicitHome: String?
    var home: String?
    var explicitShell: String?
    var shell: String
    /// The canonical key lines as a JSON array.
    var keys: String
    var exportProblem: String?
    var version: Int64
    var createdAt: String
    var modifiedAt: String

    enum Columns {
        static let id = Column(CodingKeys.id)
        static let orgID = Column(CodingKeys.orgID)
        static let userName = Column(CodingKeys.userName)
        static let userNameKey = Column(CodingKeys.userNameKey)
        static let externalID = Column(CodingKeys.externalID)
        static let posixName = Column(CodingKeys.posixName)
        static let allocatedUID = Column(CodingKeys.allocatedUID)
        static let uid = Column(CodingKeys.uid)
        static let gid = Column(CodingKeys.gid)
        static let home = Column(CodingKeys.home)
        static let version = Column(CodingKeys.version)
    }

    /// The resolved columns (everything but identity, version and timestamps).
    var resolved: ResolvedUser {
        ResolvedUser(userName: userName, externalID: externalID, active: active, document: document, gecos: gecos,
                     explicitName: explicitName, posixName: posixName, explicitUID: explicitUID,
                     allocatedUID: allocatedUID, uid: uid, explicitGID: explicitGID, gid: gid,
                     explicitHome: explicitHome, home: home, explicitShell: explicitShell, shell: shell, keys: keys,
                     exportProblem: exportProblem)
    }

    /// True when `other` stores the same values: only version and timestamps may differ.
    func sameContent(as other: UserRecord) -> Bool {
        orgID == other.orgID && id == other.id && resolved == other.resolved
    }
}

/// A row of `scimGroup`. Its members are rows of `membership`.
struct GroupRecord: Codable, Equatable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "scimGroup"
    var id: String
    var orgID: Int64
    var displayName: String
    var displayNameKey: String
    var externalID: String?
    var document: String
    var posixName: String
    var gid: Int64
    var version: Int64
    var createdAt: String
    var modifiedAt: String

    enum Columns {
        static let id = Column(CodingKeys.id)
        static let orgID = Column(CodingKeys.orgID)
        static let displayName = Column(CodingKeys.displayName)
        static let displayNameKey = Column(CodingKeys.displayNameKey)
        static let externalID = Column(CodingKeys.externalID)
        static let posixName = Column(CodingKeys.posixName)
        static let gid = Column(CodingKeys.gid)
        static let version = Column(CodingKeys.version)
        static let modifiedAt = Column(CodingKeys.modifiedAt)
    }
}

/// A row of `membership`. Member lists are written with set-based statements over `json_each`
/// (one statement however many members, see Groups.swift); this record names the table and its
/// columns for them.
struct MembershipRecord: Codable, Equatable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "membership"
    var groupID: String
    var userID: String

    enum Columns {
        static let groupID = Column(CodingKeys.groupID)
        static let userID = Column(CodingKeys.userID)
    }
}

/// A row of `token`: the secret's SHA-256, never the secret.
struct TokenRecord: Codable, Equatable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "token"
    var id: Int64?
    var orgID: Int64
    var name: String
    var scope: String
    var secretHash: Data
    var createdAt: String
    var lastUsedAt: String?

    enum Columns {
        static let orgID = Column(CodingKeys.orgID)
        static let name = Column(CodingKeys.name)
        static let secretHash = Column(CodingKeys.secretHash)
        static let lastUsedAt = Column(CodingKeys.lastUsedAt)
    }
}

/// A row of `audit`.
struct AuditRecord: Codable, Equatable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "audit"
    var id: Int64?
    var orgID: Int64?
    var at: String
    var actor: String
    var method: String
    var resource: String
    var outcome: String

    enum Columns {
        static let id = Column(CodingKeys.id)
        static let orgID = Column(CodingKeys.orgID)
        static let at = Column(CodingKeys.at)
    }
}

/// A row of `signingKey`. `state` is `current`, `previous` or `retired`.
struct SigningKeyRecord: Codable, Equatable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "signingKey"
    var id: Int64?
    var orgID: Int64
    var privateKey: Data
    var publicKey: Data
    var state: String
    var createdAt: String

    enum Columns {
        static let id = Column(CodingKeys.id)
        static let orgID = Column(CodingKeys.orgID)
        static let state = Column(CodingKeys.state)
    }
}

/// The single row of `instance`.
struct InstanceRecord: Codable, Equatable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "instance"
    var id: Int64 = 1
    var instanceID: String
    var createdAt: String
}
