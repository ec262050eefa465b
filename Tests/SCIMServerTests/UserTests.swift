import Foundation
import SCIMProtocol
import Testing

@Suite("Users: create, read, replace, delete")
struct UserCRUDTests {
    @Test("POST answers 201 with the full resource, Location equal to meta.location, and an ETag")
    func create() async throws {
        try await withServer { server in
            let reply = try await server.post("/Users", Fixtures.oktaCreateUser)
            #expect(reply.status == 201)
            #expect(reply.isSCIMJSON)
            let id = try #require(reply.id)
            #expect(!id.isEmpty)
            let meta = try #require(reply["meta"])
            #expect(meta["resourceType"] == .string("User"))
            let created = try #require(meta["created"]?.stringValue)
            let modified = try #require(meta["lastModified"]?.stringValue)
            #expect((try? Date(created, strategy: .iso8601)) != nil, "created \(created) is not RFC 3339")
            #expect((try? Date(modified, strategy: .iso8601)) != nil)
            let location = try #require(meta["location"]?.stringValue)
            #expect(location == server.scimURL + "/Users/" + id)
            #expect(reply.headers.first(name: "Location") == location)
            let etag = try #require(reply.headers.first(name: "ETag"))
            #expect(etag.hasPrefix("W/\""))
            #expect(meta["version"] == .string(etag))
            #expect(reply["userName"] == .string("ada.lovelace@example.com"))
            #expect(reply["externalId"] == .string("00u1a2b3c4d5e6f7g8h9"))
            #expect(reply["active"] == .bool(true))
            #expect(reply.json?.at("name", "givenName") == .string("Ada"))
            let schemas = reply["schemas"]?.arrayValue ?? []
            #expect(schemas.contains(.string("urn:ietf:params:scim:schemas:core:2.0:User")))
            #expect(schemas.contains(.string(coreWeaveURN)))
            // Okta's Number type arrives as a double; it comes back as a JSON integer.
            #expect(reply.ext?["sunkPosixUserId"] == .int(100001))
            #expect(reply.ext?["sunkPosixGroupId"] == .int(100000))
            #expect(reply.ext?["sunkSshKeys"] == .array([.string(adaLaptopKey)]))
        }
    }

