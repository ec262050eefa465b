import Foundation
import SCIMProtocol
import SunkStore
import Testing

@Suite("IdP replays")
struct ReplayTests {
    @Test("Okta: existence check, create, read, profile push (PUT), deactivate, still readable, reactivate")
    func oktaUserSession() async throws {
        try await withServer { server in
            let answers = try await OktaReplay.run({ method, path, body, headers in
                try await server.request(method, path, json: body, headers: headers)
            }, deactivated: {
                let stored = try #require(try await server.database.users(org: try server.org()).first)
                #expect(stored.active == false)
                #expect(stored.uid == 100001)
            })
            #expect(answers.count == 15, "every step of the sequence answered")
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
