// slurm sync opens the snapshot with sync's own check (SnapshotOpening.open, then validated()):
// only a document signed by a trusted key for the expected org is ever planned from.
import Crypto
import Foundation
import SlurmSync
import SunkSnapshot
import Testing

@Suite("slurm sync: the snapshot's signature")
struct SlurmSignatureTests {
    static let document = SnapshotDocument.make(body: body(users: [user("ada", uid: 1_000_001)],
                                                           groups: [("slurm-physics", ["ada"])]))

    static func signed(org: String = "default", key: Curve25519.Signing.PrivateKey) throws -> Data {
        var b = document.body
        b.org = org
        let d = SnapshotDocument.make(body: b)
        return try SignedSnapshot.sign(document: d.encoded(), org: org, serial: d.body.serial,
                                       instance: String(repeating: "a", count: 32), key: key).encoded()
    }

    @Test("signed by a trusted key: opened; another key, unsigned, another org, altered: refused")
    func trust() throws {
        let key = Curve25519.Signing.PrivateKey()
        let trust = TrustedKeys(keys: [TrustedKey(publicKey: [UInt8](key.publicKey.rawRepresentation), org: "default")])
        let good = try Self.signed(key: key)
        #expect(try SlurmSyncer.open(good, trust: trust, expectedOrg: "default").body.users.map(\.name) == ["ada"])
        #expect(throws: SlurmSyncError.self) {
            try SlurmSyncer.open(try Self.signed(key: Curve25519.Signing.PrivateKey()), trust: trust, expectedOrg: "default")
        }
        #expect(throws: SlurmSyncError.self) {
            try SlurmSyncer.open(try Self.document.encoded(), trust: trust, expectedOrg: "default")
        }
        #expect(throws: SlurmSyncError.self) { try SlurmSyncer.open(good, trust: trust, expectedOrg: "research") }
        var altered = good
        let i = altered.range(of: Data("\"ada\"".utf8))!.lowerBound
        altered[i + 1] = UInt8(ascii: "e")   // "eda"
        #expect(throws: SlurmSyncError.self) { try SlurmSyncer.open(altered, trust: trust, expectedOrg: "default") }
    }
}
