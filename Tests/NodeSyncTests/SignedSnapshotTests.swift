// The node trusts only what it verified: signatures against its trust keys, the org, and the
// serial order of one receiver database. Every refusal leaves the node's files byte-identical.
import Crypto
import Foundation
import NodeSync
import SunkModel
import SunkSnapshot
import Testing
import TestSupport

@Suite("Signed snapshots")
struct SignedSnapshotTests {
    static let instance = "0123456789abcdef0123456789abcdef"

    struct Signer {
        var key = Curve25519.Signing.PrivateKey()
        var org = "default"
        var trustLine: String { TrustedKey(publicKey: [UInt8](key.publicKey.rawRepresentation), org: org).line }

        func sign(_ body: SnapshotBody, instance: String = SignedSnapshotTests.instance, org: String? = nil) throws -> Data {
            let document = SnapshotDocument.make(body: body)
            return try SignedSnapshot.sign(document: document.encoded(), org: org ?? body.org, serial: body.serial,
                                           instance: instance, key: key).encoded()
        }
    }

    static func trust(_ lines: String...) throws -> TrustedKeys {
        try TrustedKeys(parsing: lines.joined(separator: "\n"), source: "test")
    }

    static func sync(_ root: String, _ data: Data, trust: TrustedKeys?, acceptRollback: Bool = false,
                     name: String = "snapshot.json") async throws(SyncError) -> SyncReport {
        let path: String
        do { path = try Fixture.writeSnapshot(data, root: root, name: name) } catch {
            throw .usage("cannot write fixture: \(error)")
        }
        return try await NodeSyncer(source: FileSnapshotSource(path: path),
                                    options: SyncOptions(root: root, trust: trust, acceptRollback: acceptRollback)).run()
    }

    static func body(serial: Int64, users: Int = 3) -> SnapshotBody {
        Fixture.body(users: Fixture.users(users), serial: serial)
    }

    /// Applies a good signed snapshot, then expects `bad` to be refused with `expected` and the
    /// node's files to stay exactly as they were.
    static func expectRefused(_ bad: Data, trust: TrustedKeys, signer: Signer,
                              _ check: (SnapshotError) -> Bool) async throws {
        let root = try Fixture.makeRoot()
        defer { Fixture.remove(root) }
        _ = try await sync(root, try signer.sign(body(serial: 1)), trust: trust)
        let before = NodeFiles(root: root)
        #expect(before.entries["var/lib/extrausers/passwd"] != nil)
        do {
            _ = try await sync(root, bad, trust: trust, name: "bad.json")
            Issue.record("a bad snapshot was applied")
        } catch {
            guard case .snapshot(let inner) = error else {
                Issue.record("unexpected error \(error)")
                return
            }
            #expect(check(inner), "wrong refusal: \(inner)")
        }
        #expect(NodeFiles(root: root) == before, "a refused snapshot changed node files")
        let state = try #require(try SyncState.load(NodePaths(root: root)))
        #expect(state.lastResult == .failed)
        #expect(state.serial == 1)
        #expect(state.lastError?.contains("refused") == true)
    }

    @Test func signedSnapshotIsVerifiedAndApplied() async throws {
        let signer = Signer()
        let root = try Fixture.makeRoot()
        defer { Fixture.remove(root) }
        let report = try await Self.sync(root, try signer.sign(Self.body(serial: 7)), trust: try Self.trust(signer.trustLine))
        #expect(report.result == .applied)
        let state = try #require(try SyncState.load(NodePaths(root: root)))
        #expect(state.instance == Self.instance)
        #expect(state.serial == 7)
        // The kept copy is the signed envelope, so a 304 can be verified again.
        let kept = try #require(FileManager.default.contents(atPath: NodePaths(root: root).lastSnapshot))
        #expect(SignedSnapshot.looksSigned(kept))
    }

    @Test func tamperedDocumentIsRefused() async throws {
        let signer = Signer()
        var bytes = [UInt8](try signer.sign(Self.body(serial: 2)))
        // Flip one character of a user's gecos: the digest is recomputed by nobody, the signature fails.
        let text = String(decoding: bytes, as: UTF8.self)
        let range = try #require(text.range(of: "User u001"))
        let offset = text.utf8.distance(from: text.startIndex, to: range.lowerBound)
        bytes[offset] = UInt8(ascii: "X")
        try await Self.expectRefused(Data(bytes), trust: try Self.trust(signer.trustLine), signer: signer) {
            $0 == .badSignature
        }
    }

    @Test func forgedSignatureIsRefused() async throws {
        let signer = Signer()
        let forger = Signer()
        // The forger's envelope claims the real key but signs with its own.
        let forged = try forger.sign(Self.body(serial: 2))
        var envelope = try SignedSnapshot.parse(forged)
        envelope = SignedSnapshot.assembled(org: envelope.org, serial: envelope.serial, instance: envelope.instance,
                                            publicKey: [UInt8](signer.key.publicKey.rawRepresentation),
                                            signature: envelope.signature, document: envelope.document)
        try await Self.expectRefused(envelope.encoded(), trust: try Self.trust(signer.trustLine), signer: signer) {
            $0 == .badSignature
        }
        // Signed by a key the node does not know at all.
        try await Self.expectRefused(forged, trust: try Self.trust(signer.trustLine), signer: signer) {
            if case .untrustedKey = $0 { return true }
            return false
        }
    }

