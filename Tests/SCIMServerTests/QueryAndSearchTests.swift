import AsyncHTTPClient
import Foundation
import NIOHTTP1
import SCIMProtocol
@testable import SCIMServer
import Testing

/// Issue 10, the SCIM edge: query strings as Entra encodes them, `POST …/.search`, and 405 on
/// the read-only discovery endpoints.
@Suite("Query encoding, .search and 405")
struct QueryAndSearchTests {
    @Test("Entra's form-encoded existence check: + is a space (the exact request from the issue)")
    func entraPlusEncodedFilter() async throws {
        try await withServer { server in
            let ada = try await server.createUser(userBody("ada@example.com"))
            let group = try await server.createGroup("EDU All personal", members: [ada])
            let reply = try await server.get("/Groups?excludedAttributes=members&filter=displayName+eq+%22EDU+All+personal%22")
            #expect(reply.status == 200, "\(reply.text)")
            #expect(reply.isSCIMJSON)
            #expect(reply["totalResults"] == .int(1))
            let found = try #require(reply.resources.first)
            #expect(found.id == group)
            #expect(found["displayName"] == .string("EDU All personal"))
            #expect(found["members"] == nil, "excludedAttributes=members must hold")

            // The same query with Okta's %20 encoding finds the same group, with its members.
            let okta = try await server.get("/Groups?filter=displayName%20eq%20%22EDU%20All%20personal%22")
            #expect(okta.resources.map(\.id) == [group])
            #expect(okta.resources.first?["members"]?.arrayValue?.count == 1)

            // Entra's user existence check, with the case-insensitive operator and attribute.
            let user = try await server.get("/Users?filter=userName+EQ+%22ADA%40example.com%22&startIndex=1&count=100")
            #expect(user.resources.map(\.id) == [ada])
        }
    }

    @Test("%2B is a plus, + is a space, in every query parameter")
    func plusAndEncodedPlus() async throws {
        try await withServer { server in
            let plus = try await server.createUser(userBody("a+b@example.com"))
            let byEncodedPlus = try await server.get("/Users?filter=userName+eq+%22a%2Bb%40example.com%22")
            #expect(byEncodedPlus.resources.map(\.id) == [plus])
            let bySpace = try await server.get("/Users?filter=userName+eq+%22a+b%40example.com%22")
            #expect(bySpace.status == 200)
            #expect(bySpace["totalResults"] == .int(0))

            // attributes, excludedAttributes, startIndex and count are decoded the same way.
            let projected = try await server.get("/Users?attributes=userName,+name.givenName&count=1&startIndex=1")
            #expect(projected.status == 200, "\(projected.text)")
            let only = try #require(projected.resources.first)
            #expect(only["userName"] == .string("a+b@example.com"))
            #expect(only.at("name", "givenName") == .string("Test"))
            #expect(only.at("name", "familyName") == nil)
            #expect(only["active"] == nil)
            let excluded = try await server.get("/Users/\(plus)?excludedAttributes=name,+active")
            #expect(excluded["name"] == nil)
            #expect(excluded["active"] == nil)
            #expect(excluded["userName"] == .string("a+b@example.com"))
            // Parameter names are decoded too, and match case-insensitively.
            let named = try await server.get("/Users?%66ilter=userName+eq+%22a%2Bb%40example.com%22&COUNT=5")
            #expect(named.resources.map(\.id) == [plus])
        }
    }

