import Testing
@testable import SCIMProtocol

@Suite struct FilterParserTests {
    let userName = AttributePath(name: "userName")

    @Test func simpleEquality() throws {
        let f = try SCIMFilter.parse(#"userName eq "ada.lovelace@example.com""#)
        #expect(f == .compare(userName, .eq, .string("ada.lovelace@example.com")))
        let eq = try #require(f.simpleEquality)
        #expect(eq.0 == userName)
        #expect(eq.1 == "ada.lovelace@example.com")
        #expect(try SCIMFilter.parse(#"userName ne "x""#).simpleEquality == nil)
        #expect(try SCIMFilter.parse("userName pr").simpleEquality == nil)
    }

    @Test(arguments: FilterOperator.allCases)
    func everyOperatorCaseInsensitive(_ op: FilterOperator) throws {
        let lower = try SCIMFilter.parse(#"title \#(op.rawValue) "x""#)
        let upper = try SCIMFilter.parse(#"title \#(op.rawValue.uppercased()) "x""#)
        #expect(lower == .compare(AttributePath(name: "title"), op, .string("x")))
        #expect(upper == lower)
    }

    @Test func literalsAndNumbers() throws {
        #expect(try SCIMFilter.parse("active eq TRUE") == .compare(AttributePath(name: "active"), .eq, .bool(true)))
        #expect(try SCIMFilter.parse("active eq false") == .compare(AttributePath(name: "active"), .eq, .bool(false)))
        #expect(try SCIMFilter.parse("title eq null") == .compare(AttributePath(name: "title"), .eq, .null))
        let uid = AttributePath(schemaURN: SCIMSchemaURN.coreWeaveUser, name: "sunkPosixUserId")
        #expect(try SCIMFilter.parse("\(SCIMSchemaURN.coreWeaveUser):sunkPosixUserId ge 100001")
                == .compare(uid, .ge, .int(100001)))
        #expect(try SCIMFilter.parse("x lt -2.5e1") == .compare(AttributePath(name: "x"), .lt, .double(-25)))
    }

    @Test func stringEscapes() throws {
        let f = try SCIMFilter.parse(#"displayName eq "a \"quoted\" \\ \u00e9 \ud83d\ude00 \/""#)
        #expect(f == .compare(AttributePath(name: "displayName"), .eq, .string(#"a "quoted" \ é 😀 /"#)))
    }

    @Test func precedenceNotAndOr() throws {
        let a = SCIMFilter.compare(AttributePath(name: "a"), .eq, .int(1))
        let b = SCIMFilter.compare(AttributePath(name: "b"), .eq, .int(2))
        let c = SCIMFilter.compare(AttributePath(name: "c"), .eq, .int(3))
        #expect(try SCIMFilter.parse("a eq 1 or b eq 2 and c eq 3") == .or(a, .and(b, c)))
        #expect(try SCIMFilter.parse("a eq 1 AND b eq 2 Or c eq 3") == .or(.and(a, b), c))
        #expect(try SCIMFilter.parse("(a eq 1 or b eq 2) and c eq 3") == .and(.or(a, b), c))
        #expect(try SCIMFilter.parse("not (a eq 1) and b eq 2") == .and(.not(a), b))
        #expect(try SCIMFilter.parse("NOT(a eq 1 or b eq 2)") == .not(.or(a, b)))
        #expect(try SCIMFilter.parse("a eq 1 or b eq 2 or c eq 3") == .or(.or(a, b), c))
    }

    @Test func valuePaths() throws {
        let f = try SCIMFilter.parse(#"emails[type eq "work" and value co "@example.com"]"#)
        #expect(f == .valuePath(AttributePath(name: "emails"),
                                .and(.compare(AttributePath(name: "type"), .eq, .string("work")),
                                     .compare(AttributePath(name: "value"), .co, .string("@example.com")))))
        let g = try SCIMFilter.parse(#"userName sw "a" and emails[type eq "work"]"#)
        guard case .and(_, .valuePath(let p, _)) = g else { Issue.record("shape \(g)"); return }
        #expect(p.name == "emails")
        #expect(try SCIMFilter.parse(#"emails.value eq "x""#)
                == .compare(AttributePath(name: "emails", subAttribute: "value"), .eq, .string("x")))
    }

    @Test func attributePaths() throws {
        #expect(try AttributePath.parse("userName") == AttributePath(name: "userName"))
        #expect(try AttributePath.parse("name.givenName") == AttributePath(name: "name", subAttribute: "givenName"))
        #expect(try AttributePath.parse("urn:ietf:params:scim:schemas:core:2.0:User:userName")
                == AttributePath(schemaURN: SCIMSchemaURN.user, name: "userName"))
        #expect(try AttributePath.parse("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value")
                == AttributePath(schemaURN: SCIMSchemaURN.enterpriseUser, name: "manager", subAttribute: "value"))
        #expect(try AttributePath.parse("members.$ref") == AttributePath(name: "members", subAttribute: "$ref"))
        for bad in ["", "1abc", "a.b.c", "a b", "emails[", "urn:", "a..b", ".a", "a."] {
            #expect(scimError { () throws(SCIMError) in try AttributePath.parse(bad) }?.scimType == .invalidPath, "\(bad)")
        }
        let list = try AttributePath.parseList(" userName, emails.value ,,urn:ietf:params:scim:schemas:core:2.0:User:name ")
        #expect(list.map(\.description) == ["userName", "emails.value", "urn:ietf:params:scim:schemas:core:2.0:User:name"])
        #expect(scimError { () throws(SCIMError) in try AttributePath.parseList("userName,a b") }?.scimType == .invalidValue)
    }

