import Foundation
import SunkModel
import SunkSnapshot

/// Turns a validated draft into stored columns: checks every uniqueness rule against the rest
/// of the org, fills in defaults (derived name, home `PREFIX/NAME`, default shell, gid = uid)
/// and allocates a uid when the IdP sent none. Runs inside the write transaction.
package struct ResolvedUser: Sendable, Equatable {
    package var userName: String
    package var externalID: String?
    package var active: Bool
    package var document: String
    package var gecos: String
    package var explicitName: String?
    package var posixName: String?
    package var explicitUID: Int64?
    package var allocatedUID: Int64?
    package var uid: Int64
    package var explicitGID: Int64?
    package var gid: Int64
    package var explicitHome: String?
    package var home: String?
    package var explicitShell: String?
    package var shell: String
    package var keys: String
    package var exportProblem: String?

    package init(userName: String, externalID: String?, active: Bool, document: String, gecos: String,
                 explicitName: String?, posixName: String?, explicitUID: Int64?, allocatedUID: Int64?, uid: Int64,
                 explicitGID: Int64?, gid: Int64, explicitHome: String?, home: String?, explicitShell: String?,
                 shell: String, keys: String, exportProblem: String?) {
        self.userName = userName; self.externalID = externalID; self.active = active; self.document = document
        self.gecos = gecos; self.explicitName = explicitName; self.posixName = posixName
        self.explicitUID = explicitUID; self.allocatedUID = allocatedUID; self.uid = uid
        self.explicitGID = explicitGID; self.gid = gid; self.explicitHome = explicitHome; self.home = home
        self.explicitShell = explicitShell; self.shell = shell; self.keys = keys; self.exportProblem = exportProblem
    }

    /// The row to store, with its identity, version and timestamps.
    func record(id: String, orgID: Int64, version: Int64, createdAt: String, modifiedAt: String) -> UserRecord {
        UserRecord(id: id, orgID: orgID, userName: userName, userNameKey: UserKey.fold(userName),
                   externalID: externalID, active: active, document: document, gecos: gecos,
                   explicitName: explicitName, posixName: posixName, explicitUID: explicitUID,
                   allocatedUID: allocatedUID, uid: uid, explicitGID: explicitGID, gid: gid,
                   explicitHome: explicitHome, home: home, explicitShell: explicitShell, shell: shell,
                   keys: keys, exportProblem: exportProblem, version: version, createdAt: createdAt,
                   modifiedAt: modifiedAt)
    }
}

/// What the user rules ask the engine, inside its write transaction, about the org's other users
/// (`except` is the user being written, `""` for a new one). Each answer is the userName of a
/// holder, for the message. An engine implements these with its indexes; the rules stay here.
package protocol UserLookups {
    /// A user whose folded userName is `key`.
    func userNameHolder(key: String, except selfID: String) throws -> String?
    /// A user whose effective POSIX name is `name`.
    func posixNameHolder(_ name: String, except selfID: String) throws -> String?
    /// A user whose uid is `uid`.
    func uidHolder(_ uid: Int64, except selfID: String) throws -> String?
    /// A user whose home equals `home`, is an ancestor of it, or lies below it.
    func homeHolder(_ home: String, except selfID: String) throws -> String?
    /// The uid allocated to user `id` before, if any (kept for as long as the user lives).
    func allocatedUID(of id: String) throws -> Int64?
    /// A new uid from the org's allocation range (see `IDAllocation`).
    func allocateUID() throws -> Int64
}