    @Test func headerSerialChangeBreaksTheSignature() async throws {
        let signer = Signer()
        let good = String(decoding: try signer.sign(Self.body(serial: 2)), as: UTF8.self)
        let bad = Data(good.replacingOccurrences(of: "\nserial 2\n", with: "\nserial 9\n").utf8)
        try await Self.expectRefused(bad, trust: try Self.trust(signer.trustLine), signer: signer) { $0 == .badSignature }
    }

    @Test func anotherOrgsKeyIsRefused() async throws {
        let signer = Signer()
        var other = Signer()
        other.org = "research"
        let trust = try Self.trust(signer.trustLine, other.trustLine)
        // research's key signing a document for default: the key is trusted only for research.
        try await Self.expectRefused(try other.sign(Self.body(serial: 2)), trust: trust, signer: signer) {
            $0 == .wrongOrg(expected: "research", found: "default")
        }
        // A node that only trusts default's key refuses research's key outright.
        try await Self.expectRefused(try other.sign(Self.body(serial: 2)), trust: try Self.trust(signer.trustLine),
                                     signer: signer) {
            if case .untrustedKey = $0 { return true }
            return false
        }
    }

    @Test func validDigestWithoutSignatureIsRefused() async throws {
        let signer = Signer()
        let bare = SnapshotDocument.make(body: Self.body(serial: 2)).encoded()
        #expect(throws: Never.self) { try SnapshotDocument.decode(bare) }
        try await Self.expectRefused(bare, trust: try Self.trust(signer.trustLine), signer: signer) { $0 == .unsigned }
    }

    @Test func signedHeaderMustMatchTheDocument() throws {
        let signer = Signer()
        // A correctly signed envelope whose header names another org than the document inside.
        let data = try signer.sign(Self.body(serial: 3), org: "default")
        let envelope = try SignedSnapshot.parse(data)
        let lying = try SignedSnapshot.sign(document: envelope.document, org: "default", serial: 4,
                                            instance: Self.instance, key: signer.key)
        #expect(throws: SnapshotError.self) { try lying.decodeDocument() }
        #expect(throws: Never.self) { try lying.verify(trust: try Self.trust(signer.trustLine)) }
    }


