// A delta between two published snapshots of one org: the entries upserted and removed since
// `fromSerial`, and the receiver's signature over the full snapshot at `serial`. A node applies it
// to the snapshot it holds, rebuilds the canonical document and verifies that signature: what it
// applies is byte for byte the snapshot the receiver published, so a delta can save bandwidth but
// never change what a node trusts. Served inside the same signed envelope as a snapshot; its
// `format` keeps a delta from ever being read as a snapshot (and the reverse).
import Foundation
import SunkModel

/// `{"format":"sunk-bridge.delta.v1","org":…,"fromSerial":…,"serial":…,"publishedAt":…,
/// "policy":…?,"users":[…],"removedUsers":[ids],"groups":[…],"removedGroups":[ids],"skipped":[…],
/// "target":{"key":…,"signature":…}}` (`docs/snapshot.md`, "Deltas").
public struct SnapshotDelta: Codable, Equatable, Sendable {
    public static let format = "sunk-bridge.delta.v1"

    /// The receiver's signature over the full snapshot at `serial` (its envelope's `key` and `signature`).
    public struct Target: Codable, Equatable, Sendable {
        /// `sunk-bridge-ed25519 <base64>`, as in the envelope's `key` line.
        public var key: String
        /// Base64 of the 64-byte signature.
        public var signature: String
    }

    public var format: String
    public var org: String
    public var fromSerial: Int64
    public var serial: Int64
    /// `publishedAt` of the snapshot at `serial` (`SnapshotTime` format).
    public var publishedAt: String
    /// The policy at `serial` when it differs from the one at `fromSerial`.
    public var policy: Policy?
    /// Users added or changed since `fromSerial` (by SCIM id).
    public var users: [SnapshotUser]
    public var removedUsers: [String]
    public var groups: [SnapshotGroup]
    public var removedGroups: [String]
    /// The whole `skipped` list at `serial` (short: refused entries only).
    public var skipped: [SkippedEntry]
    public var target: Target

    /// The ids whose entries differ (added, changed or removed) between two publications, and
    /// whether the policy did: what a delta carries, and what a receiver's change log keeps per step.
    public struct Changes: Sendable, Equatable {
        public var users: Set<String> = []
        public var groups: Set<String> = []
        public var policy = false

        public init(users: Set<String> = [], groups: Set<String> = [], policy: Bool = false) {
            self.users = users
            self.groups = groups
            self.policy = policy
        }

        public mutating func formUnion(_ other: Changes) {
            users.formUnion(other.users)
            groups.formUnion(other.groups)
            policy = policy || other.policy
        }

        /// Touched ids, users and groups together.
        public var count: Int { users.count + groups.count }
    }

    /// What differs between `old` and `new` (by SCIM id).
    public static func changes(from old: SnapshotBody, to new: SnapshotBody) -> Changes {
        Changes(users: touched(old.users, new.users, id: \.id), groups: touched(old.groups, new.groups, id: \.id),
                policy: old.policy != new.policy)
    }

    private static func touched<Entry: Equatable>(_ old: [Entry], _ new: [Entry], id: KeyPath<Entry, String>)
        -> Set<String>
    {
        var before = Dictionary(old.map { ($0[keyPath: id], $0) }, uniquingKeysWith: { first, _ in first })
        var ids = Set<String>()
        for entry in new {
            let key = entry[keyPath: id]
            if before.removeValue(forKey: key) != entry { ids.insert(key) }
        }
        ids.formUnion(before.keys)   // in old only: removed
        return ids
    }

    /// The delta that turns `old` into `new` (both canonical bodies of one org), carrying the
    /// signature of `new`'s published envelope.
    public static func between(_ old: SnapshotBody, _ new: SnapshotBody, target: SignedSnapshot) -> SnapshotDelta {
        touching(changes(from: old, to: new), fromSerial: old.serial, to: new,
                 targetKey: target.publicKey, targetSignature: target.signature)
    }

    /// The delta from `fromSerial` to `new` when only the entries `changes` names may differ (what
    /// a receiver's change log knows): each touched id is upserted from `new`, or removed when `new`
    /// lacks it. An id touched but unchanged costs bytes, never correctness: the node verifies the
    /// result against `target` either way.
    public static func touching(_ changes: Changes, fromSerial: Int64, to new: SnapshotBody,
                                targetKey: [UInt8], targetSignature: [UInt8]) -> SnapshotDelta {
        let users = new.users.filter { changes.users.contains($0.id) }
        let groups = new.groups.filter { changes.groups.contains($0.id) }
        return SnapshotDelta(
            format: format, org: new.org, fromSerial: fromSerial, serial: new.serial,
            publishedAt: SnapshotTime.format(new.publishedAt), policy: changes.policy ? new.policy : nil,
            users: users, removedUsers: changes.users.subtracting(users.map(\.id)).sorted(),
            groups: groups, removedGroups: changes.groups.subtracting(groups.map(\.id)).sorted(),
            skipped: new.skipped,
            target: Target(key: TrustedKey.algorithm + " " + Data(targetKey).base64EncodedString(),
                           signature: Data(targetSignature).base64EncodedString()))
    }

