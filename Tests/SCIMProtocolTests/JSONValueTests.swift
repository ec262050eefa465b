import Testing
@testable import SCIMProtocol

@Suite struct JSONValueTests {
    @Test func decodesEachKind() throws {
        let v = try JSONValue.parse(Array(#"{"a":null,"b":true,"c":1,"d":1.5,"e":"x","f":[1,"y"],"g":{}}"#.utf8))
        #expect(v["a"] == .null)
        #expect(v["b"] == .bool(true))
        #expect(v["c"] == .int(1))
        #expect(v["d"] == .double(1.5))
        #expect(v["e"] == .string("x"))
        #expect(v["f"] == .array([.int(1), .string("y")]))
        #expect(v["g"] == .object([:]))
    }

    @Test func boolIsNotNumber() throws {
        #expect(try JSONValue.parse(Array("true".utf8)) == .bool(true))
        #expect(try JSONValue.parse(Array("1".utf8)) == .int(1))
        #expect(try JSONValue.parse(Array("0".utf8)) == .int(0))
        #expect(try JSONValue.parse(Array("false".utf8)) == .bool(false))
    }

    /// Okta's `Number` is a double: a whole one reads as the integer it is.
    @Test func wholeDoubleReadsAsInteger() throws {
        let v = try JSONValue.parse(Array("100001.0".utf8))
        #expect(v == .int(100001))
        #expect(v.int64Value == 100001)
        #expect(s(v) == "100001")
        #expect(try JSONValue.parse(Array("100001.5".utf8)) == .double(100001.5))
        #expect(JSONValue.double(100001.5).int64Value == nil)
    }

    @Test(arguments: [
        "{", "[1,", "{\"a\" 1}", "tru", "{'a':1}", "[1,]x", "\"abc", "", "{\"a\":1,}", "NaN",
    ])
    func malformedIsInvalidSyntax(_ text: String) {
        let e = scimError { () throws(SCIMError) in try JSONValue.parse(Array(text.utf8)) }
        #expect(e?.status == 400)
        #expect(e?.scimType == .invalidSyntax)
        if !text.isEmpty { #expect(e?.detail.contains(text) == false) }
    }

    @Test func deepNestingRefused() {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        let e = scimError { () throws(SCIMError) in try JSONValue.parse(Array(deep.utf8)) }
        #expect(e?.scimType == .invalidSyntax)
        let ok = String(repeating: "[", count: 60) + String(repeating: "]", count: 60)
        #expect(scimError { () throws(SCIMError) in try JSONValue.parse(Array(ok.utf8)) } == nil)
        // Brackets inside strings do not count.
        let inString = "\"" + String(repeating: "[", count: 500) + "\""
        #expect(scimError { () throws(SCIMError) in try JSONValue.parse(Array(inString.utf8)) } == nil)
    }

    @Test(arguments: [
        (JSONValue.string("a\"b\\c/d"), #""a\"b\\c/d""#),
        (.string("line\nfeed\ttab\u{01}\u{1F}"), #""line\u000afeed\u0009tab\u0001\u001f""#),
        (.string("héllo ✓ 😀"), "\"héllo ✓ 😀\""),
        (.double(.nan), "null"),
        (.double(.infinity), "null"),
        (.double(2.5), "2.5"),
        (.double(-3.0), "-3"),
        (.double(1e300), "1e+300"),
        (.int(-9_223_372_036_854_775_808), "-9223372036854775808"),
        (.array([]), "[]"),
        (.object([:]), "{}"),
        (.null, "null"),
    ])
    func writer(_ v: JSONValue, _ expected: String) {
        #expect(s(v) == expected)
    }

    @Test func keyOrder() {
        let v: JSONValue = .object([
            "meta": .object(["b": .int(1), "a": .int(2)]), "zeta": .null, "alpha": .bool(true),
            "externalId": .string("e"), "id": .string("i"), "schemas": .array([]), "Resources": .array([]),
        ])
        #expect(s(v) == #"{"schemas":[],"id":"i","externalId":"e","Resources":[],"alpha":true,"zeta":null,"meta":{"a":2,"b":1}}"#)
    }

    @Test(arguments: [
        #"{"a":"\u00e9\ud83d\ude00","b":"\"\\\/\b\f\n\r\t"}"#,
        #"[1,-2,3.25,true,false,null,"x",{"k":[{}]}]"#,
        #"{"schemas":["urn:x"],"emails":[{"value":"a@b.c","primary":true}],"name":{"givenName":"Ada"}}"#,
    ])
    func roundTrip(_ text: String) throws {
        let v = try JSONValue.parse(Array(text.utf8))
        let again = try JSONValue.parse(v.serialized())
        #expect(again == v)
        #expect(again.serialized() == v.serialized())
    }

    @Test func unicodeEscapesDecode() throws {
        let v = try JSONValue.parse(Array(#""\u00e9\ud83d\ude00""#.utf8))
        #expect(v == .string("é😀"))
    }

    @Test func accessors() {
        let v = j(#"{"userName":"a","Emails":[{"value":"x"}],"active":false,"name":{"givenName":"A"}}"#)
        #expect(v["userName"]?.stringValue == "a")
        #expect(v["username"] == nil)
        #expect(v.member("USERNAME")?.key == "userName")
        #expect(v.member("emails")?.value.arrayValue?.count == 1)
        #expect(v["active"]?.boolValue == false)
        #expect(v["name"]?.objectValue?["givenName"] == .string("A"))
        #expect(v["userName"]?.boolValue == nil)
        #expect(JSONValue.string("x")["a"] == nil)
    }
}
