import SunkModel
import Testing
@testable import SunkStore

/// The rules without any engine: a table of other users stands in for the database, which is
/// all an engine has to answer (`UserLookups`).
struct TableLookups: UserLookups {
    /// Other users: (id, userName, posixName, uid, home).
    var users: [(id: String, userName: String, posixName: String?, uid: Int64, home: String?)] = []
    var nextUID: Int64 = 1_000_000

    func userNameHolder(key: String, except selfID: String) throws -> String? {
        users.first { $0.id != selfID && UserKey.fold($0.userName) == key }?.userName
    }
    func posixNameHolder(_ name: String, except selfID: String) throws -> String? {
        users.first { $0.id != selfID && $0.posixName == name }?.userName
    }
    func uidHolder(_ uid: Int64, except selfID: String) throws -> String? {
        users.first { $0.id != selfID && $0.uid == uid }?.userName
    }
    func homeHolder(_ home: String, except selfID: String) throws -> String? {
        users.first { user in
            guard user.id != selfID, let other = user.home else { return false }
            return other == home || other.hasPrefix(home + "/") || home.hasPrefix(other + "/")
        }?.userName
    }
    func allocatedUID(of id: String) throws -> Int64? { nil }
    func allocateUID() throws -> Int64 { nextUID }
}

@Suite("SunkStore: user rules, engine-free")
struct UserRulesTests {
    static let org = Org(id: 1, name: "default", scimAPI: true, provisioning: true, policy: .default, serial: 0,
                         createdAt: "", changedAt: "")
    static let ada = TableLookups(users: [("1", "ada@example.com", "ada", 150_000, "/home/ada")])

    @Test("defaults: derived name, home under the first prefix, allocated uid, gid = uid, default shell")
    func defaults() throws {
        let resolved = try UserResolver.resolve(TableLookups(), org: Self.org, draft: draft("bob@example.com"),
                                                existing: nil)
        #expect(resolved.posixName == "bob" && resolved.exportProblem == nil)
        #expect(resolved.uid == 1_000_000 && resolved.allocatedUID == 1_000_000 && resolved.gid == 1_000_000)
        #expect(resolved.home == (Policy.default.homePrefixes.first ?? "") + "/bob")
        #expect(resolved.shell == Policy.default.defaultShell)
    }

    @Test("explicit values that are taken are conflicts; derived ones leave the user stored but not exported")
    func takenValues() throws {
        #expect(throws: StoreError.self) {
            _ = try UserResolver.resolve(Self.ada, org: Self.org, draft: draft("ADA@example.com"), existing: nil)
        }
        #expect(throws: StoreError.self) {
            _ = try UserResolver.resolve(Self.ada, org: Self.org, draft: draft("x@example.com", uid: 150_000), existing: nil)
        }
        #expect(throws: StoreError.self) {
            _ = try UserResolver.resolve(Self.ada, org: Self.org, draft: draft("y@example.com", name: "ada"), existing: nil)
        }
        let derived = try UserResolver.resolve(Self.ada, org: Self.org, draft: draft("ada@other.example"), existing: nil)
        #expect(derived.posixName == nil && derived.home == nil)
        #expect(derived.exportProblem?.contains("already used by \"ada@example.com\"") == true)
    }
}

@Suite("SunkStore: group refusals, engine-free")
struct GroupRulesTests {
    @Test("a refused member list names one offender, says whether it is a group, and counts the others")
    func memberRefusal() {
        #expect(GroupRules.memberRefusal(missing: ["a"], nested: nil)
                    == .invalidValue("member \"a\" is not a user of this org"))
        #expect(GroupRules.memberRefusal(missing: ["a", "b", "c"], nested: (id: "b", displayName: "Ops"))
                    == .invalidValue("member \"b\" is the group \"Ops\": nested groups are not supported; push only flat groups (and 2 other unknown members)"))
        #expect(GroupRules.memberRefusal(missing: ["a", "b"], nested: nil)
                    == .invalidValue("member \"a\" is not a user of this org (and 1 other unknown member)"))
    }
}
