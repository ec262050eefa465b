import Foundation
import SCIMProtocol
import SunkStore
import Testing

@Suite("IdP replays")
struct ReplayTests {
    @Test("Okta: existence check, create, read, profile push (PUT), deactivate, still readable, reactivate")
    func oktaUserSession() async throws {
        try await withServer { server in
            let existence = "/Users?filter=userName%20eq%20%22ada.lovelace%40example.com%22&startIndex=1&count=100"
            // 1. Existence check before create: an empty ListResponse with JSON integers.
            let absent = try await server.request(.GET, existence, headers: [("Accept", "application/scim+json"),
                                                                          ("User-Agent", "Okta SCIM Client 1.0.0")])
            #expect(absent.status == 200)
            #expect(absent.json == ListResponse.json(resources: [], totalResults: 0, startIndex: 1, itemsPerPage: 0))

            // 2. Create.
            let created = try await server.post("/Users", Fixtures.oktaCreateUser)
            #expect(created.status == 201)
            let id = try #require(created.id)
            #expect(created.headers.first(name: "Location") == created.json?.at("meta", "location")?.stringValue)

            // 3. The existence check now finds it (case-insensitively too).
            let present = try await server.get(existence)
            #expect(present["totalResults"] == .int(1))
            #expect(present.resources.first?["id"] == .string(id))
            let upper = try await server.get("/Users?filter=userName%20eq%20%22ADA.LOVELACE%40EXAMPLE.COM%22")
            #expect(upper.resources.first?["id"] == .string(id))

            // 4. A duplicate create is 409 uniqueness.
            expectSCIMError(try await server.post("/Users", Fixtures.oktaCreateUser), status: 409, scimType: "uniqueness")

            // 5. Profile push: GET then PUT of fixture 03 with the real id.
            #expect(try await server.get("/Users/\(id)").status == 200)
            let put = try await server.put("/Users/\(id)", Fixtures.oktaPutUser(id: id))
            #expect(put.status == 200, "\(put.text)")
            #expect(put.ext?["sunkLoginShell"] == .string("/bin/zsh"))
            #expect(put.ext?["sunkSshKeys"] == .array([.string(adaWorkstationKey)]))
            #expect(put.ext?["sunkPosixUserId"] == .int(100001))
            #expect(put.json?.at("meta", "created") == created.json?.at("meta", "created"))

            // 5b. Okta also PUTs back exactly what it read (id, meta and schemas included).
            var readBack = try #require(try await server.get("/Users/\(id)").json?.objectValue)
            readBack["displayName"] = .string("Ada King")
            let putBack = try await server.put("/Users/\(id)", .object(readBack))
            #expect(putBack.status == 200, "\(putBack.text)")
            #expect(putBack["displayName"] == .string("Ada King"))

            // 6. Deactivate (fixture 04).
            let deactivated = try await server.patch("/Users/\(id)", Fixtures.oktaDeactivate)
            #expect(deactivated.status == 200)
            #expect(deactivated["active"] == .bool(false))

            // 7. Okta never deletes: the user stays readable and filterable.
            let read = try await server.get("/Users/\(id)")
            #expect(read.status == 200)
            #expect(read["active"] == .bool(false))
            #expect(try await server.get(existence).resources.first?["active"] == .bool(false))
            let inactive = try await server.get("/Users?filter=active%20eq%20false")
            #expect(inactive.resources.compactMap(\.id) == [id])
            let stored = try #require(try await server.database.users(org: try server.org()).first)
            #expect(stored.active == false)
            #expect(stored.uid == 100001)

            // 8. Reactivate.
            let reactivated = try await server.patch("/Users/\(id)", Fixtures.oktaReactivate)
            #expect(reactivated.status == 200)
            #expect(reactivated["active"] == .bool(true))
            #expect(try await server.get("/Users?filter=active%20eq%20false").resources.isEmpty)
            #expect(reactivated.ext?["sunkSshKeys"] == .array([.string(adaWorkstationKey)]))
        }
    }

    @Test("Entra: create, lookup by externalId, the PATCH forms of its fixtures, disable")
    func entraUserSession() async throws {
        try await withServer { server in
            let manager = try await server.createUser(userBody("boss@example.com", posixName: "boss"))
            let created = try await server.request(.POST, "/Users", json: json("""
                {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "\(enterpriseURN)"],
                 "externalId": "7f1c-entra-object-id", "userName": "ada@example.com", "active": "True",
                 "displayName": "Ada Lovelace",
                 "emails": [{"primary": true, "type": "work", "value": "ada@example.com"}],
                 "name": {"formatted": "Ada Lovelace", "familyName": "Lovelace", "givenName": "Ada"},
                 "\(enterpriseURN)": {"department": "Math"},
                 "\(coreWeaveURN)": {"sunkLoginShell": "/bin/zsh"}}
                """), headers: [("Content-Type", "application/scim+json")])
            #expect(created.status == 201, "\(created.text)")
            #expect(created["active"] == .bool(true))
            let id = try #require(created.id)

            let lookup = try await server.get("/Users?filter=externalId%20eq%20%227f1c-entra-object-id%22")
            #expect(lookup.resources.compactMap(\.id) == [id])

            let multi = try await server.patch("/Users/\(id)", Fixtures.entraMultiReplace)
            #expect(multi.status == 200, "\(multi.text)")
            #expect(multi.ext?["sunkLoginShell"] == .string("/bin/bash"))
            #expect(multi.json?.at(enterpriseURN, "employeeNumber") == .string("1815"))
            #expect(multi.json?.at(enterpriseURN, "department") == .string("Math"))

            let dotted = try await server.patch("/Users/\(id)", Fixtures.entraPathlessDotted)
            #expect(dotted.status == 200)
            #expect(dotted.json?.at("name", "givenName") == .string("Augusta"))
            #expect(dotted.json?.at(enterpriseURN, "department") == .string("Research"))

            let boss = try await server.patch("/Users/\(id)", Fixtures.entraManagerBare(manager: manager))
            #expect(boss.json?.at(enterpriseURN, "manager") == .object(["value": .string(manager)]))

            // Entra clears an attribute with an empty string and removes one without a value.
            let clear = try await server.patch("/Users/\(id)", patchBody(
                #"{"op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": ""}"#,
                #"{"op": "Remove", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"}"#))
            #expect(clear.status == 200)
            #expect(clear.json?.at(enterpriseURN, "department") == nil)
            #expect(clear.json?.at(enterpriseURN, "manager") == nil)
            #expect(clear.json?.at(enterpriseURN, "employeeNumber") == .string("1815"))

            let disabled = try await server.patch("/Users/\(id)", Fixtures.entraDisable)
            #expect(disabled["active"] == .bool(false))
            let final = try await server.get("/Users/\(id)")
            #expect(final["active"] == .bool(false))
            #expect(final.json?.at("emails") == .array([json(#"{"primary": true, "type": "work", "value": "ada@example.org"}"#)]))
            #expect(final.json?.at("name", "familyName") == .string("King"))
        }
    }
}
