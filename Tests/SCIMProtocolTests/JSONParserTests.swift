import Foundation
import Testing
@testable import SCIMProtocol
import TestSupport

/// `JSONValue.parse` (the hand-written `JSONParser`) against Foundation (the `Decodable`
/// conformance through `JSONDecoder` that it replaced on the request path): the same value for
/// every document Foundation reads, a refusal for every one it refuses. The intended differences,
/// named in `JSONParser`: a trailing comma and nesting past the limit are refused; a document is
/// checked whole (`JSONDecoder` reads lazily and misses a bad escape in a repeated key's ignored
/// value, so the reference refuses what `JSONSerialization` refuses); and whether a number beyond
/// 2^53 written with a fraction or exponent is whole is decided on its digits, where Foundation
/// decides on the rounded `Double` (such numbers compare as doubles here).
@Suite struct JSONParserTests {
    static func foundation(_ bytes: [UInt8]) -> JSONValue? {
        guard (try? JSONSerialization.jsonObject(with: Data(bytes), options: .fragmentsAllowed)) != nil else { return nil }
        return try? JSONDecoder().decode(JSONValue.self, from: Data(bytes))
    }

    static func parsed(_ bytes: [UInt8]) -> JSONValue? {
        try? JSONValue.parse(bytes)
    }

    /// Equal, numbers beyond 2^53 compared as the doubles they round to.
    static func alike(_ a: JSONValue?, _ b: JSONValue?) -> Bool {
        switch (a, b) {
        case (nil, nil): return true
        case (.array(let x)?, .array(let y)?): return x.count == y.count && zip(x, y).allSatisfy { alike($0, $1) }
        case (.object(let x)?, .object(let y)?):
            return x.count == y.count && x.allSatisfy { key, value in y[key].map { alike(value, $0) } ?? false }
        case (let x?, let y?):
            if let dx = number(x), let dy = number(y), abs(dx) >= 0x1p53 || abs(dy) >= 0x1p53 { return dx == dy }
            return x == y
        default: return false
        }
    }

    static func number(_ value: JSONValue) -> Double? {
        switch value {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }

    @Test(arguments: [
        // numbers: whole values within Int64 are .int however written
        "100001.0", "1e3", "1E2", "1.0e2", "1.5", "-0", "-0.0", "0", "0.1", "2.5e-3", "-12.50",
        "9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
        "123456789012345678901234567890", "9007199254740993.0", "100001.00000000001", "1e18", "1e19", "92233720368547758070e-1",
        "1E+2", "1e-0", "5e-1", "0e5", "-0e-5", "1.7976931348623157e308",
        // refused numbers
        "01", "1.", ".5", "-", "+1", "1e", "1e+", "0x10", "1e400", "-1e400", "Infinity", "NaN", "--1", "1.e3",
        // strings
        #""\u0000""#, #""\ud83d\ude00""#, #""\ud800""#, #""\udc00x""#, #""\ud800\u0041""#, #""a\/b\\c\"d\b\f\n\r\t""#,
        "\"a\tb\"", #""\x""#, #""\u12""#, #""\u12G4""#, #""é✓😀""#, #""""#, #""\""#,
        // structure
        "[1,]", "{\"a\":1,}", " [1] ", "[1] x", "true", "nul", "null", "false", "[]", "{}", "[[]]", "{\"a\":{\"b\":[1,{\"c\":null}]}}",
        "{\"a\":1,\"a\":2}", "{\"A\":1,\"a\":2}", "{\"a\" 1}", "{a:1}", "[1 2]", "{\"a\":1 \"b\":2}", "", " ", "\n[\r\n1\t]\n",
        "[,1]", "{,}", "[\"a\",]", "{\"a\"}", "{\"a\":}", "[1]]", "[[1]", "{\"a\":1}}",
    ])
    func agreesWithFoundation(_ text: String) {
        let bytes = Array(text.utf8)
        let ours = Self.parsed(bytes)
        let theirs = Self.foundation(bytes)
        if text.contains(",]") || text.contains(",}") {
            #expect(ours == nil, "a trailing comma is refused")
        } else {
            #expect(Self.alike(ours, theirs), "\(text): ours \(String(describing: ours)), Foundation \(String(describing: theirs))")
        }
    }

    @Test func theSharedFixturesReadAlike() throws {
        for body in [Fixture.oktaCreateUser, Fixture.oktaPutUser, Fixture.oktaDeactivate, Fixture.oktaGroupCreate,
                     Fixture.oktaGroupMembers, Fixture.oktaGroupRename, Fixture.oktaGroupReplaceEmpty,
                     Fixture.entraDisable, Fixture.entraMultiReplace] {
            let bytes = Array(body.utf8)
            let ours = try JSONValue.parse(bytes)
            #expect(ours == Self.foundation(bytes))
            #expect(try JSONValue.parse(ours.serialized()) == ours, "what the writer prints reads back the same")
        }
    }

    /// Random documents, and every one-byte change of each: the two readers agree on each.
    @Test func randomDocumentsAndTheirMutationsReadAlike() {
        var rng = SplitMix64(seed: 7)
        var compared = 0
        for _ in 0..<300 {
            let text = Self.randomValue(&rng, depth: 0)
            var variants = [Array(text.utf8)]
            for _ in 0..<8 {
                var bytes = Array(text.utf8)
                let i = Int(rng.next() % UInt64(bytes.count))
                let palette: [UInt8] = Array("{}[]\",:\\/0123456789.eE+-tfnu abcx\u{01}".utf8)
                switch rng.next() % 3 {
                case 0: bytes[i] = palette[Int(rng.next() % UInt64(palette.count))]
                case 1: bytes.remove(at: i)
                default: bytes.insert(palette[Int(rng.next() % UInt64(palette.count))], at: i)
                }
                variants.append(bytes)
            }
            for bytes in variants {
                let text = String(decoding: bytes, as: UTF8.self)
                if text.range(of: #",\s*[\]}]"#, options: .regularExpression) != nil { continue }   // refused on purpose
                let ours = Self.parsed(bytes)
                let theirs = Self.foundation(bytes)
                #expect(Self.alike(ours, theirs), "\(text): ours \(String(describing: ours)), Foundation \(String(describing: theirs))")
                compared += 1
            }
        }
        #expect(compared > 2000)
    }

    static func randomValue(_ rng: inout SplitMix64, depth: Int) -> String {
        let numbers = ["0", "-0", "7", "-42", "100001.0", "1e3", "2.5", "-3.25e2", "9223372036854775807",
                       "9223372036854775808", "1e-2", "12345678901234567890", "0.000", "6.02E23"]
        let strings = [#""""#, #""ada""#, #""a\"b""#, #""\u00e9\n""#, #""\ud83d\ude00""#, "\"héllo\"", #""\/\\""#]
        switch rng.next() % (depth > 3 ? 4 : 6) {
        case 0: return numbers[Int(rng.next() % UInt64(numbers.count))]
        case 1: return strings[Int(rng.next() % UInt64(strings.count))]
        case 2: return ["true", "false", "null"][Int(rng.next() % 3)]
        case 3: return numbers[Int(rng.next() % UInt64(numbers.count))]
        case 4:
            let n = Int(rng.next() % 4)
            return "[" + (0..<n).map { _ in randomValue(&rng, depth: depth + 1) }.joined(separator: ", ") + "]"
        default:
            let n = Int(rng.next() % 4)
            return "{" + (0..<n).map { _ in
                strings[Int(rng.next() % UInt64(strings.count))] + ":" + randomValue(&rng, depth: depth + 1)
            }.joined(separator: ",") + "}"
        }
    }
}
