import Foundation
import SCIMProtocol
import SunkSnapshot
import SunkStore
import Testing

/// One hostile value of a CoreWeave attribute: the attribute and its JSON value text.
struct Hostile: Sendable, CustomTestStringConvertible {
    var attribute: String
    var value: String
    var testDescription: String { "\(attribute) = \(value.prefix(60))" }
    init(_ attribute: String, _ value: String) { self.attribute = attribute; self.value = value }
    init(_ attribute: String, string: String) { self.init(attribute, quoted(string)) }
    init(keys: [String]) { self.init("sunkSshKeys", "[" + keys.map(quoted).joined(separator: ",") + "]") }
    init(key: String) { self.init(keys: [key]) }
}

enum HostileValues {
    static let goodKeyBase64 = "AAAAC3NzaC1lZDI1NTE5AAAAILQwuexkUkfmgaRc8TfBKQn5whYd06jzr41VYHQrQER8"

    static let all: [Hostile] = names + ids + homes + shells + keys

    static let names: [Hostile] = [
        "Root", "root", "nobody", "sshd", "slurm", "daemon", "-abc", "a b", "../../etc/shadow", "ada:x",
        "ada\n", "ada\u{0}", String(repeating: "a", count: 33), "1abc", "ada.lovelace", "ädå", "ada@x", "ADA",
        "ada;rm", "$(id)", " ada", "ada\t",
    ].map { Hostile("sunkPosixUsername", string: $0) } + [
        Hostile("sunkPosixUsername", "123"), Hostile("sunkPosixUsername", "true"),
        Hostile("sunkPosixUsername", #"["ada"]"#),
    ]

    static let ids: [Hostile] = [
        "0", "65534", "60000", "65535", "100001.5", #""abc""#, "-1", "999", "9999", "2147483648", "4294967296",
        #""1e5""#, #""-5""#, #"" 100001""#, "true", #""0""#, "[100001]", #"{"value": 100001}"#, "1e100",
    ].map { Hostile("sunkPosixUserId", $0) } + [
        "0", "65534", #""abc""#, "100001.5", "60001",
    ].map { Hostile("sunkPosixGroupId", $0) }

    static let homes: [Hostile] = [
        "/home/../etc", "/etc/ada", "/home/ada:x", "home/ada", "/home", "/home/", "/home//ada", "/home/./ada",
        "/home/ada\n", "/homeX/ada", "/", "/home/ada\u{0}x", "/home/ada/..", "~ada", "/home/ada\u{7f}",
    ].map { Hostile("sunkPreferredHomeDirectory", string: $0) }

    static let shells: [Hostile] = [
        "/bin/evil", "bash", "/bin/bash\n", "/bin/../bin/bash", "/usr/local/bin/bash", "/bin/bash -c id",
        "/bin/bash:", "/bin//bash", "/BIN/BASH",
    ].map { Hostile("sunkLoginShell", string: $0) }

    static let keys: [Hostile] = {
        let good = adaLaptopKey
        var list: [Hostile] = [
            Hostile(key: #"command="rm -rf /" "# + good),
            Hostile(key: #"from="*" "# + good),
            Hostile(key: "restrict " + good),
            Hostile(key: "no-pty,no-port-forwarding " + good),
            Hostile(key: "cert-authority " + good),
            Hostile(key: good + "\nssh-ed25519 " + goodKeyBase64 + " second"),
            Hostile(key: good + "\u{0}"),
            Hostile(key: "ssh-ed25519 " + String(goodKeyBase64.dropLast(10))),
            Hostile(key: "ssh-ed25519 " + goodKeyBase64 + "=="),
            Hostile(key: "ssh-rsa " + goodKeyBase64 + " wrong-embedded-type"),
            Hostile(key: Keys.line("ssh-ed25519", blob: Keys.wire("ssh-rsa") + Keys.wire([UInt8](repeating: 1, count: 32)),
                                   comment: "embedded ssh-rsa")),
            Hostile(key: "ssh-dss AAAAB3NzaC1kc3MAAACBAP1/U4EddRIpUt9KnC7s5Of2EbdSPO9EAMMeP4C2USZpRV1AIlH7WT2NWPq/xfW6MPbLm1Vs14E7gB00b/JmYLdrmVClpJ+f6AR7ECLCT7up1/63xhv4O1fnxqimFQ8E+4P208UewwI1VBNaFpEy9nXzrith1yrv8iIDGZ3RSAHHAAAAFQCXYFCPFSMLzLKSuYKi64QL8Fgc9QAAAIEA9+GghdabPd7LvKtcNrhXuXmUr7v6OuqC+VdMCz0HgmdRWVeOutRZT+ZxBxCBgLRJFnEj6EwoFhO3zwkyjMim4TwWeotUfI0o4KOuHiuzpnWRbqN/C/ohNWLx+2J6ASQ7zKTxvqhRkImog9/hWuWfBpKLZl6Ae1UlZAFMO/7PSSoAAACBAPAMV2nYmnQQpyrC9aZMDz1ABQZA6yZ3Y3FtJ6MoWqU2bAgo8PxsGZAVTKL3Po6TC4j2ApCQsjuxn2Cv9FlJk5MBFQybl8szF6RgvYQGTDE/+/G40nGb2lmd8Ls8wAlRAYPKu0MaZWvdHVkA0bMnoYdcdZ8T6KyUl5AaNKIkmz0w dsa@old"),
            Hostile(key: Keys.line("ssh-ed25519-cert-v01@openssh.com",
                                   blob: Keys.wire("ssh-ed25519-cert-v01@openssh.com") + Keys.wire([UInt8](repeating: 7, count: 32)),
                                   comment: "cert")),
            Hostile(key: Keys.line("ssh-ed25519-cert-v01@openssh.com", blob: Keys.ed25519Blob(3), comment: "cert")),
            Hostile(keys: (1...33).map { Keys.ed25519(UInt8($0), comment: "k\($0)") }),
            Hostile(key: "not a key at all"),
            Hostile(key: "ssh-ed25519"),
            Hostile(key: Keys.line("ssh-ed25519", blob: Keys.ed25519Blob(9, length: 31), comment: nil)),
            Hostile(key: Keys.line("ssh-ed25519", blob: Keys.ed25519Blob(9) + [0, 0], comment: "trailing")),
            Hostile(key: Keys.rsa(bits: 1024, comment: "small-rsa")),
            Hostile(key: Keys.ecdsa(curve: "nistp256", claimedCurve: "nistp384")),
            Hostile(key: Keys.ed25519(5, comment: String(repeating: "c", count: 300))),
            Hostile(key: "ecdsa-sha2-nistp256 " + goodKeyBase64),
            Hostile(key: "ssh-ed25519 !!!notbase64!!!"),
            Hostile("sunkSshKeys", "42"),
            Hostile("sunkSshKeys", #"[{"value": 1}]"#),
        ]
        list.append(Hostile(key: String(repeating: "A", count: 9000)))
        return list
    }()
}

@Suite("Validation at the edge")
struct ValidationTests {
    @Test("the hostile-value table has at least 60 rows")
    func tableSize() {
        #expect(HostileValues.all.count >= 60)
    }

    @Test("a hostile CoreWeave value is refused on POST and on PATCH, and nothing is stored",
          arguments: HostileValues.all)
    func hostile(_ hostile: Hostile) async throws {
        try await withServer { server in
            let body = userWith("victim@example.com", coreWeave: "\"\(hostile.attribute)\": \(hostile.value)")
            let reply = try await server.post("/Users", body)
            expectSCIMError(reply, status: 400, scimType: "invalidValue", detailContains: [hostile.attribute])
            #expect(try await server.allUsers().isEmpty, "a refused user was stored")
            #expect(try await server.database.users(org: try server.org()).isEmpty)

            let id = try await server.createUser(Fixtures.oktaCreateUser)
            let before = try await server.stableUser(id)
            let patch = try await server.patch("/Users/\(id)", patchBody(
                #"{"op": "replace", "path": "\#(coreWeaveURN):\#(hostile.attribute)", "value": \#(hostile.value)}"#))
            expectSCIMError(patch, status: 400, scimType: "invalidValue", detailContains: [hostile.attribute])
            #expect(try await server.stableUser(id) == before, "a refused PATCH changed the user")

            let pathless = try await server.patch("/Users/\(id)", patchBody(
                #"{"op": "replace", "value": {"\#(coreWeaveURN)": {"\#(hostile.attribute)": \#(hostile.value)}}}"#))
            expectSCIMError(pathless, status: 400, scimType: "invalidValue", detailContains: [hostile.attribute])

            var put = try #require(Fixtures.oktaPutUser(id: id).objectValue)
            var ext = try #require(put[coreWeaveURN]?.objectValue)
            ext[hostile.attribute] = json("{\"v\": \(hostile.value)}")["v"]
            put[coreWeaveURN] = .object(ext)
            let replaced = try await server.put("/Users/\(id)", .object(put))
            expectSCIMError(replaced, status: 400, scimType: "invalidValue", detailContains: [hostile.attribute])
            #expect(try await server.stableUser(id) == before, "a refused PUT changed the user")
        }
    }

    @Test("valid values of every kind are accepted", arguments: [
        Hostile("sunkPosixUsername", string: "_svc-01"),
        Hostile("sunkPosixUsername", string: String(repeating: "a", count: 32)),
        Hostile("sunkPosixUserId", "10000"), Hostile("sunkPosixUserId", "59999"), Hostile("sunkPosixUserId", "65536"),
        Hostile("sunkPosixUserId", "2147483647"),
        Hostile("sunkPreferredHomeDirectory", string: "/home/team/ada"),
        Hostile("sunkLoginShell", string: "/usr/sbin/nologin"), Hostile("sunkLoginShell", string: "/usr/bin/fish"),
        Hostile(key: Keys.rsa(bits: 2048, comment: "rsa")), Hostile(key: Keys.rsa(bits: 4096)),
        Hostile(key: Keys.ecdsa(curve: "nistp256")), Hostile(key: Keys.ecdsa(curve: "nistp521", comment: "e")),
        Hostile(keys: (1...32).map { Keys.ed25519(UInt8($0)) }),
    ])
    func accepted(_ value: Hostile) async throws {
        try await withServer { server in
            let reply = try await server.post("/Users", userWith("fine@example.com",
                                                                 coreWeave: "\"\(value.attribute)\": \(value.value)"))
            #expect(reply.status == 201, "\(reply.text)")
            #expect(reply.ext?[value.attribute] != nil)
        }
    }

    @Test("100001.0 and \"100001\" are accepted as 100001 and returned as JSON integers", arguments: [
        "100001.0", #""100001""#, "100001",
    ])
    func wholeNumbers(_ text: String) async throws {
        try await withServer { server in
            let reply = try await server.post("/Users", userWith(
                "num@example.com", coreWeave: #""sunkPosixUserId": \#(text), "sunkPosixGroupId": \#(text)"#))
            #expect(reply.status == 201, "\(reply.text)")
            #expect(reply.ext?["sunkPosixUserId"] == .int(100001))
            #expect(reply.ext?["sunkPosixGroupId"] == .int(100001))
            #expect(!reply.text.contains("100001.0"))
            #expect(!reply.text.contains("\"100001\""))
            let id = try #require(reply.id)
            #expect(try await server.get("/Users/\(id)").ext?["sunkPosixUserId"] == .int(100001))
            let stored = try #require(try await server.database.users(org: try server.org()).first)
            #expect(stored.uid == 100001)
            #expect(stored.gid == 100001)
            #expect(stored.uidAllocated == false)
        }
    }

    @Test("keys are stored in canonical form: extra blanks collapsed, duplicates dropped")
    func canonicalKeys() async throws {
        try await withServer { server in
            let messy = "  ssh-ed25519 \t  \(HostileValues.goodKeyBase64)    ada   at  laptop  "
            let reply = try await server.post("/Users", userWith(
                "keys@example.com", coreWeave: #""sunkSshKeys": [\#(quoted(messy)), "", \#(quoted(adaLaptopKey))]"#))
            #expect(reply.status == 201, "\(reply.text)")
            let canonical = "ssh-ed25519 \(HostileValues.goodKeyBase64) ada at laptop"
            #expect(reply.ext?["sunkSshKeys"] == .array([.string(canonical)]))
            let stored = try #require(try await server.database.users(org: try server.org()).first)
            #expect(stored.keys == [canonical])
        }
    }

    @Test("a missing uid is allocated from 1000000 up and kept across PUT and PATCH")
    func allocatedUID() async throws {
        try await withServer { server in
            let first = try await server.createUser(userBody("first@example.com"))
            let second = try await server.createUser(userBody("second@example.com"))
            func uid(_ id: String) throws -> UInt32? {
                try server.database.users(org: try server.org()).first { $0.id == id }?.uid
            }
            #expect(try uid(first) == 1_000_000)
            #expect(try uid(second) == 1_000_001)
            let stored = try #require(try await server.database.users(org: try server.org()).first { $0.id == first })
            #expect(stored.uidAllocated)
            #expect(stored.gid == stored.uid, "a missing gid is the user-private group gid = uid")
            #expect(stored.posixName == "first")
            #expect(stored.home == "/home/first")
            #expect(stored.shell == "/bin/bash")

            var body = try #require(userBody("first@example.com").objectValue)
            body["displayName"] = .string("First Person")
            #expect(try await server.put("/Users/\(first)", .object(body)).status == 200)
            #expect(try uid(first) == 1_000_000)
            #expect(try await server.patch("/Users/\(first)", Fixtures.oktaDeactivate).status == 200)
            #expect(try uid(first) == 1_000_000)
            // An explicit uid replaces the allocation; removing it brings the allocated one back.
            let explicit = try await server.patch("/Users/\(first)", patchBody(
                #"{"op": "add", "path": "\#(coreWeaveURN):sunkPosixUserId", "value": 123456}"#))
            #expect(explicit.status == 200)
            #expect(try uid(first) == 123456)
            let removed = try await server.patch("/Users/\(first)", patchBody(
                #"{"op": "remove", "path": "\#(coreWeaveURN):sunkPosixUserId"}"#))
            #expect(removed.status == 200)
            #expect(try uid(first) == 1_000_000)
        }
    }

    @Test("a userName whose local part is no POSIX name is stored but not exported")
    func notExported() async throws {
        try await withServer { server in
            let reply = try await server.post("/Users", userBody("ada.lovelace@x"))
            #expect(reply.status == 201)
            let stored = try #require(try await server.database.users(org: try server.org()).first)
            #expect(stored.posixName == nil)
            #expect(stored.exportProblem != nil)
            #expect(stored.exportProblem?.contains("sunkPosixUsername") == true)
            // Setting the name fixes it.
            let id = try #require(reply.id)
            let fixed = try await server.patch("/Users/\(id)", patchBody(
                #"{"op": "add", "path": "\#(coreWeaveURN):sunkPosixUsername", "value": "ada"}"#))
            #expect(fixed.status == 200)
            let after = try #require(try await server.database.users(org: try server.org()).first)
            #expect(after.posixName == "ada")
            #expect(after.exportProblem == nil)
            #expect(after.home == "/home/ada")
        }
    }

    @Test("a derived POSIX name or default home already taken: stored, not exported, the holder keeps it")
    func derivedCollision() async throws {
        try await withServer { server in
            let first = try await server.createUser(userBody("ada@example.com"))
            let second = try await server.post("/Users", userBody("ada@example.org"))
            #expect(second.status == 201, "the IdP did not ask for the name: no conflict to report")
            let byHome = try await server.post("/Users", userWith(
                "alice@example.com", coreWeave: #""sunkPosixUsername": "alice", "sunkPreferredHomeDirectory": "/home/bob""#))
            #expect(byHome.status == 201)
            let bob = try await server.post("/Users", userBody("bob@example.com"))
            #expect(bob.status == 201)
            let users = try await server.database.users(org: try server.org())
            #expect(users.first { $0.id == first }?.posixName == "ada")
            let secondStored = try #require(users.first { $0.id == second.id })
            #expect(secondStored.posixName == nil)
            #expect(secondStored.exportProblem?.contains("ada") == true)
            let bobStored = try #require(users.first { $0.id == bob.id })
            #expect(bobStored.posixName == nil)
            #expect(bobStored.home == nil)
            #expect(bobStored.exportProblem?.contains("/home/bob") == true)
            let snapshot = try await server.database.snapshot(org: try server.org())
            #expect(snapshot.body.users.map(\.name).sorted() == ["ada", "alice"])
            #expect(Set(snapshot.body.skipped.map(\.id)) == Set([second.id, bob.id].compactMap { $0 }))
        }
    }

    @Test("free text is never refused for punctuation and becomes a safe GECOS")
    func freeText() async throws {
        try await withServer { server in
            let reply = try await server.post("/Users", json(#"""
                {"userName": "o'brien@example.com", "displayName": "O'Brien, Seán: \"Ops\" = lead\\x",
                 "name": {"givenName": "Seán", "familyName": "O'Brien"}}
                """#))
            #expect(reply.status == 201, "\(reply.text)")
            #expect(reply["displayName"] == .string("O'Brien, Seán: \"Ops\" = lead\\x"))
            let stored = try #require(try await server.database.users(org: try server.org()).first)
            for forbidden in [":", ",", "=", "\\", "\n"] {
                #expect(!stored.gecos.contains(forbidden), "GECOS \(stored.gecos) contains \(forbidden)")
            }
            #expect(stored.gecos.contains("Seán"))
        }
    }
}

@Suite("Uniqueness conflicts")
struct UniquenessTests {
    /// A first user, then a second body that must be refused with 409 and leave only the first.
    static func conflict(_ first: JSONValue, _ second: JSONValue, naming: String) async throws {
        try await withServer { server in
            let firstID = try await server.createUser(first)
            let before = try await server.stableUser(firstID)
            let reply = try await server.post("/Users", second)
            expectSCIMError(reply, status: 409, scimType: "uniqueness", detailContains: [naming])
            let users = try await server.allUsers()
            #expect(users.count == 1)
            #expect(users.first?["id"] == .string(firstID))
            #expect(try await server.stableUser(firstID) == before)
        }
    }

    @Test("userName differing only in case")
    func userNameCase() async throws {
        try await Self.conflict(userBody("ada@example.com"), userBody("ADA@Example.COM"), naming: "userName")
    }

    @Test("the same sunkPosixUsername")
    func posixName() async throws {
        try await Self.conflict(userBody("a1@example.com", posixName: "ada"), userBody("a2@example.com", posixName: "ada"),
                                naming: "sunkPosixUsername")
    }

    @Test("an explicit sunkPosixUsername equal to another user's derived name")
    func posixNameDerived() async throws {
        try await Self.conflict(userBody("ada@example.com"), userBody("other@example.com", posixName: "ada"),
                                naming: "sunkPosixUsername")
    }

    @Test("the same sunkPosixUserId")
    func uid() async throws {
        try await Self.conflict(userBody("a1@example.com", uid: 100001), userBody("a2@example.com", uid: 100001),
                                naming: "sunkPosixUserId")
    }

    @Test("homes equal to, inside, or above another user's home", arguments: [
        ("/home/ada", "/home/ada"), ("/home/ada", "/home/ada/"), ("/home/ada", "/home/ada/nested"),
        ("/home/ada/nested", "/home/ada"), ("/home/team/ada", "/home/team"),
    ])
    func home(_ first: String, _ second: String) async throws {
        try await Self.conflict(
            userWith("a1@example.com", coreWeave: #""sunkPreferredHomeDirectory": \#(quoted(first))"#),
            userWith("a2@example.com", coreWeave: #""sunkPreferredHomeDirectory": \#(quoted(second))"#),
            naming: "sunkPreferredHomeDirectory")
    }

    @Test("an explicit home inside another user's default home")
    func homeInsideDefault() async throws {
        try await Self.conflict(userBody("bob@example.com"),
                                userWith("x@example.com", coreWeave: #""sunkPreferredHomeDirectory": "/home/bob/x""#),
                                naming: "sunkPreferredHomeDirectory")
    }

    @Test("homes that only share a prefix do not conflict")
    func homePrefixOnly() async throws {
        try await withServer { server in
            try await server.createUser(userWith("a1@example.com", coreWeave: #""sunkPreferredHomeDirectory": "/home/ada""#))
            let reply = try await server.post("/Users", userWith("a2@example.com",
                                                                coreWeave: #""sunkPreferredHomeDirectory": "/home/ada2""#))
            #expect(reply.status == 201)
        }
    }

    @Test("PUT and PATCH onto a taken value are 409 and change nothing")
    func updateConflicts() async throws {
        try await withServer { server in
            try await server.createUser(userBody("ada@example.com", posixName: "ada", uid: 100001))
            let bob = try await server.createUser(userBody("bob@example.com", posixName: "bob", uid: 100002))
            let before = try await server.stableUser(bob)
            let put = try await server.put("/Users/\(bob)", userBody("ADA@example.com", posixName: "bob", uid: 100002))
            expectSCIMError(put, status: 409, scimType: "uniqueness")
            let patchUID = try await server.patch("/Users/\(bob)", patchBody(
                #"{"op": "replace", "path": "\#(coreWeaveURN):sunkPosixUserId", "value": 100001}"#))
            expectSCIMError(patchUID, status: 409, scimType: "uniqueness", detailContains: ["sunkPosixUserId"])
            let patchName = try await server.patch("/Users/\(bob)", patchBody(
                #"{"op": "replace", "path": "\#(coreWeaveURN):sunkPosixUsername", "value": "ada"}"#))
            expectSCIMError(patchName, status: 409, scimType: "uniqueness", detailContains: ["sunkPosixUsername"])
            #expect(try await server.stableUser(bob) == before)
            // A user may keep its own values.
            let same = try await server.put("/Users/\(bob)", userBody("Bob@example.com", posixName: "bob", uid: 100002))
            #expect(same.status == 200)
        }
    }
}