    @Test("form decoding: + is a space, %XX a byte, the bytes must be UTF-8")
    func formDecoding() throws {
        #expect(QueryParameters.decode("displayName+eq+%22EDU+All+personal%22") == #"displayName eq "EDU All personal""#)
        #expect(QueryParameters.decode("a%2Bb+c") == "a+b c")
        #expect(QueryParameters.decode("%E2%82%ac") == "€")
        #expect(QueryParameters.decode("100%") == nil)
        #expect(QueryParameters.decode("%zz") == nil)
        #expect(QueryParameters.decode("%2") == nil)
        #expect(QueryParameters.decode("%FF") == nil)
        let query = QueryParameters(raw: "Filter=a+b&count&%63ount2=3&x=%zz&&=v")
        #expect(try query.value("filter") == "a b")
        #expect(try query.value("COUNT") == "")
        #expect(try query.value("count2") == "3")
        #expect(try query.value("missing") == nil)
        #expect(throws: SCIMError.self) { try query.value("x") }
        #expect(throws: SCIMError.invalidFilter("the query parameter 'filter' is given 2 times; give it once")) {
            try QueryParameters(raw: "filter=a&FILTER=b").value("filter")
        }
    }

    @Test("malformed or repeated query parameters are 400 with the parameter named")
    func malformedQueries() async throws {
        try await withServer { server in
            expectSCIMError(try await server.get("/Users?filter=userName+eq+%22%FF%FE%22"), status: 400,
                            scimType: "invalidFilter", detailContains: ["UTF-8"])
            expectSCIMError(try await server.get("/Users?count=1&count=2"), status: 400, scimType: "invalidValue",
                            detailContains: ["count", "2 times"])
            expectSCIMError(try await server.get("/Users?filter=userName+eq+%22a%22&FILTER=id+pr"), status: 400,
                            scimType: "invalidFilter")
            expectSCIMError(try await server.get("/Users?attributes=%E0%80"), status: 400, scimType: "invalidValue",
                            detailContains: ["attributes"])
            expectSCIMError(try await server.get("/Users?filter=displayName+eq"), status: 400, scimType: "invalidFilter")
        }
    }

    @Test("POST /Users/.search and /Groups/.search answer as the equivalent GET")
    func typedSearch() async throws {
        try await withServer(maxResults: 5) { server in
            var ids: [String] = []
            for i in 0..<7 { ids.append(try await server.createUser(userBody("search\(i)@example.com"))) }
            let group = try await server.createGroup("Searchers", members: Array(ids.prefix(3)))

            let found = try await server.post("/Users/.search", json("""
                {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
                 "filter": "userName sw \\"search\\"", "attributes": ["userName"], "startIndex": 2, "count": 2}
                """))
            #expect(found.status == 200, "\(found.text)")
            #expect(found.isSCIMJSON)
            #expect(found["schemas"] == .array([.string(listURN)]))
            #expect(found["totalResults"] == .int(7))
            #expect(found["startIndex"] == .int(2))
            #expect(found["itemsPerPage"] == .int(2))
            #expect(found.resources.map(\.id) == Array(ids[1..<3]))
            #expect(found.resources.allSatisfy { $0["name"] == nil && $0["userName"] != nil })
            let get = try await server.get("/Users?filter=userName+sw+%22search%22&attributes=userName&startIndex=2&count=2")
            #expect(get.json == found.json)

            // count is capped at maxResults, as on GET; no filter lists everything.
            let capped = try await server.post("/Users/.search", json("""
                {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "count": 100}
                """))
            #expect(capped["totalResults"] == .int(7))
            #expect(capped.resources.count == 5)

            let groups = try await server.post("/Groups/.search", json("""
                {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
                 "filter": "displayName eq \\"searchers\\"", "excludedAttributes": "members"}
                """))
            #expect(groups.resources.map(\.id) == [group])
            #expect(groups.resources.first?["members"] == nil)
            let byMember = try await server.post("/Groups/.search", json("""
                {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
                 "filter": "members[value eq \\"\(ids[0])\\"]", "attributes": ["displayName"]}
                """))
            #expect(byMember.resources.map(\.id) == [group])
        }
    }

    @Test("POST /scim/ORG/.search spans Users then Groups, pages across both")
    func rootSearch() async throws {
        try await withServer { server in
            let ada = try await server.createUser(json("""
                {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "ada@example.com",
                 "displayName": "Research"}
                """))
            let group = try await server.createGroup("Research", members: [ada])
            let both = try await server.post("/.search", json("""
                {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": "displayName eq \\"research\\""}
                """))
            #expect(both.status == 200, "\(both.text)")
            #expect(both["totalResults"] == .int(2))
            #expect(both.resources.map(\.id) == [ada, group])
            #expect(both.resources.compactMap { $0.at("meta", "resourceType")?.stringValue } == ["User", "Group"])

            let second = try await server.post("/.search", json("""
                {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": "displayName eq \\"research\\"",
                 "startIndex": 2, "count": 1}
                """))
            #expect(second["totalResults"] == .int(2))
            #expect(second.resources.map(\.id) == [group])

            // A filter only Users understand searches only Users.
            let users = try await server.post("/.search", json("""
                {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": "userName eq \\"ADA@example.com\\""}
                """))
            #expect(users.resources.map(\.id) == [ada])
            let neither = try await server.post("/.search", json("""
                {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": "printer eq \\"x\\""}
                """))
            expectSCIMError(neither, status: 400, scimType: "invalidFilter")
        }
    }

    @Test("a .search body is checked like a GET query; auth and limits are the same")
    func searchRefusals() async throws {
        try await withServer(maxBodyBytes: 4096) { server in
            for path in ["/Users/.search", "/Groups/.search", "/.search"] {
                expectSCIMError(try await server.post(path, json(#"{"filter": "id pr"}"#)), status: 400,
                                scimType: "invalidSyntax", detailContains: ["SearchRequest"])
                expectSCIMError(try await server.post(path, json("""
                    {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "count": "ten"}
                    """)), status: 400, scimType: "invalidValue", detailContains: ["count"])
                expectSCIMError(try await server.post(path, json("""
                    {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "attributes": [1]}
                    """)), status: 400, scimType: "invalidValue", detailContains: ["attributes"])
                expectSCIMError(try await server.post(path, json("""
                    {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": "userName eq"}
                    """)), status: 400, scimType: "invalidFilter")
                expectSCIMError(try await server.request(.POST, path, body: Array("[]".utf8)), status: 400,
                                scimType: "invalidSyntax")
                expectSCIMError(try await server.request(.POST, path, body: Array(repeating: UInt8(ascii: " "), count: 5000)),
                                status: 413)
                expectSCIMError(try await server.request(.POST, path, body: Array("{}".utf8),
                                                         headers: [("Content-Type", "text/plain")]), status: 415)
                let search = json(#"{"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]}"#)
                expectSCIMError(try await server.post(path, search, token: server.nodeToken), status: 403)
                expectSCIMError(try await server.rawAuth(.POST, path, authorization: nil, body: search), status: 401)
                let get = try await server.get(path)
                expectSCIMError(get, status: 405)
                #expect(get.headers.first(name: "Allow") == "POST")
            }
        }
    }

    @Test("POST/PUT/PATCH/DELETE on the read-only discovery endpoints are 405 with Allow: GET",
          arguments: ["/ServiceProviderConfig", "/ResourceTypes", "/ResourceTypes/User", "/Schemas",
                      "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User"])
    func discoveryIsReadOnly(path: String) async throws {
        try await withServer { server in
            for method: HTTPMethod in [.POST, .PUT, .PATCH, .DELETE] {
                let reply = try await server.request(method, path, json: json("{}"))
                expectSCIMError(reply, status: 405, detailContains: [method.rawValue, "GET"])
                #expect(reply.headers.first(name: "Allow") == "GET", "\(method) \(path)")
                // Authentication comes first, as for GET.
                expectSCIMError(try await server.rawAuth(method, path, authorization: nil, body: json("{}")), status: 401)
            }
            #expect(try await server.get(path).status == 200)
        }
    }

    @Test("methods a resource endpoint does not serve are 405 with the methods it does")
    func resourceMethods() async throws {
        try await withServer { server in
            let id = try await server.createUser(userBody("grace@example.com"))
            let collection = try await server.request(.PUT, "/Users", json: userBody("x@example.com"))
            expectSCIMError(collection, status: 405)
            #expect(collection.headers.first(name: "Allow") == "GET, POST")
            let deleteAll = try await server.request(.DELETE, "/Groups")
            expectSCIMError(deleteAll, status: 405)
            let member = try await server.request(.POST, "/Users/\(id)", json: userBody("x@example.com"))
            expectSCIMError(member, status: 405)
            #expect(member.headers.first(name: "Allow") == "GET, PUT, PATCH, DELETE")
            #expect(try await server.allUsers().count == 1)
        }
    }
}
