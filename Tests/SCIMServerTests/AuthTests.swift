import Foundation
import NIOHTTP1
import SCIMProtocol
import SunkModel
import SunkStore
import Testing

@Suite("Authentication and authorisation")
struct AuthTests {
    static func expectUnauthorized(_ reply: Reply, sourceLocation: SourceLocation = #_sourceLocation) {
        expectSCIMError(reply, status: 401, sourceLocation: sourceLocation)
        let challenge = reply.headers.first(name: "WWW-Authenticate") ?? ""
        #expect(challenge.lowercased().hasPrefix("bearer"), "WWW-Authenticate: \(challenge)",
                sourceLocation: sourceLocation)
    }

    @Test("a missing, malformed or wrong Authorization header is 401 with a Bearer challenge", arguments: [
        nil, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Token abc", "Bearer sbt_wrong-token",
    ] as [String?])
    func missingOrWrong(_ authorization: String?) async throws {
        try await withServer { server in
            let reply = try await server.rawAuth(.GET, "/Users", authorization: authorization)
            Self.expectUnauthorized(reply)
            let write = try await server.rawAuth(.POST, "/Users", authorization: authorization, body: userBody("x@example.com"))
            Self.expectUnauthorized(write)
            #expect(try await server.database.users(org: try server.org()).isEmpty)
        }
    }

    @Test("every endpoint asks for the token", arguments: [
        "/Users", "/Users/some-id", "/Groups", "/Groups/some-id", "/ServiceProviderConfig", "/ResourceTypes", "/Schemas",
    ])
    func everyEndpoint(_ path: String) async throws {
        try await withServer { server in
            Self.expectUnauthorized(try await server.rawAuth(.GET, path, authorization: nil))
        }
    }

    @Test("a revoked token is refused from the next request on")
    func revoked() async throws {
        try await withServer { server in
            let secret = try server.database.createToken(org: "default", name: "to-revoke", scope: .scim)
            #expect(try await server.get("/Users", token: secret).status == 200)
            try server.database.revokeToken(org: "default", name: "to-revoke")
            Self.expectUnauthorized(try await server.get("/Users", token: secret))
            Self.expectUnauthorized(try await server.post("/Users", userBody("r@example.com"), token: secret))
            #expect(try await server.get("/Users").status == 200, "other tokens still work")
        }
    }

    @Test("another org's token is 401, and an unknown org is 401 too")
    func otherOrg() async throws {
        try await withServer { server in
            _ = try server.database.createOrg("other")
            let otherSecret = try server.database.createToken(org: "other", name: "okta-other", scope: .scim)
            Self.expectUnauthorized(try await server.get("/Users", token: otherSecret))
            Self.expectUnauthorized(try await server.post("/Users", userBody("o@example.com"), token: otherSecret))
            // It works on its own org, which is separate.
            let own = try await server.request(.POST, server.baseURL + "/scim/other/Users", json: userBody("o@example.com"),
                                               token: otherSecret)
            #expect(own.status == 201)
            #expect(own.headers.first(name: "Location")?.contains("/scim/other/Users/") == true)
            #expect(try await server.allUsers().isEmpty, "the default org does not see the other org's user")
            // The default token does not reach the other org, nor a missing one.
            Self.expectUnauthorized(try await server.request(.GET, server.baseURL + "/scim/other/Users"))
            Self.expectUnauthorized(try await server.request(.GET, server.baseURL + "/scim/missing/Users"))
        }
    }

    @Test("orgs are separate tenants: ids, names, uids and members never cross")
    func tenantIsolation() async throws {
        try await withServer { server in
            _ = try server.database.createOrg("other")
            let otherToken = try server.database.createToken(org: "other", name: "okta-other", scope: .scim)
            let otherURL = server.baseURL + "/scim/other"
            let theirs = try await server.request(.POST, otherURL + "/Users", json: userBody("ada@example.com", uid: 100001),
                                                  token: otherToken)
            #expect(theirs.status == 201)
            let theirID = try #require(theirs.id)
            // The same userName and uid are free in the default org.
            let ours = try await server.createUser(userBody("ada@example.com", uid: 100001))
            #expect(ours != theirID)
            expectSCIMError(try await server.get("/Users/\(theirID)"), status: 404)
            expectSCIMError(try await server.patch("/Users/\(theirID)", Fixtures.oktaDeactivate), status: 404)
            expectSCIMError(try await server.put("/Users/\(theirID)", userBody("x@example.com")), status: 404)
            expectSCIMError(try await server.delete("/Users/\(theirID)"), status: 404)
            #expect(try await server.allUsers().compactMap(\.id) == [ours])
            let byID = try await server.get("/Users?filter=id%20eq%20%22\(theirID)%22")
            #expect(byID.resources.isEmpty)
            let group = try await server.createGroup("team")
            let cross = try await server.patch("/Groups/\(group)", patchBody(
                #"{"op": "add", "path": "members", "value": [{"value": \#(quoted(theirID))}]}"#))
            expectSCIMError(cross, status: 400, scimType: "invalidValue", detailContains: [theirID])
            let theirsAfter = try await server.request(.GET, otherURL + "/Users/\(theirID)", token: otherToken)
            #expect(theirsAfter["active"] == .bool(true))
            #expect(theirsAfter["groups"] == nil)
        }
    }

    @Test("a node-scope token reads only the node surface: the SCIM API's reads and discovery are 403, naming the scope")
    func nodeScopeReadsOnlyNodeEndpoints() async throws {
        try await withServer { server in
            let id = try await server.createUser(userBody("n@example.com", posixName: "nadia", uid: 100001))
            let group = try await server.createGroup("readers")
            let node = server.nodeToken
            let nodeName = try #require(try server.database.tokens(org: "default").first { $0.scope == .node }?.name)
            let scimReads = [
                "/Users", "/Users/\(id)", "/Users?filter=userName%20eq%20%22n%40example.com%22", "/Groups", "/Groups/\(group)",
                "/ServiceProviderConfig", "/ResourceTypes", "/ResourceTypes/User", "/Schemas",
                "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User",
            ]
            for path in scimReads {
                let refused = try await server.get(path, token: node)
                expectSCIMError(refused, status: 403, detailContains: [
                    "token \"\(nodeName)\" has scope node; this endpoint needs a scim-scope token",
                    "/scim/default/export/", "/scim/default/node/",
                ])
                #expect(!refused.text.contains("n@example.com"), "\(path) leaks nothing: \(refused.text)")
                // The IdP's scim-scope token is unaffected.
                #expect(try await server.get(path).status == 200, "\(path) with the scim token")
            }
            // What nodes need still answers to the node token.
            let users = try await server.get("/node/Users", token: node)
            #expect(users.status == 200, "\(users.text)")
            #expect(users.text.contains("nadia"))
            #expect(try await server.get("/node/Groups", token: node).status == 200)
            let snapshot = try await server.get("/export/v1/snapshot", token: node)
            #expect(snapshot.status == 200)
            #expect(snapshot.text.contains("\"nadia\""))
            // The scope is refused even while the SCIM API is off (the scope, not the switch, is the reason).
            _ = try server.database.updateOrg("default", scimAPI: false)
            expectSCIMError(try await server.get("/Users", token: node), status: 403, detailContains: ["has scope node"])
            #expect(try await server.get("/export/v1/snapshot", token: node).status == 200)
        }
    }

    @Test("a node-scope token's writes are 403 and audited")
    func nodeScope() async throws {
        try await withServer { server in
            let id = try await server.createUser(userBody("n@example.com"))
            let group = try await server.createGroup("readers")
            let node = server.nodeToken
            let writes: [(HTTPMethod, String, JSONValue?)] = [
                (.POST, "/Users", userBody("m@example.com")),
                (.PUT, "/Users/\(id)", userBody("n@example.com")),
                (.PATCH, "/Users/\(id)", Fixtures.oktaDeactivate),
                (.DELETE, "/Users/\(id)", nil),
                (.POST, "/Groups", Fixtures.oktaGroupCreate),
                (.PATCH, "/Groups/\(group)", Fixtures.oktaGroupReplaceEmpty),
                (.DELETE, "/Groups/\(group)", nil),
            ]
            for (method, path, body) in writes {
                let reply = try await server.request(method, path, json: body, token: node)
                expectSCIMError(reply, status: 403, detailContains: ["has scope node; this endpoint needs a scim-scope token"])
            }
            #expect(try await server.database.users(org: try server.org()).count == 1)
            #expect(try await server.get("/Users/\(id)")["active"] == .bool(true))
            // The refused writes are audited under the node token's name.
            let nodeName = try #require(try server.database.tokens(org: "default").first { $0.scope == .node }?.name)
            let refused = try server.database.auditEntries(org: "default", since: nil).filter { $0.actor == nodeName }
            #expect(refused.count == writes.count)
            #expect(refused.allSatisfy { $0.outcome.hasPrefix("403") })
            #expect(refused.contains { $0.method == "DELETE" && $0.resource == "Users/\(id)" })
            #expect(try await server.get("/Groups/\(group)").status == 200)
        }
    }

    @Test("turning the SCIM API off answers 403 at once, and on again restores it")
    func scimAPIOff() async throws {
        try await withServer { server in
            #expect(try await server.get("/Users").status == 200)
            _ = try server.database.updateOrg("default", scimAPI: false)
            expectSCIMError(try await server.get("/Users"), status: 403)
            expectSCIMError(try await server.post("/Users", userBody("off@example.com")), status: 403)
            expectSCIMError(try await server.get("/ServiceProviderConfig"), status: 403)
            #expect(try server.database.auditEntries(org: "default", since: nil).contains {
                $0.method == "POST" && $0.resource == "Users" && $0.outcome.hasPrefix("403")
            })
            #expect(try await server.database.users(org: try server.org()).isEmpty)
            _ = try server.database.updateOrg("default", scimAPI: true)
            #expect(try await server.post("/Users", userBody("on@example.com")).status == 201)
        }
    }

    @Test("the scheme name is case-insensitive", arguments: ["bearer", "BEARER", "Bearer", "bEaReR"])
    func schemeCase(_ scheme: String) async throws {
        try await withServer { server in
            let reply = try await server.rawAuth(.GET, "/Users", authorization: "\(scheme) \(server.token)")
            #expect(reply.status == 200)
        }
    }

    @Test("a body over the limit is 413 with a SCIM error, and nothing is stored")
    func bodyTooLarge() async throws {
        try await withServer(maxBodyBytes: 4096) { server in
            var body = try #require(userBody("big@example.com").objectValue)
            body["displayName"] = .string(String(repeating: "x", count: 8000))
            let reply = try await server.post("/Users", .object(body))
            expectSCIMError(reply, status: 413)
            #expect(try await server.database.users(org: try server.org()).isEmpty)
            let small = try await server.post("/Users", userBody("small@example.com"))
            #expect(small.status == 201)
        }
    }

    @Test("the default limit is 1 MiB")
    func defaultLimit() async throws {
        try await withServer { server in
            var body = try #require(userBody("big@example.com").objectValue)
            body["displayName"] = .string(String(repeating: "x", count: (1 << 20) + 10))
            expectSCIMError(try await server.post("/Users", .object(body)), status: 413)
        }
    }

    @Test("a non-JSON content type is 415", arguments: ["text/plain", "application/x-www-form-urlencoded", "application/xml"])
    func unsupportedMediaType(_ type: String) async throws {
        try await withServer { server in
            let reply = try await server.request(.POST, "/Users", json: userBody("ct@example.com"),
                                                 headers: [("Content-Type", type)])
            expectSCIMError(reply, status: 415)
            #expect(try await server.database.users(org: try server.org()).isEmpty)
        }
    }

    @Test("application/json is accepted as well as application/scim+json")
    func plainJSON() async throws {
        try await withServer { server in
            let reply = try await server.request(.POST, "/Users", json: userBody("pj@example.com"),
                                                 headers: [("Content-Type", "application/json; charset=utf-8")])
            #expect(reply.status == 201)
            #expect(reply.isSCIMJSON, "the answer is always application/scim+json")
        }
    }

    @Test("malformed JSON is 400 invalidSyntax", arguments: [
        "{", "{\"userName\": }", "[1, 2]", "not json", "{\"userName\": \"a\",}", "\"just a string\"", "",
    ])
    func malformedJSON(_ text: String) async throws {
        try await withServer { server in
            let reply = try await server.request(.POST, "/Users", body: Array(text.utf8),
                                                 headers: [("Content-Type", "application/scim+json")])
            expectSCIMError(reply, status: 400, scimType: "invalidSyntax")
            let patch = try await server.request(.PATCH, "/Users/x", body: Array(text.utf8),
                                                 headers: [("Content-Type", "application/scim+json")])
            #expect(patch.status == 400 || patch.status == 404)
            #expect(try await server.database.users(org: try server.org()).isEmpty)
        }
    }

    @Test("deeply nested JSON is refused with 400, not a crash")
    func deepNesting() async throws {
        try await withServer { server in
            let text = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
            let reply = try await server.request(.POST, "/Users", body: Array(text.utf8))
            expectSCIMError(reply, status: 400, scimType: "invalidSyntax")
        }
    }

    @Test("a userName with control characters is 400 invalidValue", arguments: ["ada\n@example.com", "ada\u{0}@x", "ada\u{7f}"])
    func controlUserName(_ userName: String) async throws {
        try await withServer { server in
            let body = JSONValue.object(["userName": .string(userName), "active": .bool(true)])
            expectSCIMError(try await server.post("/Users", body), status: 400, scimType: "invalidValue",
                            detailContains: ["userName"])
            #expect(try await server.allUsers().isEmpty)
        }
    }

    @Test("a missing userName is 400 invalidValue")
    func missingUserName() async throws {
        try await withServer { server in
            let reply = try await server.post("/Users", json(#"{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "active": true}"#))
            expectSCIMError(reply, status: 400, scimType: "invalidValue", detailContains: ["userName"])
        }
    }
}
