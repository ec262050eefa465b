import Testing
@testable import SCIMProtocol

@Suite struct NormalizeTests {
    let cw = SCIMSchemaURN.coreWeaveUser
    let ent = SCIMSchemaURN.enterpriseUser

    @Test func oktaCreateBecomesStoredForm() throws {
        let out = try normalize(j(Fixture.oktaCreateUser), type: .user)
        #expect(out["password"] == nil)
        #expect(out["groups"] == nil)
        #expect(out[cw]?["sunkPosixUserId"] == .int(100001))
        #expect(out[cw]?["sunkPosixGroupId"] == .int(100000))
        #expect(out["schemas"] == .array([.string(SCIMSchemaURN.user), .string(cw)]))
        #expect(s(out).contains("100001.0") == false)
        #expect(out["externalId"] == .string("00u1a2b3c4d5e6f7g8h9"))
    }

    @Test func oktaPutDropsReadOnly() throws {
        let out = try normalize(j(Fixture.oktaPutUser), type: .user)
        #expect(out["id"] == nil)
        #expect(out["meta"] == nil)
        #expect(out[cw]?["sunkLoginShell"] == .string("/bin/zsh"))
        let kept = try normalize(j(Fixture.oktaPutUser), type: .user, forWrite: false)
        #expect(kept["id"] == .string("ID1"))
        #expect(kept["meta"]?["resourceType"] == .string("User"))
    }

    @Test func groupCreateDropsEmptyMembersAndToleratesMicrosoftURN() throws {
        #expect(try normalize(j(Fixture.oktaGroupCreate), type: .group)
                == j(#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"hpc-research"}"#))
        let ms = try normalize(j(#"""
          {"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group","http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
           "displayName":"g","members":[{"value":"ID1"},{"value":"ID1"}]}
        """#), type: .group)
        #expect(ms["schemas"] == .array([.string(SCIMSchemaURN.group)]))
        #expect(ms["members"] == j(#"[{"value":"ID1"}]"#))
    }

    @Test func canonicalNamesDottedAndQualifiedKeys() throws {
        let out = try normalize(j(#"""
          {"USERNAME":"a@b.c","Name":{"GIVENNAME":"Ada"},"name.familyName":"Lovelace","Emails":[{"Value":"a@b.c","TYPE":"work"}],
           "urn:ietf:params:scim:schemas:core:2.0:User:displayName":"Ada",
           "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department":"R",
           "URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER":{"costCenter":"42"},
           "urn:example:unknown:2.0:Thing":{"x":1},"bogus":1,"name.bogus":"x"}
        """#), type: .user)
        #expect(out == j(#"""
          {"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
           "userName":"a@b.c","name":{"givenName":"Ada","familyName":"Lovelace"},"emails":[{"value":"a@b.c","type":"work"}],
           "displayName":"Ada","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"R","costCenter":"42"}}
        """#))
    }

    @Test(arguments: [
        (JSONValue.string("False"), JSONValue.bool(false)), (.string("TRUE"), .bool(true)), (.bool(true), .bool(true)),
    ])
    func booleanCoercion(_ input: JSONValue, _ expected: JSONValue) throws {
        let out = try normalize(.object(["userName": .string("u"), "active": input]), type: .user)
        #expect(out["active"] == expected)
    }

    @Test(arguments: [
        (JSONValue.double(100001.0), Int64(100001)), (.int(100001), 100001), (.string("100001"), 100001), (.string("-5"), -5),
    ])
    func integerCoercion(_ input: JSONValue, _ expected: Int64) throws {
        let out = try normalize(.object(["userName": .string("u"), cw: .object(["sunkPosixUserId": input])]), type: .user)
        #expect(out[cw]?["sunkPosixUserId"] == .int(expected))
    }

    @Test(arguments: [
        ("sunkPosixUserId", JSONValue.double(100001.5), "sunkPosixUserId must be a whole number"),
        ("sunkPosixUserId", .string("1e5"), "sunkPosixUserId must be a whole number"),
        ("sunkPosixUserId", .string("12abc"), "sunkPosixUserId must be a whole number"),
        ("sunkPosixGroupId", .bool(true), "sunkPosixGroupId must be a whole number"),
        ("sunkPosixGroupId", .double(1e30), "sunkPosixGroupId must be a whole number"),
        ("sunkLoginShell", .object(["a": .int(1)]), "sunkLoginShell must be a string"),
        ("sunkLoginShell", .int(5), "sunkLoginShell must be a string"),
        ("sunkLoginShell", .array([.string("/bin/sh")]), "sunkLoginShell must be a single value"),
        ("sunkSshKeys", .array([.int(1)]), "sunkSshKeys must be a string"),
    ])
    func extensionRefusals(_ attr: String, _ value: JSONValue, _ detail: String) {
        let e = scimError { () throws(SCIMError) in
            try normalize(.object(["userName": .string("u"), cw: .object([attr: value])]), type: .user)
        }
        #expect(e?.status == 400)
        #expect(e?.scimType == .invalidValue)
        #expect(e?.detail.hasPrefix(detail) == true, "\(e?.detail ?? "none")")
    }

    @Test(arguments: [
        #"{"userName":"u","active":"yes"}"#, #"{"userName":"u","name":"Ada"}"#, #"{"userName":"u","emails":[[]]}"#,
        #"{"userName":"u","emails":[{"primary":"maybe"}]}"#, #"{"userName":"u","displayName":{"x":"y"}}"#,
        #"{"displayName":"no user name"}"#, #"{"userName":""}"#, #"{"userName":null}"#, #"{"userName":42}"#,
        #"{"userName":"u","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":"flat"}"#,
    ])
    func userRefusals(_ body: String) {
        #expect(scimError { () throws(SCIMError) in try normalize(j(body), type: .user) }?.scimType == .invalidValue)
    }

    @Test func groupRequiresDisplayName() {
        #expect(scimError { () throws(SCIMError) in try normalize(j(#"{"members":[]}"#), type: .group) }?.scimType == .invalidValue)
        #expect(scimError { () throws(SCIMError) in try normalize(j(#"[]"#), type: .group) }?.scimType == .invalidSyntax)
    }

    @Test func unassignedValuesRemoved() throws {
        let out = try normalize(j(#"""
          {"userName":"u","displayName":"","title":null,"emails":[],"phoneNumbers":[{"value":""}],"name":{"givenName":""},
           "urn:coreweave:params:scim:schemas:extension:coreweave:2.0:CoreWeaveUser":{"sunkSshKeys":["", null]}}
        """#), type: .user)
        #expect(out == j(#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"u"}"#))
    }

    @Test func managerBareStringAndSingleElementWrapped() throws {
        let out = try normalize(j(#"""
          {"userName":"u","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":"ID4"},
           "emails":{"value":"a@b.c"}}
        """#), type: .user)
        #expect(out[ent]?["manager"] == j(#"{"value":"ID4"}"#))
        #expect(out["emails"] == j(#"[{"value":"a@b.c"}]"#))
    }

    @Test func idempotent() throws {
        let once = try normalize(j(Fixture.oktaCreateUser), type: .user)
        #expect(try normalize(once, type: .user) == once)
    }
}
