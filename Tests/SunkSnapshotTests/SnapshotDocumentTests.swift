// The snapshot document: canonical encoding, digest, decoding and refusal of bad documents.
import Foundation
import SunkModel
import SunkSnapshot
import Testing
import TestSupport

@Suite("Snapshot document")
struct SnapshotDocumentTests {
    @Test func roundTripSortsAndVerifies() throws {
        let body = Fixture.body(users: [Fixture.user("zed", uid: 100002), Fixture.user("ada", uid: 100001)],
                                groups: [Fixture.group("team", gid: 2000001, members: ["zed", "ada", "zed"])])
        let doc = SnapshotDocument.make(body: body)
        #expect(doc.body.users.map(\.name) == ["ada", "zed"])
        #expect(doc.body.groups[0].members == ["ada", "zed"])
        #expect(doc.digest.hasPrefix("sha256:"))
        #expect(doc.digest.count == 7 + 64)
        #expect(doc.digest.dropFirst(7).allSatisfy { "0123456789abcdef".contains($0) })
        let decoded = try SnapshotDocument.decode(doc.encoded())
        #expect(decoded == doc)
        try decoded.validated()
    }

    @Test func wireShapeIsCanonical() throws {
        let doc = SnapshotDocument.make(body: Fixture.body(users: [Fixture.user("ada", uid: 100001)]))
        let text = String(decoding: doc.encoded(), as: UTF8.self)
        #expect(text.hasPrefix("{\"body\":{\"groups\":[],\"org\":\"default\""))
        #expect(text.contains("\"format\":\"sunk-bridge.snapshot.v1\""))
        #expect(text.contains("\"publishedAt\":\"2026-11-18T11:06:40Z"))
        #expect(text.contains("\"home\":\"/home/ada\""))   // slashes are not escaped
        // The digest covers exactly the canonical encoding of the body.
        let canonical = String(decoding: SnapshotDocument.canonicalEncoding(of: doc.body), as: UTF8.self)
        #expect(text.hasPrefix("{\"body\":" + canonical + ",\"digest\":\"" + doc.digest + "\""))
        // Encoding is deterministic.
        #expect(SnapshotDocument.make(body: doc.body).encoded() == doc.encoded())
    }

    @Test func publishedAtIsWholeSecondsUTC() {
        #expect(SnapshotTime.format(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00Z")
        #expect(SnapshotTime.parse("2026-11-29T10:00:00Z") == Date(timeIntervalSince1970: 1_795_946_400))
        #expect(SnapshotTime.parse("2026-11-29T10:00:00+01:00") == nil)
        #expect(SnapshotTime.parse("2026-13-29T10:00:00Z") == nil)
    }

    @Test func tamperedBodyIsDigestMismatch() throws {
        let doc = SnapshotDocument.make(body: Fixture.body(users: [Fixture.user("ada", uid: 100001)]))
        let text = String(decoding: doc.encoded(), as: UTF8.self).replacingOccurrences(of: "100001", with: "100002")
        #expect(throws: SnapshotError.self) { try SnapshotDocument.decode(Data(text.utf8)) }
        do {
            _ = try SnapshotDocument.decode(Data(text.utf8))
        } catch {
            guard case .digestMismatch(let expected, _) = error else {
                Issue.record("expected digestMismatch, got \(error)")
                return
            }
            #expect(expected == doc.digest)
        }
    }

