import Foundation
import SunkModel
import Testing
@testable import SunkSnapshot

/// `CanonicalJSON` writes by hand what the digest rule defines as `JSONEncoder`'s output
/// (`[.sortedKeys, .withoutEscapingSlashes]`): these tests hold the two byte for byte, for every
/// field of every snapshot type and every class of character a string can carry.
@Suite struct CanonicalJSONTests {
    /// Every byte below 0x20, the characters JSON escapes, `/`, DEL, and non-ASCII of each UTF-8 length
    /// (including U+2028, which some encoders escape).
    static let awkward = (0..<0x20).map { String(UnicodeScalar(UInt8($0))) }.joined()
        + "\"\\/\u{7F} é ß \u{2028}\u{2029} 漢字 🧪 a\"b\\c/d"

    static func oracle(_ body: SnapshotBody) throws -> [UInt8] {
        Array(try SnapshotDocument.canonicalEncoder().encode(body))
    }

    @Test("every field of a body, with awkward strings, encodes as JSONEncoder does")
    func everyField() throws {
        var odd = SnapshotUser(id: Self.awkward, userName: Self.awkward, name: "odd", uid: 0, gid: UInt32.max,
                               gecos: Self.awkward, home: Self.awkward, shell: Self.awkward,
                               keys: [Self.awkward, ""], active: false)
        let plain = SnapshotUser(id: "u-1", userName: "ada@example.com", name: "ada", uid: 100001, gid: 100001,
                                 gecos: "Ada", home: "/home/ada", shell: "/bin/bash", keys: [], active: true)
        odd.keys.append("ssh-ed25519 AAAA x")
        var policy = Policy.default
        policy.groupNameMappings = ["b-x": "bx", "b_x": "b_x2", "A": "a"]
        policy.keyOptions = "restrict"
        let body = SnapshotBody(
            org: Self.awkward, serial: Int64.max, publishedAt: Date(timeIntervalSince1970: 1_795_000_000),
            policy: policy, users: [plain, odd],
            groups: [SnapshotGroup(id: Self.awkward, displayName: Self.awkward, name: "g", gid: 7,
                                   members: ["ada", Self.awkward]),
                     SnapshotGroup(id: "e", displayName: "", name: "h", gid: 0, members: [])],
            skipped: [SkippedEntry(id: Self.awkward, userName: Self.awkward, reason: Self.awkward)])
        let expected = try Self.oracle(body)
        let written = CanonicalJSON.encode(body)
        #expect(written == expected, "\(String(decoding: written, as: UTF8.self))\n!=\n\(String(decoding: expected, as: UTF8.self))")
    }

    @Test("empty lists and a negative serial")
    func emptyAndNegative() throws {
        let body = SnapshotBody(org: "", serial: -42, publishedAt: Date(timeIntervalSince1970: 0), policy: .default,
                                users: [], groups: [], skipped: [])
        #expect(CanonicalJSON.encode(body) == (try Self.oracle(body)))
    }

    @Test("the whole document is the canonical body inside {body, digest, format}, as JSONEncoder writes it")
    func wholeDocument() throws {
        let document = SnapshotDocument.make(body: Fixture.body(users: Fixture.users(50)))
        struct Wire: Encodable { var format: String; var digest: String; var body: SnapshotBody }
        let expected = try SnapshotDocument.canonicalEncoder().encode(
            Wire(format: SnapshotDocument.format, digest: document.digest, body: document.body))
        #expect(document.encoded() == expected)
        #expect(try SnapshotDocument.decode(document.encoded()) == document)
    }
}