    @Test("the password is accepted, never returned and never written to the database file")
    func passwordNeverStored() async throws {
        try await withServer { server in
            let secret = "xY7!okta-generated-\(UUID().uuidString)"
            var body = try #require(Fixtures.oktaCreateUser.objectValue)
            body["password"] = .string(secret)
            let reply = try await server.post("/Users", .object(body))
            #expect(reply.status == 201)
            #expect(reply["password"] == nil)
            #expect(!reply.text.contains(secret))
            let id = try #require(reply.id)
            let read = try await server.get("/Users/\(id)")
            #expect(read["password"] == nil)
            let listed = try await server.get("/Users?attributes=password,userName")
            #expect(listed.resources.first?["password"] == nil)
            // PUT and PATCH with a password do not store it either.
            body["password"] = .string(secret + "-put")
            #expect(try await server.put("/Users/\(id)", .object(body)).status == 200)
            let patch = try await server.patch("/Users/\(id)", patchBody(#"{"op": "replace", "path": "password", "value": "\#(secret)-patch"}"#))
            #expect(patch.status == 200 || patch.status == 400)
            #expect(patch["password"] == nil)
            let bytes = databaseBytes(server.databasePath)
            #expect(!bytes.isEmpty)
            #expect(!contains(bytes, Array(secret.utf8)), "the password reached the database file")
            // The test would notice the userName, so the grep itself works.
            #expect(contains(bytes, Array("ada.lovelace@example.com".utf8)))
        }
    }

    @Test("GET by id returns the same resource and its ETag; an unknown id is a SCIM 404")
    func getByID() async throws {
        try await withServer { server in
            let created = try await server.post("/Users", userBody("grace@example.com", posixName: "grace"))
            let id = try #require(created.id)
            let read = try await server.get("/Users/\(id)")
            #expect(read.status == 200)
            #expect(read.isSCIMJSON)
            #expect(read.json == created.json)
            #expect(read.headers.first(name: "ETag") == created.headers.first(name: "ETag"))

            let missing = try await server.get("/Users/00000000-0000-0000-0000-000000000000")
            expectSCIMError(missing, status: 404)
            #expect(missing["status"] == .string("404"))
        }
    }

    @Test("Location and meta.location use the configured public URL")
    func publicURL() async throws {
        try await withServer(publicURL: "https://scim.example.com/") { server in
            let reply = try await server.post("/Users", userBody("pub@example.com"))
            let id = try #require(reply.id)
            #expect(reply.headers.first(name: "Location") == "https://scim.example.com/scim/default/Users/\(id)")
            #expect(reply.json?.at("meta", "location") == .string("https://scim.example.com/scim/default/Users/\(id)"))
        }
    }

    @Test("PUT replaces the resource; id and meta in the body are ignored")
    func put() async throws {
        try await withServer { server in
            let created = try await server.post("/Users", Fixtures.oktaCreateUser)
            let id = try #require(created.id)
            let before = try #require(created.json)
            var body = try #require(Fixtures.oktaPutUser(id: "not-the-id").objectValue)
            body["meta"] = json(#"{"resourceType": "Group", "created": "1999-01-01T00:00:00Z", "version": "W/\"77\""}"#)
            body["emails"] = nil
            body["displayName"] = .string("Countess of Lovelace")
            let reply = try await server.put("/Users/\(id)", .object(body))
            #expect(reply.status == 200)
            #expect(reply.id == id)
            #expect(reply.json?.at("meta", "created") == before.at("meta", "created"))
            #expect(reply.json?.at("meta", "resourceType") == .string("User"))
            #expect(reply.json?.at("meta", "version") != before.at("meta", "version"))
            #expect(reply.headers.first(name: "ETag") == reply.json?.at("meta", "version")?.stringValue)
            #expect(reply["displayName"] == .string("Countess of Lovelace"))
            #expect(reply["emails"] == nil, "PUT replaces: an attribute left out is removed")
            #expect(reply.ext?["sunkLoginShell"] == .string("/bin/zsh"))
            #expect(reply.ext?["sunkSshKeys"] == .array([.string(adaWorkstationKey)]))
            let read = try await server.get("/Users/\(id)")
            #expect(read.json == reply.json)
            let notFound = try await server.put("/Users/nope", .object(body))
            expectSCIMError(notFound, status: 404)
        }
    }

    @Test("DELETE answers 204, then the user is gone (404 on GET and on a second DELETE)")
    func delete() async throws {
        try await withServer { server in
            let id = try await server.createUser(userBody("del@example.com"))
            let reply = try await server.delete("/Users/\(id)")
            #expect(reply.status == 204)
            #expect(reply.body.isEmpty)
            expectSCIMError(try await server.get("/Users/\(id)"), status: 404)
            expectSCIMError(try await server.delete("/Users/\(id)"), status: 404)
            #expect(try await server.allUsers().isEmpty)
        }
    }

    @Test("If-Match: a stale ETag is 412 and changes nothing; the current ETag and * are accepted")
    func ifMatch() async throws {
        try await withServer { server in
            let created = try await server.post("/Users", userBody("etag@example.com"))
            let id = try #require(created.id)
            let etag = try #require(created.headers.first(name: "ETag"))
            let patch = patchBody(#"{"op": "replace", "path": "displayName", "value": "Changed"}"#)

            let stale = try await server.request(.PATCH, "/Users/\(id)", json: patch, headers: [("If-Match", "W/\"999\"")])
            expectSCIMError(stale, status: 412)
            #expect(try await server.get("/Users/\(id)").json == created.json)

            let stalePut = try await server.request(.PUT, "/Users/\(id)", json: userBody("etag@example.com"),
                                                    headers: [("If-Match", "W/\"999\"")])
            expectSCIMError(stalePut, status: 412)
            let staleDelete = try await server.request(.DELETE, "/Users/\(id)", headers: [("If-Match", "W/\"999\"")])
            expectSCIMError(staleDelete, status: 412)

            let current = try await server.request(.PATCH, "/Users/\(id)", json: patch, headers: [("If-Match", etag)])
            #expect(current.status == 200)
            #expect(current["displayName"] == .string("Changed"))
            let newTag = try #require(current.headers.first(name: "ETag"))
            #expect(newTag != etag)

            // The old tag no longer matches.
            let old = try await server.request(.PATCH, "/Users/\(id)", json: patch, headers: [("If-Match", etag)])
            expectSCIMError(old, status: 412)

            let star = try await server.request(
                .PATCH, "/Users/\(id)", json: patchBody(#"{"op": "replace", "path": "displayName", "value": "Star"}"#),
                headers: [("If-Match", "*")])
            #expect(star.status == 200)
            #expect(star["displayName"] == .string("Star"))
            let deleted = try await server.request(.DELETE, "/Users/\(id)", headers: [("If-Match", "*")])
            #expect(deleted.status == 204)
        }
    }
}

@Suite("Users: filters")
struct UserFilterTests {
    /// Three users that the filter table below selects from.
    static func seed(_ server: TestServer) async throws {
        try await server.createUser(json("""
            {"userName": "ada@example.com", "externalId": "ExtA", "displayName": "Ada Lovelace", "active": true,
             "name": {"givenName": "Ada", "familyName": "Lovelace"},
             "emails": [{"type": "work", "value": "ada@example.com", "primary": true}],
             "\(coreWeaveURN)": {"sunkPosixUsername": "ada", "sunkPosixUserId": 100001}}
            """))
        try await server.createUser(json("""
            {"userName": "grace@example.org", "externalId": "extB", "active": false,
             "emails": [{"type": "home", "value": "grace@home.net"}, {"type": "work", "value": "grace@example.org"}]}
            """))
        try await server.createUser(json("""
            {"userName": "alan@corp.test", "active": true,
             "emails": [{"type": "work", "value": "alan@corp.test"}]}
            """))
    }

    @Test("filters select the expected users", arguments: [
        (#"userName eq "ADA@EXAMPLE.COM""#, ["ada@example.com"]),
        (#"USERNAME Eq "alan@corp.test""#, ["alan@corp.test"]),
        (#"userName eq "nobody@example.com""#, []),
        (#"externalId eq "ExtA""#, ["ada@example.com"]),
        (#"externalId eq "exta""#, []),
        (#"userName co "example""#, ["ada@example.com", "grace@example.org"]),
        (#"userName sw "GR""#, ["grace@example.org"]),
        (#"userName ew ".test""#, ["alan@corp.test"]),
        (#"displayName pr"#, ["ada@example.com"]),
        (#"externalId pr"#, ["ada@example.com", "grace@example.org"]),
        (#"userName sw "a" and active eq true"#, ["ada@example.com", "alan@corp.test"]),
        (#"userName sw "g" or userName sw "al""#, ["alan@corp.test", "grace@example.org"]),
        (#"not (userName sw "a")"#, ["grace@example.org"]),
        (#"active eq false"#, ["grace@example.org"]),
        (#"emails[type eq "work" and value co "@example"]"#, ["ada@example.com", "grace@example.org"]),
        (#"emails[type eq "home"]"#, ["grace@example.org"]),
        (#"emails.value ew "home.net""#, ["grace@example.org"]),
        (#"name.givenName eq "ada""#, ["ada@example.com"]),
        (#"urn:coreweave:params:scim:schemas:extension:coreweave:2.0:CoreWeaveUser:sunkPosixUserId eq 100001"#, ["ada@example.com"]),
        (#"meta.lastModified gt "2000-01-01T00:00:00Z""#, ["ada@example.com", "alan@corp.test", "grace@example.org"]),
        (#"meta.lastModified gt "2999-01-01T00:00:00Z""#, []),
        (#"urn:coreweave:params:scim:schemas:extension:coreweave:2.0:CoreWeaveUser:sunkPosixUsername eq "ada""#, ["ada@example.com"]),
        (#"urn:coreweave:params:scim:schemas:extension:coreweave:2.0:CoreWeaveUser:sunkPosixUsername eq "ADA""#, []),
        (#"urn:coreweave:params:scim:schemas:extension:coreweave:2.0:CoreWeaveUser:sunkPosixUserId ge 100000"#, ["ada@example.com"]),
        (#"userName ne "ada@example.com""#, ["alan@corp.test", "grace@example.org"]),
        (#"externalId ne "ExtA""#, ["alan@corp.test", "grace@example.org"]),
        (#"userName lt "b""#, ["ada@example.com", "alan@corp.test"]),
        (#"((userName sw "a"))"#, ["ada@example.com", "alan@corp.test"]),
        (#"emails[value ew ".net"] or externalId eq "ExtA""#, ["ada@example.com", "grace@example.org"]),
        (#"emails.type eq "HOME""#, ["grace@example.org"]),
        (#"(userName eq "ada@example.com" or userName eq "alan@corp.test") and not (active eq false)"#,
         ["ada@example.com", "alan@corp.test"]),
    ])
    func filter(_ filter: String, expected: [String]) async throws {
        try await withServer { server in
            try await Self.seed(server)
            let encoded = try #require(filter.addingPercentEncoding(withAllowedCharacters: .alphanumerics))
            let reply = try await server.get("/Users?filter=\(encoded)")
            #expect(reply.status == 200, "\(reply.text)")
            #expect(reply["schemas"] == .array([.string(listURN)]))
            let names = reply.resources.compactMap { $0["userName"]?.stringValue }.sorted()
            #expect(names == expected.sorted())
            #expect(reply["totalResults"] == .int(Int64(expected.count)))
            #expect(reply["itemsPerPage"] == .int(Int64(expected.count)))
            #expect(reply["startIndex"] == .int(1))
        }
    }

    @Test("an invalid filter is 400 invalidFilter", arguments: [
        #"userName eq"#, #"userName zz "x""#, #"(userName eq "a""#, #"nosuchattribute eq "x""#,
        #"active gt true"#, #"userName eq "unterminated"#, #"emails[type eq "work""#, #"and"#,
    ])
    func invalidFilter(_ filter: String) async throws {
        try await withServer { server in
            let encoded = try #require(filter.addingPercentEncoding(withAllowedCharacters: .alphanumerics))
            let reply = try await server.get("/Users?filter=\(encoded)")
            expectSCIMError(reply, status: 400, scimType: "invalidFilter")
        }
    }
}

@Suite("Users: pagination and projection")
struct UserListTests {
    @Test("25 users: startIndex/count pages cover each user exactly once, in a stable order")
    func pagination() async throws {
        try await withServer { server in
            var created: [String] = []
            for i in 1...25 {
                created.append(try await server.createUser(userBody(String(format: "page%02d@example.com", i))))
            }
            func walk(_ query: String) async throws -> [String] {
                var seen: [String] = []
                var start = 1
                while true {
                    let reply = try await server.get("/Users?startIndex=\(start)&count=10\(query)")
                    try #require(reply.status == 200)
                    #expect(reply["totalResults"] == .int(25))
                    #expect(reply["startIndex"] == .int(Int64(start)))
                    let items = reply.resources.compactMap(\.id)
                    #expect(reply["itemsPerPage"] == .int(Int64(items.count)))
                    if items.isEmpty { break }
                    #expect(items.count == (start == 21 ? 5 : 10))
                    seen += items
                    start += 10
                }
                return seen
            }
            let first = try await walk("")
            #expect(first.count == 25)
            #expect(Set(first).count == 25)
            #expect(Set(first) == Set(created))
            #expect(try await walk("") == first, "the order is stable")
            let filtered = try await walk("&filter=userName%20sw%20%22page%22")
            #expect(filtered == first)

            let zero = try await server.get("/Users?count=0")
            #expect(zero["totalResults"] == .int(25))
            #expect(zero["itemsPerPage"] == .int(0))
            #expect(zero.resources.isEmpty)
            let beyond = try await server.get("/Users?startIndex=100&count=10")
            #expect(beyond.status == 200)
            #expect(beyond.resources.isEmpty)
            #expect(beyond["totalResults"] == .int(25))
            let belowOne = try await server.get("/Users?startIndex=0&count=2")
            #expect(belowOne["startIndex"] == .int(1))
            #expect(belowOne.resources.compactMap(\.id) == Array(first.prefix(2)))
            let bad = try await server.get("/Users?count=ten")
            expectSCIMError(bad, status: 400)
        }
    }

    @Test("query parameter names are case-insensitive (startindex, COUNT)")
    func queryParameterCase() async throws {
        try await withServer { server in
            var ids: [String] = []
            for i in 0..<4 { ids.append(try await server.createUser(userBody("q\(i)@example.com"))) }
            let reply = try await server.get("/Users?startindex=2&COUNT=2")
            #expect(reply["startIndex"] == .int(2))
            #expect(reply.resources.compactMap(\.id) == Array(ids[1...2]))
        }
    }

    @Test("attributes= returns only the listed attributes (plus id, schemas)")
    func attributes() async throws {
        try await withServer { server in
            let id = try await server.createUser(Fixtures.oktaCreateUser)
            let list = try await server.get("/Users?attributes=userName")
            let user = try #require(list.resources.first?.objectValue)
            #expect(user["userName"] == .string("ada.lovelace@example.com"))
            #expect(user["id"] == .string(id))
            #expect(user["schemas"] != nil)
            #expect(user["emails"] == nil)
            #expect(user["name"] == nil)
            #expect(user[coreWeaveURN] == nil)

            let one = try await server.get("/Users/\(id)?attributes=name.givenName,\(coreWeaveURN):sunkPosixUserId")
            #expect(one.json?.at("name", "givenName") == .string("Ada"))
            #expect(one.json?.at("name", "familyName") == nil)
            #expect(one.ext == .object(["sunkPosixUserId": .int(100001)]))
            #expect(one["userName"] == nil)
        }
    }

    @Test("excludedAttributes= removes the listed attributes and keeps the rest")
    func excludedAttributes() async throws {
        try await withServer { server in
            let id = try await server.createUser(Fixtures.oktaCreateUser)
            let one = try await server.get("/Users/\(id)?excludedAttributes=emails,name,\(coreWeaveURN)")
            #expect(one.status == 200)
            #expect(one["emails"] == nil)
            #expect(one["name"] == nil)
            #expect(one.ext == nil)
            #expect(one["userName"] == .string("ada.lovelace@example.com"))
            #expect(one["id"] == .string(id))
            let list = try await server.get("/Users?excludedAttributes=id,displayName")
            #expect(list.resources.first?["id"] == .string(id), "id is returned always")
            #expect(list.resources.first?["displayName"] == nil)
        }
    }
}

@Suite("Users: PATCH forms")
struct UserPatchTests {
    static func adaWithEnterprise(_ server: TestServer) async throws -> String {
        try await server.createUser(Fixtures.oktaCreateUser)
    }

    @Test("Okta's pathless deactivate (fixture 04) sets active false and keeps the rest")
    func oktaDeactivate() async throws {
        try await withServer { server in
            let id = try await server.createUser(Fixtures.oktaCreateUser)
            let before = try await server.stableUser(id)
            let reply = try await server.patch("/Users/\(id)", Fixtures.oktaDeactivate)
            #expect(reply.status == 200)
            #expect(reply["active"] == .bool(false))
            #expect(reply["userName"] == before["userName"])
            #expect(reply.ext == before[coreWeaveURN])
        }
    }

    @Test("Entra fixture 01: PascalCase Replace with the string \"False\"")
    func entraDisable() async throws {
        try await withServer { server in
            let id = try await server.createUser(Fixtures.oktaCreateUser)
            let reply = try await server.patch("/Users/\(id)", Fixtures.entraDisable)
            #expect(reply.status == 200)
            #expect(reply["active"] == .bool(false))
            #expect(try await server.get("/Users/\(id)")["active"] == .bool(false))
        }
    }

    @Test("Entra fixture 02: filtered, dotted, enterprise and CoreWeave paths in one request")
    func entraMultiReplace() async throws {
        try await withServer { server in
            var body = try #require(Fixtures.oktaCreateUser.objectValue)
            body[coreWeaveURN] = json(#"{"sunkLoginShell": "/bin/zsh"}"#)
            let id = try await server.createUser(.object(body))
            let reply = try await server.patch("/Users/\(id)", Fixtures.entraMultiReplace)
            #expect(reply.status == 200, "\(reply.text)")
            let emails = reply["emails"]?.arrayValue ?? []
            #expect(emails.count == 1)
            #expect(emails.first?["value"] == .string("ada@example.org"))
            #expect(emails.first?["type"] == .string("work"))
            #expect(reply.json?.at("name", "familyName") == .string("King"))
            #expect(reply.json?.at("name", "givenName") == .string("Ada"))
            #expect(reply.json?.at(enterpriseURN, "employeeNumber") == .string("1815"))
            #expect(reply.ext?["sunkLoginShell"] == .string("/bin/bash"))
            #expect(reply["schemas"]?.arrayValue?.contains(.string(enterpriseURN)) == true)
            #expect(try await server.get("/Users/\(id)").json == reply.json)
        }
    }

    @Test("Entra fixture 03: pathless replace with dotted and URN-qualified keys")
    func entraPathlessDotted() async throws {
        try await withServer { server in
            let id = try await server.createUser(Fixtures.oktaCreateUser)
            _ = try await server.patch("/Users/\(id)", Fixtures.oktaDeactivate)
            let reply = try await server.patch("/Users/\(id)", Fixtures.entraPathlessDotted)
            #expect(reply.status == 200, "\(reply.text)")
            #expect(reply.json?.at("name", "givenName") == .string("Augusta"))
            #expect(reply.json?.at("name", "familyName") == .string("Lovelace"))
            #expect(reply.json?.at(enterpriseURN, "department") == .string("Research"))
            #expect(reply["active"] == .bool(true))
            #expect(reply["name.givenName"] == nil, "dotted keys are never stored literally")
        }
    }

    @Test("Entra fixture 05: a bare manager id is stored and returned as {\"value\": id}")
    func entraManager() async throws {
        try await withServer { server in
            let manager = try await server.createUser(userBody("boss@example.com"))
            let id = try await server.createUser(Fixtures.oktaCreateUser)
            let reply = try await server.patch("/Users/\(id)", Fixtures.entraManagerBare(manager: manager))
            #expect(reply.status == 200, "\(reply.text)")
            #expect(reply.json?.at(enterpriseURN, "manager") == .object(["value": .string(manager)]))
            #expect(try await server.get("/Users/\(id)").json?.at(enterpriseURN, "manager", "value") == .string(manager))
        }
    }

    @Test("extension-qualified add and remove on sunkSshKeys")
    func sshKeysByExtensionPath() async throws {
        try await withServer { server in
            let id = try await server.createUser(Fixtures.oktaCreateUser)
            let path = "\(coreWeaveURN):sunkSshKeys"
            let added = try await server.patch("/Users/\(id)", patchBody(
                #"{"op": "add", "path": "\#(path)", "value": [\#(quoted(adaWorkstationKey))]}"#))
            #expect(added.status == 200, "\(added.text)")
            #expect(added.ext?["sunkSshKeys"] == .array([.string(adaLaptopKey), .string(adaWorkstationKey)]))

            let removedOne = try await server.patch("/Users/\(id)", patchBody(
                #"{"op": "remove", "path": "\#(path)", "value": [\#(quoted(adaLaptopKey))]}"#))
            #expect(removedOne.status == 200, "\(removedOne.text)")
            #expect(removedOne.ext?["sunkSshKeys"] == .array([.string(adaWorkstationKey)]))

            let removedAll = try await server.patch("/Users/\(id)", patchBody(#"{"op": "Remove", "path": "\#(path)"}"#))
            #expect(removedAll.status == 200)
            #expect(removedAll.ext?["sunkSshKeys"] == nil)
            #expect(removedAll.ext?["sunkPosixUsername"] == .string("ada"), "the rest of the extension stays")
            let stored = try await server.database.users(org: try server.org()).first
            #expect(stored?.keys == [])
        }
    }

    @Test("remove of an attribute without a value, and an empty string, clear it")
    func removeWithoutValue() async throws {
        try await withServer { server in
            let id = try await server.createUser(Fixtures.oktaCreateUser)
            let removed = try await server.patch("/Users/\(id)", patchBody(#"{"op": "Remove", "path": "displayName"}"#))
            #expect(removed.status == 200)
            #expect(removed["displayName"] == nil)
            #expect(removed["locale"] == .string("en-US"))
            let cleared = try await server.patch("/Users/\(id)", patchBody(#"{"op": "Replace", "path": "locale", "value": ""}"#))
            #expect(cleared.status == 200)
            #expect(cleared["locale"] == nil)
            let emails = try await server.patch("/Users/\(id)", patchBody(#"{"op": "remove", "path": "emails[type eq \"work\"]"}"#))
            #expect(emails.status == 200)
            #expect(emails["emails"] == nil)
        }
    }

    @Test("malformed PATCH bodies are 400 with the right scimType", arguments: [
        (#"{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "jump", "path": "displayName"}]}"#, "invalidSyntax"),
        (#"{"Operations": [{"op": "replace", "path": "displayName", "value": "x"}]}"#, "invalidSyntax"),
        (#"{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "remove"}]}"#, "noTarget"),
        (#"{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "replace", "path": "nosuch", "value": "x"}]}"#, "invalidPath"),
        (#"{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "replace", "path": "id", "value": "x"}]}"#, "mutability"),
        (#"{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "add", "path": "groups", "value": [{"value": "g"}]}]}"#, "mutability"),
    ])
    func malformedPatch(_ body: String, scimType: String) async throws {
        try await withServer { server in
            let id = try await server.createUser(Fixtures.oktaCreateUser)
            let before = try await server.stableUser(id)
            let reply = try await server.patch("/Users/\(id)", json(body))
            expectSCIMError(reply, status: 400, scimType: scimType)
            #expect(try await server.stableUser(id) == before)
        }
    }

    @Test("pathless add appends to a multi-valued attribute; replacing userName onto a taken one is 409")
    func pathlessAddAndUserNameConflict() async throws {
        try await withServer { server in
            let id = try await server.createUser(Fixtures.oktaCreateUser)
            try await server.createUser(userBody("taken@example.com"))
            let added = try await server.patch("/Users/\(id)", patchBody(
                #"{"op": "add", "value": {"emails": [{"type": "home", "value": "ada@home.example"}], "nickName": "Ada"}}"#))
            #expect(added.status == 200)
            #expect((added["emails"]?.arrayValue ?? []).compactMap { $0["value"]?.stringValue }
                        == ["ada.lovelace@example.com", "ada@home.example"])
            #expect(added["nickName"] == .string("Ada"))
            let before = try await server.stableUser(id)
            let rename = try await server.patch("/Users/\(id)", patchBody(
                #"{"op": "replace", "path": "userName", "value": "TAKEN@example.com"}"#))
            expectSCIMError(rename, status: 409, scimType: "uniqueness", detailContains: ["userName"])
            #expect(try await server.stableUser(id) == before)
            let ok = try await server.patch("/Users/\(id)", patchBody(
                #"{"op": "replace", "path": "userName", "value": "countess@example.com"}"#))
            #expect(ok["userName"] == .string("countess@example.com"))
            let found = try await server.get("/Users?filter=userName%20eq%20%22Countess%40example.com%22")
            #expect(found.resources.compactMap(\.id) == [id])
        }
    }

    @Test("PATCH of an unknown user is 404")
    func patchUnknown() async throws {
        try await withServer { server in
            expectSCIMError(try await server.patch("/Users/nope", Fixtures.oktaDeactivate), status: 404)
        }
    }
}