/// The user rules, engine-independent: uniqueness (explicit values refused with 409, derived
/// values leaving the user stored but not exported, with the reason), defaults, allocation.
package enum UserResolver {
    package static func resolve(_ lookups: some UserLookups, org: Org, draft: UserDraft, existing: StoredUser?) throws -> ResolvedUser {
        let selfID = existing?.id ?? ""
        let policy = org.policy

        if let other = try lookups.userNameHolder(key: UserKey.fold(draft.userName), except: selfID) {
            throw StoreError.uniqueness("userName \"\(draft.userName)\" is already used (by \"\(other)\"); userName is case-insensitive")
        }

        var problem: String?
        // POSIX name: explicit names must be free; a derived name that is taken makes the user
        // stored-but-not-exported, because the IdP never asked for it.
        var posixName: String?
        if let explicit = draft.posixName {
            if let holder = try lookups.posixNameHolder(explicit, except: selfID) {
                throw StoreError.uniqueness("sunkPosixUsername \"\(explicit)\" is already used by user \"\(holder)\"")
            }
            posixName = explicit
        } else if let derived = draft.derivedName {
            if let holder = try lookups.posixNameHolder(derived, except: selfID) {
                problem = "the POSIX name \"\(derived)\" derived from userName is already used by \"\(holder)\"; set sunkPosixUsername"
            } else {
                posixName = derived
            }
        } else {
            problem = "no sunkPosixUsername, and the part of userName before '@' is not a valid POSIX name; set sunkPosixUsername"
        }

        // uid: explicit must be free; otherwise keep the one allocated before, or allocate.
        var allocatedUID = try lookups.allocatedUID(of: selfID)
        let uid: Int64
        if let explicit = draft.uid {
            uid = Int64(explicit)
            if let holder = try lookups.uidHolder(uid, except: selfID) {
                throw StoreError.uniqueness("sunkPosixUserId \(explicit) is already used by user \"\(holder)\"")
            }
        } else {
            if allocatedUID == nil { allocatedUID = try lookups.allocateUID() }
            uid = allocatedUID!
        }
        let gid = draft.gid.map(Int64.init) ?? uid

        // Home: explicit homes must not equal or nest with another user's home.
        var home: String?
        if let explicit = draft.home {
            if let holder = try lookups.homeHolder(explicit, except: selfID) {
                throw StoreError.uniqueness("sunkPreferredHomeDirectory \"\(explicit)\" equals or nests with the home of user \"\(holder)\"")
            }
            home = explicit
        } else if let name = posixName, let derived = defaultHome(name: name, policy: policy) {
            if let holder = try lookups.homeHolder(derived, except: selfID) {
                problem = "the default home \"\(derived)\" equals or nests with the home of \"\(holder)\"; set sunkPreferredHomeDirectory"
            } else {
                home = derived
            }
        }
        if problem != nil { posixName = nil; home = nil }

        let keysJSON = String(decoding: try JSONEncoder().encode(draft.keys), as: UTF8.self)
        return ResolvedUser(
            userName: draft.userName, externalID: draft.externalID, active: draft.active,
            document: draft.document, gecos: draft.gecos, explicitName: draft.posixName, posixName: posixName,
            explicitUID: draft.uid.map(Int64.init), allocatedUID: allocatedUID, uid: uid,
            explicitGID: draft.gid.map(Int64.init), gid: gid, explicitHome: draft.home, home: home,
            explicitShell: draft.shell, shell: draft.shell ?? policy.defaultShell, keys: keysJSON,
            exportProblem: problem)
    }

}

extension UserResolver {
    /// The home a user named `name` gets when the IdP sends none: `PREFIX/NAME` under the first
    /// allowed prefix.
    package static func defaultHome(name: String, policy: Policy) -> String? {
        policy.homePrefixes.first.map { ($0.hasSuffix("/") ? $0 : $0 + "/") + name }
    }
}

/// Id allocation: a per-org cursor that only moves forward, so an id handed out once is never
/// handed out again, even after its user is deleted. Ids the IdP chose are skipped, and so are ids
/// that would make a user and a group share a gid (gid integrity: the engine's `taken` says which).
package enum IDAllocation {
    /// The first id from `cursor` (or the range's start) that the policy allows and `taken` does
    /// not refuse; the caller moves the cursor past it.
    package static func next(kind: Kind, policy: Policy, cursor: Int64?, taken: (Int64) throws -> Bool) throws -> Int64 {
        let range = kind == .uid ? policy.allocatedUserIDRange : policy.allocatedGroupIDRange
        var next = max(cursor ?? Int64(range.lower), Int64(range.lower))
        while next <= Int64(range.upper) {
            let usable = kind == .uid
                ? (try? PosixRules.userID(.integer(next), policy: policy)) != nil
                : (try? PosixRules.groupID(.integer(next), policy: policy)) != nil
            if usable, try !taken(next) { return next }
            next += 1
        }
        let field = kind == .uid ? "allocatedUserIDRange" : "allocatedGroupIDRange"
        throw StoreError.exhausted("the \(kind.rawValue) allocation range \(range.lower)–\(range.upper) is used up; widen \(field)")
    }

    package enum Kind: String, Sendable { case uid, gid }
}


extension StoredUser {
    /// A stored user from its resolved columns (either engine's row) and its groups.
    package init(id: String, resolved row: ResolvedUser, version: Int64, createdAt: String, modifiedAt: String,
                 groups: [GroupRef]) throws {
        self.id = id
        userName = row.userName
        externalID = row.externalID
        active = row.active
        document = row.document
        gecos = row.gecos
        explicitName = row.explicitName
        posixName = row.posixName
        explicitUID = row.explicitUID.map { UInt32($0) }
        uid = UInt32(row.uid)
        uidAllocated = explicitUID == nil
        explicitGID = row.explicitGID.map { UInt32($0) }
        gid = UInt32(row.gid)
        explicitHome = row.explicitHome
        home = row.home
        explicitShell = row.explicitShell
        shell = row.shell
        // The fast reader for the common case, JSONDecoder (the definition) for anything else.
        keys = try SnapshotReader.stringArray(row.keys) ?? JSONDecoder().decode([String].self, from: Data(row.keys.utf8))
        exportProblem = row.exportProblem
        self.version = version
        self.createdAt = createdAt
        self.modifiedAt = modifiedAt
        self.groups = groups
    }
}