    /// A document the node built itself (from a delta) spares the parse only when it encodes to
    /// exactly the signed bytes: any other "known" document is ignored, never trusted in their place.
    @Test func knownDocumentIsUsedOnlyWhenItIsTheSignedBytes() throws {
        let signer = Signer()
        let body = Self.body(serial: 5)
        let data = try signer.sign(body)
        let trust = try Self.trust(signer.trustLine)
        let signed = SnapshotDocument.make(body: body)
        var other = body
        other.users[0].keys = [Fixture.key(9, comment: "mallory")]
        let impostor = SnapshotDocument.make(body: other)
        #expect(try SnapshotOpening.open(data, trust: trust, expectedOrg: nil, known: impostor).document == signed)
        #expect(try SnapshotOpening.open(data, trust: trust, expectedOrg: nil, known: signed).document == signed)
        // The signature is checked first, known document or not.
        var flipped = [UInt8](data)
        flipped[flipped.count - 5] ^= 0x01
        #expect(throws: SnapshotError.badSignature) {
            try SnapshotOpening.open(Data(flipped), trust: trust, expectedOrg: nil, known: signed)
        }
    }
    @Test func rollbackFromTheSameInstanceIsRefusedUntilAccepted() async throws {
        let signer = Signer()
        let trust = try Self.trust(signer.trustLine)
        let root = try Fixture.makeRoot()
        defer { Fixture.remove(root) }
        _ = try await Self.sync(root, try signer.sign(Self.body(serial: 5, users: 4)), trust: trust)
        let before = NodeFiles(root: root)
        await #expect(throws: SyncError.rollback(instance: Self.instance, offered: 3, applied: 5)) {
            _ = try await Self.sync(root, try signer.sign(Self.body(serial: 3)), trust: trust)
        }
        #expect(NodeFiles(root: root) == before)
        let refused = try #require(try SyncState.load(NodePaths(root: root)))
        #expect(refused.lastError?.contains("--accept-rollback") == true)
        let report = try await Self.sync(root, try signer.sign(Self.body(serial: 3)), trust: trust, acceptRollback: true)
        #expect(report.result == .applied)
        #expect(try SyncState.load(NodePaths(root: root))?.serial == 3)
        // Once accepted, the serial moves on from there.
        _ = try await Self.sync(root, try signer.sign(Self.body(serial: 4)), trust: trust)
    }

    @Test func anotherInstanceIsAppliedAndReported() async throws {
        let signer = Signer()
        let trust = try Self.trust(signer.trustLine)
        let root = try Fixture.makeRoot()
        defer { Fixture.remove(root) }
        _ = try await Self.sync(root, try signer.sign(Self.body(serial: 9)), trust: trust)
        let fresh = "fedcba9876543210fedcba9876543210"
        let report = try await Self.sync(root, try signer.sign(Self.body(serial: 1, users: 2), instance: fresh), trust: trust)
        #expect(report.result == .applied)
        let state = try #require(try SyncState.load(NodePaths(root: root)))
        #expect(state.instance == fresh)
        #expect(state.instanceChange?.contains(Self.instance) == true)
        let status = StatusReport(state: state, now: Date(), maxAge: 3600).text
        #expect(status.contains("database instance changed from \(Self.instance)"))
    }

    @Test func trustFileRules() throws {
        let signer = Signer()
        let keys = try TrustedKeys(parsing: "# receiver keys\n\n\(signer.trustLine)\n", source: "f")
        #expect(keys.keys.count == 1 && keys.keys[0].org == "default")
        for bad in ["ssh-ed25519 AAAA default", "sunk-bridge-ed25519 bm90IDMyIGJ5dGVz default",
                    signer.trustLine + " extra", "sunk-bridge-ed25519 \(signer.trustLine.split(separator: " ")[1]) Bad_Org", ""] {
            #expect(throws: SnapshotError.self, "accepted \(bad)") { try TrustedKeys(parsing: bad, source: "f") }
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("trust-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/trust.pub"
        try (signer.trustLine + "\n").write(toFile: path, atomically: false, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        #expect(try TrustedKeys.load(path: path) == keys)
        try FileManager.default.setAttributes([.posixPermissions: 0o664], ofItemAtPath: path)
        #expect(throws: SnapshotError.self) { try TrustedKeys.load(path: path) }
        #expect(throws: SnapshotError.self) { try TrustedKeys.load(path: dir + "/missing.pub") }
    }

    @Test func truncatedOrMalformedEnvelopesAreRefused() throws {
        let signer = Signer()
        let good = try signer.sign(Self.body(serial: 2))
        let trust = try Self.trust(signer.trustLine)
        for cut in [10, 40, 120, good.count - 5] {
            #expect(throws: SnapshotError.self, "cut at \(cut)") {
                _ = try SnapshotOpening.open(good.prefix(cut), trust: trust, expectedOrg: nil)
            }
        }
        let text = String(decoding: good, as: UTF8.self)
        for (from, to) in [("\norg default\n", "\norg Default\n"), ("\nserial 2\n", "\nserial 02\n"),
                           ("\ninstance ", "\ninstance x"), ("\nkey sunk-bridge-ed25519 ", "\nkey ssh-ed25519 ")] {
            #expect(throws: SnapshotError.self, "\(to)") {
                _ = try SnapshotOpening.open(Data(text.replacingOccurrences(of: from, with: to).utf8),
                                             trust: trust, expectedOrg: nil)
            }
        }
        #expect(throws: Never.self) { _ = try SnapshotOpening.open(good, trust: trust, expectedOrg: "default") }
        #expect(throws: SnapshotError.wrongOrg(expected: "research", found: "default")) {
            _ = try SnapshotOpening.open(good, trust: trust, expectedOrg: "research")
        }
    }

    /// docs/snapshot.md's Python check, run as printed against a real signed snapshot: the format is
    /// documented well enough for another implementation to verify it.
    @Test func documentedIndependentVerifierAgrees() async throws {
        let docs = try String(contentsOfFile: PackageDebTests.repository() + "/docs/snapshot.md", encoding: .utf8)
        let start = try #require(docs.range(of: "python3 - snapshot.signed trust.pub <<'PY'\n"))
        let end = try #require(docs.range(of: "\nPY\n", range: start.upperBound..<docs.endIndex))
        let script = String(docs[start.upperBound..<end.lowerBound])
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("verify-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let signer = Signer()
        try script.write(toFile: dir + "/verify.py", atomically: false, encoding: .utf8)
        try (signer.trustLine + "\n").write(toFile: dir + "/trust.pub", atomically: false, encoding: .utf8)
        let good = try signer.sign(Self.body(serial: 4))
        try good.write(to: URL(fileURLWithPath: dir + "/good"))
        let ok = try await run("/usr/bin/env", ["python3", dir + "/verify.py", dir + "/good", dir + "/trust.pub"], error: .separate)
        #expect(ok.status == 0 && ok.stdout.contains("signature ok for org default"), "\(ok.stdout)\(ok.stderr)")
        var bad = [UInt8](good)
        bad[bad.count - 3] ^= 0x01
        try Data(bad).write(to: URL(fileURLWithPath: dir + "/bad"))
        let refused = try await run("/usr/bin/env", ["python3", dir + "/verify.py", dir + "/bad", dir + "/trust.pub"], error: .separate)
        #expect(refused.status != 0, "the documented check accepted a tampered document")
    }
}