    @Test func truncatedDocument() {
        let data = SnapshotDocument.make(body: Fixture.body(users: Fixture.users(3))).encoded()
        #expect(throws: SnapshotError.truncated(byteCount: data.count - 20)) {
            try SnapshotDocument.decode(data.prefix(data.count - 20))
        }
        #expect(throws: SnapshotError.truncated(byteCount: 0)) { try SnapshotDocument.decode(Data()) }
    }

    @Test func wrongFormatAndMalformed() {
        #expect(throws: SnapshotError.badFormat(found: "sunk-bridge.snapshot.v9")) {
            try SnapshotDocument.decode(Data(#"{"format":"sunk-bridge.snapshot.v9","digest":"x","body":{}}"#.utf8))
        }
        #expect(throws: SnapshotError.badFormat(found: "(missing)")) {
            try SnapshotDocument.decode(Data(#"{"digest":"x"}"#.utf8))
        }
        do {
            _ = try SnapshotDocument.decode(Data(#"{"format":"sunk-bridge.snapshot.v1","digest":"x","body":{"org":"a"}}"#.utf8))
            Issue.record("a body without fields was accepted")
        } catch {
            guard case .malformed(let detail) = error else { Issue.record("got \(error)"); return }
            #expect(detail.contains("missing field"))
        }
    }

    @Test func errorsReadWell() {
        #expect(SnapshotError.truncated(byteCount: 10).description.contains("truncated after 10 bytes"))
        #expect(SnapshotError.invalidEntry("user \"x\": bad").description == "snapshot refused: user \"x\": bad")
    }
}

@Suite("Snapshot re-validation")
struct SnapshotValidationTests {
    /// Each entry is injected into an otherwise good snapshot with a correct digest (an attacker who
    /// controls the server or the file): the whole snapshot must be refused, naming the entry.
    static let hostile: [(String, SnapshotUser, String)] = [
        ("reserved name root", Fixture.user("root", uid: 100005), "\"root\""),
        ("uid 0", Fixture.user("evil", uid: 0, gid: 100005), "sunkPosixUserId"),
        ("gid 0", Fixture.user("evil", uid: 100005, gid: 0), "sunkPosixGroupId"),
        ("reserved uid 65534", Fixture.user("evil", uid: 65534), "sunkPosixUserId"),
        ("home /etc", Fixture.user("evil", uid: 100005, home: "/etc"), "sunkPreferredHomeDirectory"),
        ("home with ..", Fixture.user("evil", uid: 100005, home: "/home/../etc"), "sunkPreferredHomeDirectory"),
        ("key with command=", Fixture.user("evil", uid: 100005,
            keys: ["command=\"/bin/sh\" " + Fixture.key(9)]), "sunkSshKeys"),
        ("non-canonical key", Fixture.user("evil", uid: 100005,
            keys: [Fixture.key(9).replacingOccurrences(of: " ", with: "  ")]), "sunkSshKeys"),
        ("shell not allowed", Fixture.user("evil", uid: 100005, shell: "/tmp/sh"), "sunkLoginShell"),
        ("gecos with colon", Fixture.user("evil", uid: 100005, gecos: "a:b"), "gecos"),
        ("newline in name", Fixture.user("ev\nil", uid: 100005), "sunkPosixUsername"),
        ("uppercase name", Fixture.user("Evil", uid: 100005), "sunkPosixUsername"),
    ]

    @Test(arguments: 0..<hostile.count)
    func hostileUserRefusesWholeSnapshot(_ index: Int) throws {
        let (label, bad, needle) = Self.hostile[index]
        let doc = SnapshotDocument.make(body: Fixture.body(users: Fixture.users(3) + [bad]))
        let decoded = try SnapshotDocument.decode(doc.encoded())   // digest is fine
        do {
            try decoded.validated()
            Issue.record("\(label): accepted")
        } catch {
            guard case .invalidEntry(let detail) = error else { Issue.record("\(label): \(error)"); return }
            #expect(detail.contains("user "), "\(label): \(detail)")
            #expect(detail.contains(needle), "\(label): \(detail)")
        }
    }

    @Test func duplicatesAndUnknownMembersRefused() {
        let cases: [(String, SnapshotBody, String)] = [
            ("duplicate uid", Fixture.body(users: [Fixture.user("a1", uid: 100001), Fixture.user("b1", uid: 100001)]),
             "uid 100001"),
            ("duplicate name", Fixture.body(users: [Fixture.user("a1", uid: 100001), Fixture.user("a1", uid: 100002)]),
             "duplicate user name"),
            ("nested home", Fixture.body(users: [Fixture.user("a1", uid: 100001),
                                                 Fixture.user("b1", uid: 100002, home: "/home/a1/b1")]), "inside"),
            ("unknown member", Fixture.body(users: [Fixture.user("a1", uid: 100001)],
                                            groups: [Fixture.group("g1", gid: 2000001, members: ["ghost"])]),
             "ghost"),
            ("duplicate gid", Fixture.body(users: [], groups: [Fixture.group("g1", gid: 2000001, members: []),
                                                              Fixture.group("g2", gid: 2000001, members: [])]),
             "gid 2000001"),
            ("reserved group", Fixture.body(users: [], groups: [Fixture.group("sudo", gid: 2000001, members: [])]),
             "group \"sudo\""),
        ]
        for (label, body, needle) in cases {
            do {
                try SnapshotDocument.make(body: body).validated()
                Issue.record("\(label): accepted")
            } catch {
                #expect(error.description.contains(needle), "\(label): \(error)")
            }
        }
    }

    @Test func unsortedDocumentRefused() throws {
        // Hand-built body in the wrong order with a correct digest.
        var body = SnapshotDocument.make(body: Fixture.body(users: Fixture.users(2))).body
        body.users.reverse()
        let doc = try SnapshotDocument.decode(Self.encodeRaw(body))
        #expect(throws: SnapshotError.self) { try doc.validated() }
    }

    /// A document for `body` exactly as given (no canonical sorting), with its correct digest.
    static func encodeRaw(_ body: SnapshotBody) -> Data {
        let bodyJSON = String(decoding: SnapshotDocument.canonicalEncoding(of: body), as: UTF8.self)
        let text = "{\"body\":\(bodyJSON),\"digest\":\"\(SnapshotDocument.digest(of: body))\",\"format\":\"\(SnapshotDocument.format)\"}"
        return Data(text.utf8)
    }
}