    /// The body at `serial`: `base` (the body at `fromSerial`) with this delta applied, canonicalised.
    public func applied(to base: SnapshotBody) throws(SnapshotError) -> SnapshotBody {
        guard base.org == org else { throw .wrongOrg(expected: base.org, found: org) }
        guard base.serial == fromSerial else {
            throw .deltaMismatch("it starts at serial \(fromSerial), this node holds serial \(base.serial)")
        }
        guard let published = SnapshotTime.parse(publishedAt) else {
            throw .malformed("delta publishedAt \"\(publishedAt.prefix(40))\" is not a UTC time")
        }
        var users = Dictionary(base.users.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        for id in removedUsers { users[id] = nil }
        for user in self.users { users[user.id] = user }
        var groups = Dictionary(base.groups.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        for id in removedGroups { groups[id] = nil }
        for group in self.groups { groups[group.id] = group }
        return SnapshotBody(org: org, serial: serial, publishedAt: published, policy: policy ?? base.policy,
                            users: Array(users.values), groups: Array(groups.values), skipped: skipped)
            .canonicalized()
    }

    /// The canonical bytes served inside the envelope.
    public func encoded() -> Data {
        do { return try SnapshotDocument.canonicalEncoder().encode(self) } catch {
            preconditionFailure("delta failed to encode: \(error)")
        }
    }

    public static func decode(_ data: Data) throws(SnapshotError) -> SnapshotDelta {
        struct Header: Decodable { var format: String? }
        let format = (try? JSONDecoder().decode(Header.self, from: data))?.format ?? ""
        guard format == Self.format else { throw .badFormat(found: format) }
        do { return try JSONDecoder().decode(SnapshotDelta.self, from: data) } catch {
            throw .malformed("delta: \(error)")
        }
    }
}

/// How a node turns a signed delta into the next snapshot, every check included.
public enum DeltaOpening {
    /// Checks the delta's envelope against `trust` (before its body is parsed), that it continues the
    /// snapshot the node holds (`base`: the kept signed snapshot, same org, database instance and
    /// serial), applies it, and verifies the receiver's signature over the rebuilt snapshot. The
    /// result is opened exactly as a downloaded snapshot would be; its `bytes` are that snapshot's
    /// signed envelope, fit to be kept for the next delta.
    public static func open(_ data: Data, base: Data, trust: TrustedKeys,
                            expectedOrg: String?) throws(SnapshotError) -> SnapshotOpening.Opened {
        let envelope = try SignedSnapshot.parse(data)
        try envelope.verify(trust: trust)
        if let expectedOrg, envelope.org != expectedOrg { throw .wrongOrg(expected: expectedOrg, found: envelope.org) }
        let held = try SnapshotOpening.open(base, trust: trust, expectedOrg: expectedOrg)
        guard let heldEnvelope = held.envelope else { throw .deltaMismatch("the node holds no signed snapshot") }
        guard heldEnvelope.instance == envelope.instance else {
            throw .deltaMismatch("it is from database instance \(envelope.instance), the node's snapshot from \(heldEnvelope.instance)")
        }
        let delta = try SnapshotDelta.decode(envelope.document)
        guard delta.org == envelope.org, delta.serial == envelope.serial else {
            throw .badEnvelope("the delta's org and serial differ from its envelope's")
        }
        let body = try delta.applied(to: held.document.body)
        let keyPrefix = TrustedKey.algorithm + " "
        guard delta.target.key.hasPrefix(keyPrefix),
              let key = Data(base64Encoded: String(delta.target.key.dropFirst(keyPrefix.count))), key.count == 32,
              let signature = Data(base64Encoded: delta.target.signature), signature.count == 64 else {
            throw .malformed("delta target is not a key and a signature")
        }
        let document = SnapshotDocument.make(body: body)
        let rebuilt = SignedSnapshot.assembled(org: delta.org, serial: delta.serial, instance: envelope.instance,
                                               publicKey: [UInt8](key), signature: [UInt8](signature),
                                               document: document.encoded())
        do {
            return try SnapshotOpening.open(rebuilt.encoded(), trust: trust, expectedOrg: expectedOrg, known: document)
        } catch .badSignature {
            throw .deltaMismatch("the snapshot it yields is not the one the receiver signed at serial \(delta.serial)")
        }
    }
}
