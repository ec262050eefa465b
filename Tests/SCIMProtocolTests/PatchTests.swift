import Testing
@testable import SCIMProtocol

/// Ada as stored after the Okta create (normalised, no id/meta/password/groups).
let adaUser = j(#"""
{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:coreweave:params:scim:schemas:extension:coreweave:2.0:CoreWeaveUser"],
 "userName":"ada.lovelace@example.com","name":{"givenName":"Ada","familyName":"Lovelace"},
 "emails":[{"primary":true,"value":"ada.lovelace@example.com","type":"work"},{"value":"ada@home.example","type":"home"}],
 "displayName":"Ada Lovelace","locale":"en-US","externalId":"00u1a2b3c4d5e6f7g8h9","active":true,
 "urn:coreweave:params:scim:schemas:extension:coreweave:2.0:CoreWeaveUser":{
   "sunkSshKeys":["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILQwuexkUkfmgaRc8TfBKQn5whYd06jzr41VYHQrQER8 ada@laptop"],
   "sunkPosixUsername":"ada","sunkPreferredHomeDirectory":"/home/ada","sunkPosixGroupId":100000,"sunkPosixUserId":100001,
   "sunkLoginShell":"/bin/zsh"}}
"""#)

let researchGroup = j(#"""
{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"hpc-research",
 "members":[{"value":"ID3","display":"grace@example.com"},{"value":"ID5","display":"alan@example.com"}]}
"""#)

/// `doc` with top-level (or extension) members replaced; `nil` removes.
func with(_ doc: JSONValue, _ changes: [String: JSONValue?], in ext: String? = nil) -> JSONValue {
    var o = doc.objectValue!
    if let ext {
        var e = o[ext]?.objectValue ?? [:]
        for (k, v) in changes { e[k] = v }
        o[ext] = e.isEmpty ? nil : .object(e)
        var schemas = [JSONValue.string(o["schemas"]!.arrayValue![0].stringValue!)]
        for u in SCIMResourceType.user.extensions.map(\.schema.id) where o[u] != nil { schemas.append(.string(u)) }
        o["schemas"] = .array(schemas)
    } else {
        for (k, v) in changes { o[k] = v }
    }
    return .object(o)
}

func patch(_ body: String, _ doc: JSONValue, _ type: SCIMResourceType) throws(SCIMError) -> JSONValue {
    try applyPatch(try PatchRequest.parse(j(body)), to: doc, type: type)
}

@Suite struct PatchFixtureTests {
    let enterprise = SCIMSchemaURN.enterpriseUser
    let coreWeave = SCIMSchemaURN.coreWeaveUser

    @Test func storedFormsAreNormal() throws {
        #expect(try normalize(adaUser, type: .user) == adaUser)
        #expect(try normalize(researchGroup, type: .group) == researchGroup)
    }

    @Test func oktaDeactivate() throws {
        #expect(try patch(Fixture.oktaDeactivate, adaUser, .user) == with(adaUser, ["active": .bool(false)]))
    }

    @Test func oktaGroupMembersRemoveThenAdd() throws {
        let out = try patch(Fixture.oktaGroupMembers, researchGroup, .group)
        #expect(out == j(#"""
        {"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"hpc-research",
         "members":[{"value":"ID5","display":"alan@example.com"},{"value":"ID1","display":"ada.lovelace@example.com"}]}
        """#))
    }

    @Test func oktaRenameKeepsMembers() throws {
        let withID = with(researchGroup, ["id": .string("ID2"), "meta": .object(["resourceType": .string("Group")])])
        let expected = with(researchGroup, ["displayName": .string("hpc-research-2027")])
        #expect(try patch(Fixture.oktaGroupRename, researchGroup, .group) == expected)
        #expect(try patch(Fixture.oktaGroupRename, withID, .group) == expected)
    }

    @Test func oktaReplaceWithEmptyList() throws {
        let out = try patch(Fixture.oktaGroupReplaceEmpty, researchGroup, .group)
        #expect(out == j(#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"hpc-research"}"#))
        #expect(out["members"] == nil)
    }

    @Test func entraDisableWithStringBoolean() throws {
        #expect(try patch(Fixture.entraDisable, adaUser, .user) == with(adaUser, ["active": .bool(false)]))
    }

    @Test func entraMultiReplace() throws {
        var expected = with(adaUser, [
            "emails": j(#"[{"primary":true,"value":"ada@example.org","type":"work"},{"value":"ada@home.example","type":"home"}]"#),
            "name": j(#"{"givenName":"Ada","familyName":"King"}"#),
        ])
        expected = with(expected, ["sunkLoginShell": .string("/bin/bash")], in: coreWeave)
        expected = with(expected, ["employeeNumber": .string("1815")], in: enterprise)
        let out = try patch(Fixture.entraMultiReplace, adaUser, .user)
        #expect(out == expected)
        #expect(out["schemas"] == .array([.string(SCIMSchemaURN.user), .string(enterprise), .string(coreWeave)]))
    }

    @Test func entraPathlessDotted() throws {
        let inactive = with(adaUser, ["active": .bool(false)])
        var expected = with(adaUser, ["name": j(#"{"givenName":"Augusta","familyName":"Lovelace"}"#)])
        expected = with(expected, ["department": .string("Research")], in: enterprise)
        let out = try patch(Fixture.entraPathlessDotted, inactive, .user)
        #expect(out == expected)
        #expect(out["name.givenName"] == nil)
    }

    @Test func entraLegacyMemberRemoveRemovesOnlyListed() throws {
        let out = try patch(Fixture.entraRemoveMemberLegacy, researchGroup, .group)
        #expect(out["members"] == j(#"[{"value":"ID5","display":"alan@example.com"}]"#))
        #expect(out["displayName"] == .string("hpc-research"))
    }

    @Test func entraManagerBareString() throws {
        let out = try patch(Fixture.entraManagerBare, adaUser, .user)
        #expect(out == with(adaUser, ["manager": j(#"{"value":"ID4"}"#)], in: enterprise))
    }
}

@Suite struct PatchSemanticsTests {
    let group = researchGroup

    func op(_ o: String, _ path: String?, _ value: JSONValue?) throws(SCIMError) -> PatchOperation {
        PatchOperation(op: PatchOp(parsing: o)!, path: try path.map { p throws(SCIMError) in try PatchPath.parse(p) }, value: value)
    }

    @Test func reAddingMemberDoesNotDuplicate() throws {
        let out = try applyPatch([op("add", "members", j(#"[{"value":"ID3"},{"value":"ID3","display":"x"},"ID5"]"#))],
                                 to: group, type: .group)
        #expect(out["members"] == group["members"])
    }

    @Test func removeWithoutFilterRemovesAll() throws {
        let out = try applyPatch([op("remove", "members", nil)], to: group, type: .group)
        #expect(out["members"] == nil)
        let u = try applyPatch([op("remove", "emails", nil)], to: adaUser, type: .user)
        #expect(u["emails"] == nil)
        #expect(u["userName"] == adaUser["userName"])
    }

    @Test func removeFilterNoMatchIsNoOp() throws {
        let out = try applyPatch([op("remove", #"members[value eq "ID9"]"#, nil)], to: group, type: .group)
        #expect(out == group)
    }

    @Test func removeSubAttributeOfMatching() throws {
        let out = try applyPatch([op("remove", #"emails[type eq "work"].primary"#, nil)], to: adaUser, type: .user)
        #expect(out["emails"] == j(#"[{"value":"ada.lovelace@example.com","type":"work"},{"value":"ada@home.example","type":"home"}]"#))
    }

    @Test func filteredReplaceWithoutMatchAppends() throws {
        let noEmails = with(adaUser, ["emails": nil])
        let out = try applyPatch([op("Replace", #"emails[type eq "work"].value"#, .string("a@x.org"))], to: noEmails, type: .user)
        #expect(out["emails"] == j(#"[{"type":"work","value":"a@x.org"}]"#))
        let e = scimError { () throws(SCIMError) in
            try applyPatch([try op("replace", #"emails[type eq "work" or primary eq true].value"#, .string("a"))],
                           to: noEmails, type: .user)
        }
        #expect(e?.scimType == .noTarget)
    }

    @Test func filteredReplaceMergesIntoMatching() throws {
        let out = try applyPatch([op("replace", #"emails[type eq "home"]"#, j(#"{"value":"new@home.example"}"#))],
                                 to: adaUser, type: .user)
        #expect(out["emails"]?.arrayValue?[1] == j(#"{"value":"new@home.example","type":"home"}"#))
    }

    @Test func addMultiValuedAppends() throws {
        let out = try applyPatch([op("add", "emails", j(#"{"value":"third@example.com","type":"other"}"#))], to: adaUser, type: .user)
        #expect(out["emails"]?.arrayValue?.count == 3)
        let keys = "urn:coreweave:params:scim:schemas:extension:coreweave:2.0:CoreWeaveUser:sunkSshKeys"
        let k = try applyPatch([op("add", keys, j(#"["ssh-ed25519 CCCC new"]"#))], to: adaUser, type: .user)
        #expect(k[SCIMSchemaURN.coreWeaveUser]?["sunkSshKeys"]?.arrayValue?.count == 2)
        let r = try applyPatch([op("replace", keys, j(#"["ssh-ed25519 CCCC new"]"#))], to: adaUser, type: .user)
        #expect(r[SCIMSchemaURN.coreWeaveUser]?["sunkSshKeys"] == j(#"["ssh-ed25519 CCCC new"]"#))
    }

    @Test func addComplexSingleValuedMerges() throws {
        let out = try applyPatch([op("add", "name", j(#"{"middleName":"Byron"}"#))], to: adaUser, type: .user)
        #expect(out["name"] == j(#"{"givenName":"Ada","familyName":"Lovelace","middleName":"Byron"}"#))
    }

    @Test func pathlessAddWithExtensionObject() throws {
        let out = try applyPatch([op("add", nil, j(#"""
          {"urn:coreweave:params:scim:schemas:extension:coreweave:2.0:CoreWeaveUser":{"sunkLoginShell":"/bin/bash"},
           "nickName":"Countess","unknownThing":1}
        """#))], to: adaUser, type: .user)
        #expect(out[SCIMSchemaURN.coreWeaveUser]?["sunkPosixUsername"] == .string("ada"))
        #expect(out[SCIMSchemaURN.coreWeaveUser]?["sunkLoginShell"] == .string("/bin/bash"))
        #expect(out["nickName"] == .string("Countess"))
        #expect(out["unknownThing"] == nil)
    }

    @Test func wholeExtensionPath() throws {
        let urn = SCIMSchemaURN.coreWeaveUser
        let removed = try applyPatch([op("remove", urn, nil)], to: adaUser, type: .user)
        #expect(removed[urn] == nil)
        #expect(removed["schemas"] == .array([.string(SCIMSchemaURN.user)]))
        let replaced = try applyPatch([op("replace", urn, j(#"{"sunkPosixUserId":"100002"}"#))], to: adaUser, type: .user)
        #expect(replaced[urn]?["sunkPosixUserId"] == .int(100002))
    }

    @Test func entraClearsWithEmptyString() throws {
        let out = try applyPatch([op("Replace", "displayName", .string("")), op("Replace", "locale", .string(""))],
                                 to: adaUser, type: .user)
        #expect(out["locale"] == nil)
        #expect(out["displayName"] == nil)
    }

    @Test func secondOperationInvalidThrows() throws {
        let ops = [try op("replace", "displayName", .string("Changed")), try op("replace", "nosuch", .string("x"))]
        let e = scimError { () throws(SCIMError) in try applyPatch(ops, to: adaUser, type: .user) }
        #expect(e?.scimType == .invalidPath)
        #expect(e?.detail.hasPrefix("Operation 2") == true)
        let bad = [try op("replace", "displayName", .string("Changed")),
                   try op("replace", "urn:coreweave:params:scim:schemas:extension:coreweave:2.0:CoreWeaveUser:sunkPosixUserId",
                          .double(100001.5))]
        let e2 = scimError { () throws(SCIMError) in try applyPatch(bad, to: adaUser, type: .user) }
        #expect(e2?.scimType == .invalidValue)
        #expect(e2?.detail.contains("sunkPosixUserId must be a whole number") == true)
    }

    @Test(arguments: ["id", "meta", "meta.lastModified", "groups", "groups.value",
                      "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.displayName"])
    func readOnlyPathIsMutability(_ path: String) throws {
        let e = scimError { () throws(SCIMError) in
            try applyPatch([try op("replace", path, .string("x"))], to: adaUser, type: .user)
        }
        #expect(e?.status == 400)
        #expect(e?.scimType == .mutability)
    }

    @Test func pathlessReadOnlyChangedIsMutability() throws {
        let e = scimError { () throws(SCIMError) in
            try applyPatch([try op("replace", nil, j(#"{"groups":[{"value":"G1"}]}"#))], to: adaUser, type: .user)
        }
        #expect(e?.scimType == .mutability)
        // Unchanged (empty) read-only values and id/meta/schemas are ignored.
        let out = try applyPatch([op("replace", nil, j(#"{"groups":[],"id":"other","meta":{},"schemas":[],"title":"Countess"}"#))],
                                 to: adaUser, type: .user)
        #expect(out == with(adaUser, ["title": .string("Countess")]))
    }

    @Test(arguments: ["nosuch", "name.nosuch", "urn:example:unknown:1.0:Thing:attr", #"displayName[value eq "x"]"#,
                      #"emails[nosuch eq "x"]"#, #"emails[type eq "work"].nosuch"#])
    func unknownPathIsInvalidPath(_ path: String) throws {
        let e = scimError { () throws(SCIMError) in
            try applyPatch([try op("replace", path, .string("x"))], to: adaUser, type: .user)
        }
        #expect(e?.scimType == .invalidPath)
    }

    @Test func removingRequiredAttributeIsRefused() throws {
        let e = scimError { () throws(SCIMError) in
            try applyPatch([try op("remove", "displayName", nil)], to: researchGroup, type: .group)
        }
        #expect(e?.scimType == .invalidValue)
    }

    @Test func pathlessNonObjectRefused() throws {
        let e = scimError { () throws(SCIMError) in
            try applyPatch([try op("replace", nil, .string("x"))], to: adaUser, type: .user)
        }
        #expect(e?.scimType == .invalidValue)
    }
}

@Suite struct PatchParsingTests {
    @Test(arguments: [
        ("members", "members", nil, nil),
        (#"members[value eq "ID"]"#, "members", #"value eq "ID""#, nil),
        (#"emails[type eq "work"].value"#, "emails", #"type eq "work""#, "value"),
        ("name.familyName", "name.familyName", nil, nil),
        ("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
         "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber", nil, nil),
        ("urn:coreweave:params:scim:schemas:extension:coreweave:2.0:CoreWeaveUser:sunkSshKeys",
         "urn:coreweave:params:scim:schemas:extension:coreweave:2.0:CoreWeaveUser:sunkSshKeys", nil, nil),
        (#"emails[value eq "a]b"].display"#, "emails", #"value eq "a]b""#, "display"),
    ] as [(String, String, String?, String?)])
    func paths(_ text: String, _ attr: String, _ filter: String?, _ sub: String?) throws {
        let p = try PatchPath.parse(text)
        #expect(p.attribute.description == attr)
        #expect(p.filter == (try filter.map { f throws(SCIMError) in try SCIMFilter.parse(f) }))
        #expect(p.subAttribute == sub)
    }

    @Test(arguments: ["", "members[", #"members[value eq "x""#, #"members[value eq "x"]x"#, #"members[value eq "x"].a.b"#,
                      #"members[value xx "x"]"#, "a b", #"name.givenName[value eq "x"]"#, #"emails[type eq "w"][x eq "y"]"#,
                      #"emails[addresses[type eq "x"]]"#, "1abc"])
    func badPaths(_ text: String) {
        #expect(scimError { () throws(SCIMError) in try PatchPath.parse(text) }?.scimType == .invalidPath)
    }

    @Test func opsCaseInsensitive() throws {
        let ops = try PatchRequest.parse(j(#"""
          {"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
            {"op":"Add","path":"title","value":"x"},{"op":"REPLACE","path":"title","value":"y"},{"op":"remove","path":"title"}]}
        """#))
        #expect(ops.map(\.op) == [.add, .replace, .remove])
        #expect(ops[0].value == .string("x"))
        #expect(ops[2].value == nil)
    }

    @Test(arguments: [
        (#"[]"#, SCIMErrorType.invalidSyntax),
        (#"{"Operations":[{"op":"add","path":"title","value":"x"}]}"#, .invalidSyntax),
        (#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"]}"#, .invalidSyntax),
        (#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[]}"#, .invalidSyntax),
        (#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"move","path":"a"}]}"#, .invalidSyntax),
        (#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"path":"a","value":1}]}"#, .invalidSyntax),
        (#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":["add"]}"#, .invalidSyntax),
        (#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"title"}]}"#, .invalidValue),
        (#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace"}]}"#, .invalidValue),
        (#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove"}]}"#, .noTarget),
        (#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"a["}]}"#, .invalidPath),
        (#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":5,"value":1}]}"#, .invalidSyntax),
    ])
    func badRequests(_ body: String, _ type: SCIMErrorType) {
        let e = scimError { () throws(SCIMError) in try PatchRequest.parse(j(body)) }
        #expect(e?.status == 400)
        #expect(e?.scimType == type)
    }
}
