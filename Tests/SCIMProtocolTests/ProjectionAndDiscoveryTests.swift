import Testing
@testable import SCIMProtocol

@Suite struct ProjectionTests {
    func paths(_ t: String) throws -> [AttributePath] { try AttributePath.parseList(t) }
    let rendered = with(adaStored, ["password": .string("secret")])

    @Test func attributesKeepsOnlyListedPlusAlways() throws {
        let out = project(rendered, type: .user, attributes: try paths("userName,name.givenName,EMAILS.value"), excludedAttributes: nil)
        #expect(out == j(#"""
          {"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:coreweave:params:scim:schemas:extension:coreweave:2.0:CoreWeaveUser"],
           "id":"ID1","userName":"Ada.Lovelace@Example.com","name":{"givenName":"Ada"},
           "emails":[{"value":"ada@example.com"},{"value":"ada@home.example"}],"meta":{"resourceType":"User"}}
        """#))
    }

    @Test func extensionQualifiedAttributes() throws {
        let cw = SCIMSchemaURN.coreWeaveUser
        let one = project(rendered, type: .user, attributes: try paths("\(cw):sunkPosixUserId"), excludedAttributes: nil)
        #expect(one[cw] == j(#"{"sunkPosixUserId":100001}"#))
        #expect(one["userName"] == nil)
        let whole = project(rendered, type: .user, attributes: try paths(cw), excludedAttributes: nil)
        #expect(whole[cw] == adaStored[cw])
        let mgr = project(rendered, type: .user,
                          attributes: try paths("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value"),
                          excludedAttributes: nil)
        #expect(mgr[SCIMSchemaURN.enterpriseUser] == j(#"{"manager":{"value":"ID4"}}"#))
    }

    @Test func excludedAttributes() throws {
        let g = with(groupStored, ["meta": j(#"{"resourceType":"Group","location":"https://x/Groups/ID2"}"#)])
        let out = project(g, type: .group, attributes: nil, excludedAttributes: try paths("members,id,schemas"))
        #expect(out["members"] == nil)
        #expect(out["id"] == .string("ID2"))
        #expect(out["schemas"] != nil)
        #expect(out["displayName"] == .string("HPC Research"))
        let u = project(rendered, type: .user, attributes: nil,
                        excludedAttributes: try paths("name.familyName,emails.type,meta,\(SCIMSchemaURN.enterpriseUser)"))
        #expect(u["name"] == j(#"{"givenName":"Ada"}"#))
        #expect(u["emails"] == j(#"[{"value":"ada@example.com","primary":true},{"value":"ada@home.example"}]"#))
        #expect(u["meta"] == j(#"{"resourceType":"User"}"#))
        #expect(u[SCIMSchemaURN.enterpriseUser] == nil)
    }

    @Test func neverReturned() {
        #expect(rendered["password"] != nil)
        #expect(project(rendered, type: .user, attributes: nil, excludedAttributes: nil)["password"] == nil)
        #expect(project(rendered, type: .user, attributes: [AttributePath(name: "password")], excludedAttributes: nil)["password"] == nil)
    }
}

@Suite struct ErrorAndDiscoveryTests {
    @Test func errorShape() {
        let e = SCIMError.uniqueness("userName is already taken.")
        #expect(s(e.json) == #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"detail":"userName is already taken.","scimType":"uniqueness","status":"409"}"#)
        #expect(e.json["status"] == .string("409"))
        #expect(SCIMError.notFound("x").json["scimType"] == nil)
        #expect(SCIMError.notFound("x").json["status"] == .string("404"))
    }

    @Test(arguments: [
        (SCIMError.invalidValue("d"), 400, SCIMErrorType?.some(.invalidValue)), (.uniqueness("d"), 409, .uniqueness),
        (.notFound("d"), 404, nil), (.invalidFilter("d"), 400, .invalidFilter), (.invalidPath("d"), 400, .invalidPath),
        (.noTarget("d"), 400, .noTarget), (.invalidSyntax("d"), 400, .invalidSyntax), (.mutability("d"), 400, .mutability),
        (.unauthorized(), 401, nil), (.forbidden("d"), 403, nil), (.preconditionFailed(), 412, nil),
        (.payloadTooLarge(limit: 1_048_576), 413, nil), (.tooMany("d"), 400, .tooMany), (.methodNotAllowed(), 405, nil),
        (.unsupportedMediaType(), 415, nil),
    ])
    func factories(_ e: SCIMError, _ status: Int, _ type: SCIMErrorType?) {
        #expect(e.status == status)
        #expect(e.scimType == type)
        #expect(!e.detail.isEmpty)
    }

    @Test func listResponse() {
        let v = ListResponse.json(resources: [], totalResults: 0, startIndex: 1, itemsPerPage: 0)
        // okta/01-existence-check.txt expected answer
        #expect(v == j(#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":0,"startIndex":1,"itemsPerPage":0,"Resources":[]}"#))
        #expect(v["totalResults"] == .int(0))
    }

    @Test func schemaRepresentation() {
        let v = SCIMSchema.coreWeaveUser.json(baseURL: "https://h/scim/ORG/")
        #expect(v["id"] == .string(SCIMSchemaURN.coreWeaveUser))
        #expect(v["meta"] == .object(["resourceType": .string("Schema"),
                                      "location": .string("https://h/scim/ORG/Schemas/" + SCIMSchemaURN.coreWeaveUser)]))
        let attrs = v["attributes"]?.arrayValue ?? []
        #expect(attrs.count == 6)
        let uid = attrs.first { $0["name"] == .string("sunkPosixUserId") }
        #expect(uid?["type"] == .string("integer"))
        #expect(uid?["uniqueness"] == .string("server"))
        #expect(uid?["mutability"] == .string("readWrite"))
        let keys = attrs.first { $0["name"] == .string("sunkSshKeys") }
        #expect(keys?["multiValued"] == .bool(true))
        #expect(keys?["caseExact"] == .bool(true))
        let user = SCIMSchema.user.json(baseURL: "https://h")
        let pw = user["attributes"]?.arrayValue?.first { $0["name"] == .string("password") }
        #expect(pw?["returned"] == .string("never"))
        #expect(pw?["mutability"] == .string("writeOnly"))
        let un = user["attributes"]?.arrayValue?.first { $0["name"] == .string("userName") }
        #expect(un?["required"] == .bool(true))
        #expect(un?["caseExact"] == .bool(false))
        let emails = user["attributes"]?.arrayValue?.first { $0["name"] == .string("emails") }
        #expect(emails?["subAttributes"]?.arrayValue?.count == 4)
    }

    @Test func resourceTypesAndLookup() throws {
        let v = SCIMResourceType.user.json(baseURL: "https://h/scim/ORG")
        #expect(v["endpoint"] == .string("/Users"))
        #expect(v["schemaExtensions"] == j(#"""
          [{"schema":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User","required":false},
           {"schema":"urn:coreweave:params:scim:schemas:extension:coreweave:2.0:CoreWeaveUser","required":false}]
        """#))
        #expect(v["meta"]?["location"] == .string("https://h/scim/ORG/ResourceTypes/User"))
        #expect(SCIMResourceType.group.json(baseURL: "https://h")["schemaExtensions"] == .array([]))
        let t = SCIMResourceType.user
        #expect(t.attribute(for: try AttributePath.parse("USERNAME"))?.name == "userName")
        #expect(t.attribute(for: try AttributePath.parse("id"))?.caseExact == true)
        #expect(t.attribute(for: try AttributePath.parse("name.GIVENNAME"))?.name == "givenName")
        #expect(t.attribute(for: try AttributePath.parse("urn:ietf:params:scim:schemas:extension:enterprise:2.0:user:Manager.value"))?.name == "value")
        #expect(t.attribute(for: try AttributePath.parse("\(SCIMSchemaURN.coreWeaveUser):sunkposixuserid"))?.type == .integer)
        #expect(t.attribute(for: try AttributePath.parse("\(SCIMSchemaURN.user):userName"))?.name == "userName")
        #expect(t.attribute(for: try AttributePath.parse("sunkPosixUserId")) == nil)
        #expect(t.attribute(for: try AttributePath.parse("nosuch")) == nil)
        #expect(SCIMResourceType.group.attribute(for: try AttributePath.parse("members.value"))?.caseExact == true)
    }

    @Test func serviceProviderConfig() {
        let v = ServiceProviderConfig.json(baseURL: "https://h", maxResults: 200, maxPayloadSize: 1_048_576)
        #expect(v["patch"] == j(#"{"supported":true}"#))
        #expect(v["bulk"] == j(#"{"supported":false,"maxOperations":0,"maxPayloadSize":1048576}"#))
        #expect(v["filter"] == j(#"{"supported":true,"maxResults":200}"#))
        #expect(v["changePassword"] == j(#"{"supported":false}"#))
        #expect(v["sort"] == j(#"{"supported":false}"#))
        #expect(v["etag"] == j(#"{"supported":true}"#))
        let auth = v["authenticationSchemes"]?.arrayValue?.first
        #expect(auth?["type"] == .string("oauthbearertoken"))
        #expect(auth?["primary"] == .bool(true))
        #expect(auth?["name"] != nil && auth?["description"] != nil)
    }
}
