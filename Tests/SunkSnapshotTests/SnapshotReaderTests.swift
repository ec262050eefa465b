import Foundation
import SunkModel
import Testing
@testable import SunkSnapshot

/// `SnapshotReader`, the fast path of `SnapshotDocument.decode`: it must read exactly what
/// `JSONDecoder` reads, and step aside (nil) for whatever it does not read exactly.
@Suite struct SnapshotReaderTests {
    struct Wire: Codable { var format: String; var digest: String; var body: SnapshotBody }

    static func jsonDecoder(_ data: Data) throws -> Wire { try JSONDecoder().decode(Wire.self, from: data) }

    static var awkwardBody: SnapshotBody {
        let odd = CanonicalJSONTests.awkward
        var policy = Policy.default
        policy.groupNameMappings = ["b-x": "bx"]
        return SnapshotBody(
            org: odd, serial: 7, publishedAt: Date(timeIntervalSince1970: 1_795_000_000), policy: policy,
            users: [SnapshotUser(id: odd, userName: odd, name: "odd", uid: UInt32.max, gid: 0, gecos: odd, home: odd,
                                 shell: odd, keys: [odd, ""], active: false)],
            groups: [SnapshotGroup(id: "g", displayName: odd, name: "g", gid: 1, members: [odd])],
            skipped: [SkippedEntry(id: odd, userName: odd, reason: odd)])
    }

    @Test("the canonical document, awkward strings included, reads as JSONDecoder reads it")
    func canonical() throws {
        let data = SnapshotDocument.make(body: Self.awkwardBody).encoded()
        let read = try #require(SnapshotReader.read(data))
        let expected = try Self.jsonDecoder(data)
        #expect(read.body == expected.body && read.digest == expected.digest && read.format == expected.format)
        let large = SnapshotDocument.make(body: Fixture.body(users: Fixture.users(300),
                                                             groups: [Fixture.group("g", gid: 5000, members: ["u001"])]))
        #expect(SnapshotReader.read(large.encoded())?.body == large.body)
    }

    @Test("whitespace, other key orders, unknown fields and every escape read as JSONDecoder reads them")
    func otherSpellings() throws {
        let data = SnapshotDocument.make(body: Self.awkwardBody).encoded()
        let object = try JSONSerialization.jsonObject(with: data)
        let pretty = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted])
        #expect(try #require(SnapshotReader.read(pretty)).body == (try Self.jsonDecoder(pretty)).body)
        let escaped = Data(#"""
            { "format" : "sunk-bridge.snapshot.v1", "extra": {"a": [1, -2, true, false, null, "x"]},
              "body": {"users": [], "skipped": [{"reason": "\u00e9\ud83e\uddea\/\b\f\n\r\t\"\\", "id": "s",
              "userName": "\u0041"}], "serial": -3, "publishedAt": "2026-11-29T10:00:00Z", "org": "o",
              "policy": {}, "groups": [] , "unknown": 1},
              "digest": "sha256:00" }
            """#.utf8)
        let read = try #require(SnapshotReader.read(escaped))
        let expected = try Self.jsonDecoder(escaped)
        #expect(read.body == expected.body)
        #expect(read.body.skipped[0].reason == "é🧪/\u{08}\u{0C}\n\r\t\"\\")
    }

    @Test("steps aside for what it does not read exactly", arguments: [
        #"{"format":"f","format":"g","digest":"d","body":{}}"#,             // a duplicate key
        #"{"format":"f","digest":"d","body":{"serial":1.0}}"#,               // a number with a fraction
        #"{"format":"f","digest":"d","body":{"serial":01}}"#,                // a leading zero
        #"{"format":"f","digest":"d","body":{"org":null}}"#,                 // null where a value is due
        #"{"format":"f","digest":"d","body":{"org":"a"}}"#,                  // missing fields
        #"{"format":"f","digest":"d","body":{"org":"a\ud800"}}"#,            // a lone surrogate
        #"{"format":"f","digest":"d","body""#,                              // truncated
        #"{"format":"f","digest":"d"} x"#,                                   // trailing bytes
    ])
    func stepsAside(_ text: String) {
        #expect(SnapshotReader.read(Data(text.utf8)) == nil)
    }

    @Test("the store's key lists: JSONEncoder's output (slashes escaped) reads back; anything else steps aside")
    func stringArrays() throws {
        let keys = ["ssh-ed25519 AAAA/x+y== a@b", "k \"quoted\" é", ""]
        let stored = String(decoding: try JSONEncoder().encode(keys), as: UTF8.self)
        #expect(stored.contains("\\/"), "JSONEncoder escapes slashes by default: the case that matters")
        #expect(SnapshotReader.stringArray(stored) == keys)
        #expect(SnapshotReader.stringArray(" [ ] ") == [])
        for other in ["", "[1]", "[\"a\",]", "[\"a\"] x", "{\"a\":1}", "[null]"] {
            #expect(SnapshotReader.stringArray(other) == nil, "\(other)")
        }
    }

    @Test("decode's errors are JSONDecoder's whatever the fast path did")
    func errorsUnchanged() {
        #expect(throws: SnapshotError.badFormat(found: "(missing)")) {
            try SnapshotDocument.decode(Data(#"{"digest":"x"}"#.utf8))
        }
        let good = SnapshotDocument.make(body: Fixture.body(users: Fixture.users(2))).encoded()
        #expect(throws: SnapshotError.truncated(byteCount: good.count - 1)) {
            try SnapshotDocument.decode(good.prefix(good.count - 1))
        }
    }
}
