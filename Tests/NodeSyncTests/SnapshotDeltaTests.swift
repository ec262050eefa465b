// Deltas between published snapshots: applying one to the snapshot a node holds yields, byte for
// byte, the snapshot the receiver signed at the new serial — or it is refused.
import Crypto
import Foundation
import SunkModel
import SunkSnapshot
import Testing

@Suite("Snapshot deltas")
struct SnapshotDeltaTests {
    static let instance = SignedSnapshotTests.instance
    let signer = SignedSnapshotTests.Signer()
    var trust: TrustedKeys { get throws { try SignedSnapshotTests.trust(signer.trustLine) } }

    static func bodies() -> (old: SnapshotBody, new: SnapshotBody) {
        let ada = Fixture.user("ada", uid: 100001)
        let bob = Fixture.user("bob", uid: 100002)
        let cleo = Fixture.user("cleo", uid: 100003)
        let old = Fixture.body(users: [ada, bob, cleo],
                               groups: [Fixture.group("hpc", gid: 200001, members: ["ada", "bob"])], serial: 7)
        var ada2 = ada
        ada2.keys = [Fixture.key(99, comment: "ada@new-laptop")]
        var policy = Policy.default
        policy.maxKeys = 8
        let new = Fixture.body(users: [ada2, cleo, Fixture.user("dan", uid: 100004)],
                               groups: [Fixture.group("hpc", gid: 200001, members: ["ada", "dan"])],
                               policy: policy, serial: 9)
        return (old, new)
    }

    func envelope(_ body: SnapshotBody, instance: String = Self.instance) throws -> SignedSnapshot {
        try SignedSnapshot.sign(document: SnapshotDocument.make(body: body).encoded(), org: body.org, serial: body.serial,
                                instance: instance, key: signer.key)
    }

    func signedDelta(_ delta: SnapshotDelta, instance: String = Self.instance) throws -> Data {
        try SignedSnapshot.sign(document: delta.encoded(), org: delta.org, serial: delta.serial, instance: instance,
                                key: signer.key).encoded()
    }

    @Test("between/applied: the delta names only what changed and rebuilds the new body exactly")
    func roundTrip() throws {
        let (old, new) = Self.bodies()
        let delta = SnapshotDelta.between(SnapshotDocument.make(body: old).body, SnapshotDocument.make(body: new).body,
                                          target: try envelope(new))
        #expect(delta.users.map(\.name).sorted() == ["ada", "dan"])
        #expect(delta.removedUsers == ["id-bob"])
        #expect(delta.groups.map(\.name) == ["hpc"] && delta.removedGroups.isEmpty)
        #expect(delta.policy?.maxKeys == 8)
        #expect(try delta.applied(to: SnapshotDocument.make(body: old).body) == SnapshotDocument.make(body: new).body)
        let same = SnapshotDelta.between(SnapshotDocument.make(body: new).body, SnapshotDocument.make(body: new).body,
                                         target: try envelope(new))
        #expect(same.users.isEmpty && same.removedUsers.isEmpty && same.groups.isEmpty && same.policy == nil)
    }

    @Test("opening a delta over the held snapshot gives the receiver's signed snapshot byte for byte")
    func opening() throws {
        let (old, new) = Self.bodies()
        let target = try envelope(new)
        let delta = SnapshotDelta.between(SnapshotDocument.make(body: old).body, SnapshotDocument.make(body: new).body,
                                          target: target)
        let opened = try DeltaOpening.open(try signedDelta(delta), base: try envelope(old).encoded(), trust: try trust,
                                           expectedOrg: "default")
        #expect(opened.bytes == target.encoded(), "the node keeps exactly what the receiver published")
        #expect(opened.document == SnapshotDocument.make(body: new))
        // A delta is never read as a snapshot.
        #expect(throws: SnapshotError.badFormat(found: SnapshotDelta.format)) {
            try SnapshotOpening.open(try signedDelta(delta), trust: try trust, expectedOrg: nil)
        }
    }

    @Test("refused: another instance, another starting serial, entries that do not yield the signed snapshot, an untrusted key")
    func refusals() throws {
        let (old, new) = Self.bodies()
        let base = try envelope(old).encoded()
        let delta = SnapshotDelta.between(SnapshotDocument.make(body: old).body, SnapshotDocument.make(body: new).body,
                                          target: try envelope(new))
        let trust = try trust

        let otherInstance = String(repeating: "f", count: 32)
        #expect(throws: SnapshotError.self) {
            try DeltaOpening.open(try signedDelta(delta, instance: otherInstance), base: base, trust: trust, expectedOrg: nil)
        }
        var skipping = delta
        skipping.fromSerial = 8
        do {
            _ = try DeltaOpening.open(try signedDelta(skipping), base: base, trust: trust, expectedOrg: nil)
            Issue.record("a delta from serial 8 applied over serial 7")
        } catch {
            #expect(error as? SnapshotError == .deltaMismatch("it starts at serial 8, this node holds serial 7"))
        }
        // Signed by the org's key but its entries differ from what that key signed at serial 9.
        var forged = delta
        forged.users[0].keys = [Fixture.key(7, comment: "mallory")]
        do {
            _ = try DeltaOpening.open(try signedDelta(forged), base: base, trust: trust, expectedOrg: nil)
            Issue.record("a delta that does not yield the signed snapshot was applied")
        } catch {
            #expect("\(error)".contains("is not the one the receiver signed at serial 9"), "\(error)")
        }
        // A flipped byte in the delta's body: its own envelope signature fails first.
        var bytes = [UInt8](try signedDelta(delta))
        bytes[bytes.count - 10] ^= 0x01
        #expect(throws: SnapshotError.badSignature) {
            try DeltaOpening.open(Data(bytes), base: base, trust: trust, expectedOrg: nil)
        }
        let stranger = SignedSnapshotTests.Signer()
        #expect(throws: SnapshotError.self) {
            try DeltaOpening.open(try signedDelta(delta), base: base, trust: try SignedSnapshotTests.trust(stranger.trustLine),
                                  expectedOrg: nil)
        }
    }

    @Test("a one-user change at 10,000 users is a few KB against the full snapshot")
    func size() throws {
        let users = Fixture.users(10_000)
        let old = Fixture.body(users: users, serial: 1)
        var changed = users
        changed[4_321].keys = [Fixture.key(1, comment: "rotated")]
        let new = Fixture.body(users: changed, serial: 2)
        let target = try envelope(new)
        let delta = try signedDelta(SnapshotDelta.between(SnapshotDocument.make(body: old).body,
                                                          SnapshotDocument.make(body: new).body, target: target))
        let full = target.encoded().count
        #expect(delta.count < 4096, "delta \(delta.count) bytes")
        #expect(full > 100 * delta.count, "full \(full) bytes, delta \(delta.count) bytes")
        let opened = try DeltaOpening.open(delta, base: try envelope(old).encoded(), trust: try trust, expectedOrg: nil)
        #expect(opened.bytes == target.encoded())
    }
}