    @Test(arguments: [
        "",
        "   ",
        "userName",
        "userName eq",
        #"userName eq "unterminated"#,
        #"userName xx "a""#,
        #"userName eq "a" and"#,
        #"(userName eq "a""#,
        #"userName eq "a")"#,
        #"emails[type eq "work""#,
        #"emails[type eq "work"].value eq "x""#,
        #"emails[type eq "work"][value eq "x"]"#,
        #"emails[addresses[type eq "x"]]"#,
        #"userName eq 'single'"#,
        "userName eq bareword",
        #"not userName eq "a""#,
        #"userName eq "a" or or title eq "b""#,
        #"1userName eq "a""#,
        #"userName eq "bad \q escape""#,
        #"userName eq "\ud800""#,
        "userName eq 01",
        "userName eq 1.",
        #"userName eq "a" userName eq "b""#,
        "and",
        #"name.givenName.x eq "a""#,
        "()",
        #"userName eq "a\#u{01}b""#,
    ])
    func malformedIsInvalidFilter(_ text: String) {
        let e = scimError { () throws(SCIMError) in try SCIMFilter.parse(text) }
        #expect(e?.status == 400)
        #expect(e?.scimType == .invalidFilter)
        #expect(e?.detail.isEmpty == false)
    }

    @Test func errorSaysWhere() {
        let e = scimError { () throws(SCIMError) in try SCIMFilter.parse(#"userName eq "a" xx"#) }
        #expect(e?.detail.contains("position 17") == true)
    }

    @Test func hostileInputRefused() {
        let long = #"userName eq ""# + String(repeating: "a", count: 5000) + "\""
        #expect(scimError { () throws(SCIMError) in try SCIMFilter.parse(long) }?.scimType == .invalidFilter)
        let deep = String(repeating: "(", count: 100) + #"a eq 1"# + String(repeating: ")", count: 100)
        #expect(scimError { () throws(SCIMError) in try SCIMFilter.parse(deep) }?.scimType == .invalidFilter)
        let deepNot = String(repeating: "not(", count: 100) + #"a eq 1"# + String(repeating: ")", count: 100)
        #expect(scimError { () throws(SCIMError) in try SCIMFilter.parse(deepNot) }?.scimType == .invalidFilter)
        let fine = String(repeating: "(", count: 30) + #"a eq 1"# + String(repeating: ")", count: 30)
        #expect(scimError { () throws(SCIMError) in try SCIMFilter.parse(fine) } == nil)
    }

    @Test func validateAgainstSchema() throws {
        #expect(throws: Never.self) { try SCIMFilter.parse(#"userName eq "a" and emails[type eq "work"]"#).validate(for: .user) }
        #expect(throws: Never.self) { try SCIMFilter.parse(#"meta.lastModified gt "2026-01-01T00:00:00Z""#).validate(for: .user) }
        #expect(throws: Never.self) { try SCIMFilter.parse(#"members eq "ID1""#).validate(for: .group) }
        for bad in [#"nosuch eq "a""#, "active gt true", #"emails[nosuch eq "a"]"#, #"userName[value eq "a"]"#,
                    #"name eq "x""#, #"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:nosuch pr"#] {
            let e = scimError { () throws(SCIMError) in try SCIMFilter.parse(bad).validate(for: .user) }
            #expect(e?.scimType == .invalidFilter, "\(bad)")
        }
    }
}
