import SCIMProtocol
import Testing

@Suite("Discovery endpoints")
struct DiscoveryTests {
    @Test("/ServiceProviderConfig carries every required field, truthfully")
    func serviceProviderConfig() async throws {
        try await withServer { server in
            let reply = try await server.get("/ServiceProviderConfig")
            #expect(reply.status == 200)
            #expect(reply.isSCIMJSON)
            let config = try #require(reply.json)
            #expect(config["schemas"] == .array([.string("urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig")]))
            #expect(config.at("patch", "supported") == .bool(true))
            #expect(config.at("bulk", "supported") == .bool(false))
            #expect(config.at("bulk", "maxOperations")?.int64Value != nil)
            #expect(config.at("bulk", "maxPayloadSize")?.int64Value != nil)
            #expect(config.at("filter", "supported") == .bool(true))
            let maxResults = try #require(config.at("filter", "maxResults")?.int64Value)
            #expect(maxResults > 0)
            #expect(config.at("changePassword", "supported") == .bool(false))
            #expect(config.at("sort", "supported") == .bool(false))
            #expect(config.at("etag", "supported") == .bool(true))
            let schemes = try #require(config["authenticationSchemes"]?.arrayValue)
            #expect(!schemes.isEmpty)
            for scheme in schemes {
                #expect(scheme["type"]?.stringValue?.isEmpty == false)
                #expect(scheme["name"]?.stringValue?.isEmpty == false)
                #expect(scheme["description"]?.stringValue?.isEmpty == false)
            }
            #expect(schemes.contains { $0["type"] == .string("oauthbearertoken") })
        }
    }

    @Test("the advertised maxResults is the cap applied to count")
    func maxResultsIsTheCap() async throws {
        try await withServer(maxResults: 3) { server in
            let config = try await server.get("/ServiceProviderConfig")
            #expect(config.json?.at("filter", "maxResults") == .int(3))
            for i in 0..<5 { try await server.createUser(userBody("cap\(i)@example.com")) }
            let reply = try await server.get("/Users?count=10")
            #expect(reply.status == 200)
            #expect(reply["totalResults"] == .int(5))
            #expect(reply["itemsPerPage"] == .int(3))
            #expect(reply.resources.count == 3)
            let unbounded = try await server.get("/Users")
            #expect(unbounded.resources.count == 3)
        }
    }

    @Test("/ResourceTypes lists User and Group; /ResourceTypes/User names both extensions")
    func resourceTypes() async throws {
        try await withServer { server in
            let list = try await server.get("/ResourceTypes")
            #expect(list.status == 200)
            #expect(list.isSCIMJSON)
            #expect(list["schemas"] == .array([.string(listURN)]))
            #expect(list["totalResults"] == .int(2))
            let names = Set(list.resources.compactMap { $0["name"]?.stringValue })
            #expect(names == ["User", "Group"])

            let user = try await server.get("/ResourceTypes/User")
            #expect(user.status == 200)
            #expect(user.isSCIMJSON)
            #expect(user["endpoint"] == .string("/Users"))
            #expect(user["schema"] == .string("urn:ietf:params:scim:schemas:core:2.0:User"))
            let extensions = (user["schemaExtensions"]?.arrayValue ?? []).compactMap { $0["schema"]?.stringValue }
            #expect(Set(extensions) == [enterpriseURN, coreWeaveURN])
            #expect(user.json?.at("meta", "location")?.stringValue?.hasSuffix("/scim/default/ResourceTypes/User") == true)

            let group = try await server.get("/ResourceTypes/Group")
            #expect(group.status == 200)
            #expect(group["endpoint"] == .string("/Groups"))

            let missing = try await server.get("/ResourceTypes/Printer")
            expectSCIMError(missing, status: 404)
        }
    }

    @Test("/Schemas lists the four schemas")
    func schemas() async throws {
        try await withServer { server in
            let reply = try await server.get("/Schemas")
            #expect(reply.status == 200)
            #expect(reply.isSCIMJSON)
            #expect(reply["totalResults"] == .int(4))
            #expect(reply["itemsPerPage"] == .int(4))
            let ids = Set(reply.resources.compactMap { $0["id"]?.stringValue })
            #expect(ids == ["urn:ietf:params:scim:schemas:core:2.0:User",
                            "urn:ietf:params:scim:schemas:core:2.0:Group", enterpriseURN, coreWeaveURN])
            for schema in reply.resources {
                #expect(schema["attributes"]?.arrayValue?.isEmpty == false)
            }
        }
    }

    @Test("/Schemas/{urn} of the CoreWeave extension defines its six attributes with the right types")
    func coreWeaveSchema() async throws {
        try await withServer { server in
            let reply = try await server.get("/Schemas/\(coreWeaveURN)")
            #expect(reply.status == 200)
            #expect(reply.isSCIMJSON)
            #expect(reply["id"] == .string(coreWeaveURN))
            let attributes = try #require(reply["attributes"]?.arrayValue)
            var byName: [String: JSONValue] = [:]
            for attribute in attributes { byName[attribute["name"]?.stringValue ?? ""] = attribute }
            #expect(Set(byName.keys) == ["sunkSshKeys", "sunkPosixUsername", "sunkPosixUserId", "sunkPosixGroupId",
                                        "sunkPreferredHomeDirectory", "sunkLoginShell"])
            #expect(byName["sunkSshKeys"]?["type"] == .string("string"))
            #expect(byName["sunkSshKeys"]?["multiValued"] == .bool(true))
            #expect(byName["sunkPosixUserId"]?["type"] == .string("integer"))
            #expect(byName["sunkPosixUserId"]?["multiValued"] == .bool(false))
            #expect(byName["sunkPosixGroupId"]?["type"] == .string("integer"))
            for name in ["sunkPosixUsername", "sunkPreferredHomeDirectory", "sunkLoginShell"] {
                #expect(byName[name]?["type"] == .string("string"), "\(name)")
                #expect(byName[name]?["multiValued"] == .bool(false), "\(name)")
            }
            for attribute in attributes {
                #expect(attribute["mutability"]?.stringValue != nil)
                #expect(attribute["returned"]?.stringValue != nil)
                #expect(attribute["required"]?.boolValue != nil)
                #expect(attribute["description"]?.stringValue?.isEmpty == false)
            }
        }
    }

    @Test("/Schemas/{urn} of the core User defines userName and a write-only password")
    func coreUserSchema() async throws {
        try await withServer { server in
            let reply = try await server.get("/Schemas/urn:ietf:params:scim:schemas:core:2.0:User")
            #expect(reply.status == 200)
            let attributes = reply["attributes"]?.arrayValue ?? []
            let userName = attributes.first { $0["name"] == .string("userName") }
            #expect(userName?["required"] == .bool(true))
            #expect(userName?["caseExact"] == .bool(false))
            let password = attributes.first { $0["name"] == .string("password") }
            #expect(password?["returned"] == .string("never"))
            #expect(password?["mutability"] == .string("writeOnly"))
            let unknown = try await server.get("/Schemas/urn:example:nothing")
            expectSCIMError(unknown, status: 404)
        }
    }

    @Test("unknown endpoints and methods answer a SCIM error in application/scim+json", arguments: [
        "/Printers", "/Users/a/b/c", "/Bulk", "/Me",
    ])
    func unknownEndpoint(path: String) async throws {
        try await withServer { server in
            let reply = try await server.get(path)
            expectSCIMError(reply, status: 404)
        }
    }

    @Test("a method the endpoint does not support is a SCIM error")
    func unsupportedMethod() async throws {
        try await withServer { server in
            let reply = try await server.request(.DELETE, "/ServiceProviderConfig")
            #expect([404, 405].contains(reply.status))
            expectSCIMError(reply, status: reply.status)
            let outside = try await server.request(.GET, "//nothing-here")
            expectSCIMError(outside, status: 404)
        }
    }

    @Test("discovery needs a scim-scope token: a node-scope token gets 403", arguments: [
        "/Schemas", "/ServiceProviderConfig", "/ResourceTypes", "/ResourceTypes/Group",
        "/Schemas/urn:coreweave:params:scim:schemas:extension:coreweave:2.0:CoreWeaveUser",
    ])
    func discoveryNeedsSCIMScope(_ path: String) async throws {
        try await withServer { server in
            expectSCIMError(try await server.get(path, token: server.nodeToken), status: 403,
                            detailContains: ["has scope node; this endpoint needs a scim-scope token"])
            #expect(try await server.get(path).status == 200)
        }
    }
}
