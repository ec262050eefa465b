// Snapshot signing: the database's instance id and each org's Ed25519 keys (current, previous).
import Crypto
import Foundation
import GRDB
import SunkModel
import SunkSnapshot

/// Key material and ids kept in the database. Private keys never leave it: not in a snapshot, not
/// in any output; only `SQLiteStore.trustKeys` prints public keys.
package enum SigningKeys {
    /// 16 random bytes as 32 lowercase hex digits.
    package static func newInstanceID() -> String {
        var rng = SystemRandomNumberGenerator()
        return Hex.lowercase((0..<16).map { _ in UInt8.random(in: .min ... .max, using: &rng) })
    }

    /// Makes a new key and records it as the org's current one.
    @discardableResult
    static func insertCurrent(_ db: Database, orgID: Int64) throws -> TrustedKey {
        let key = Publication.newKey()
        try SigningKeyRecord(id: nil, orgID: orgID, privateKey: key.privateKey, publicKey: key.publicKey,
                             state: "current", createdAt: StoreClock.now()).insert(db)
        let org = try OrgRecord.fetchOne(db, key: orgID)?.name ?? ""
        return TrustedKey(publicKey: [UInt8](key.publicKey), org: org)
    }

    static func currentKey(_ db: Database, orgID: Int64) throws -> Curve25519.Signing.PrivateKey {
        try Publication.signingKey(try SigningKeyRecord
            .filter(SigningKeyRecord.Columns.orgID == orgID && SigningKeyRecord.Columns.state == "current")
            .fetchOne(db)?.privateKey)
    }

    static func instanceID(_ db: Database) throws -> String {
        try Publication.instanceID(try InstanceRecord.fetchOne(db, key: 1)?.instanceID)
    }
}

/// The snapshot an org publishes, signed, with the HTTP validator that names it.
public struct PublishedSnapshot: Sendable {
    /// The signed envelope (`SignedSnapshot.encoded()`).
    public var signed: Data
    public var serial: Int64
    /// The document's `sha256:` digest.
    public var digest: String
    public var etag: String
    /// The database instance named in the envelope.
    public var instance: String
    /// What was signed, kept so the next publication's delta can be computed against it.
    public var body: SnapshotBody
    /// The envelope's key and signature: a delta carries them as its `target`.
    public var publicKey: [UInt8]
    public var signature: [UInt8]

    public init(signed: Data, serial: Int64, digest: String, etag: String, instance: String, body: SnapshotBody,
                publicKey: [UInt8], signature: [UInt8]) {
        self.signed = signed
        self.serial = serial
        self.digest = digest
        self.etag = etag
        self.instance = instance
        self.body = body
        self.publicKey = publicKey
        self.signature = signature
    }
}

/// The ETag of a published snapshot: instance, serial and publication second. A restored backup
/// keeps its instance id and may reach an old serial again with other content; the publication
/// time tells those apart, so a node is never told 304 for content it does not have.
public enum SnapshotETag {
    public static func make(instance: String, serial: Int64, publishedAt: Date) -> String {
        "\"sunk-\(instance)-\(serial)-\(Int64(publishedAt.timeIntervalSince1970.rounded(.down)))\""
    }
}

extension SQLiteStore {
    /// This database's instance id (made once, when the database was created).
    public func instanceID() throws -> String {
        try readSync { db in try SigningKeys.instanceID(db) }
    }

    public func instanceID() async throws -> String {
        try await read { db in try SigningKeys.instanceID(db) }
    }

    /// The org's trust lines: the current key, and with `includePrevious` the one before it.
    public func trustKeys(org name: String, includePrevious: Bool) throws -> [TrustedKey] {
        try readSync { db in
            let org = try Self.org(db, named: name)
            let states = includePrevious ? ["current", "previous"] : ["current"]
            return try SigningKeyRecord
                .filter(SigningKeyRecord.Columns.orgID == org.id && states.contains(SigningKeyRecord.Columns.state))
                .order(SigningKeyRecord.Columns.state == "previous", SigningKeyRecord.Columns.id)
                .fetchAll(db)
                .map { TrustedKey(publicKey: [UInt8]($0.publicKey), org: org.name) }
        }
    }

    /// Starts signing with a new key. The old key becomes `previous` (still printed by
    /// `org trust-key --all`, so nodes can be updated first); the one before it is retired. The serial
    /// moves on, so every node fetches a document signed with the new key.
    public func rotateSigningKey(org name: String, actor: String = "cli") throws -> TrustedKey {
        try mutateSync(org: name, actor: actor, method: "ORG ROTATE-SIGNING-KEY") { mutation in
            let keys = SigningKeyRecord.filter(SigningKeyRecord.Columns.orgID == mutation.org.id)
            let state = SigningKeyRecord.Columns.state
            try keys.filter(state == "previous").updateAll(mutation.db, state.set(to: "retired"))
            try keys.filter(state == "current").updateAll(mutation.db, state.set(to: "previous"))
            let key = try SigningKeys.insertCurrent(mutation.db, orgID: mutation.org.id)
            mutation.changed(name, outcome: AuditOutcome.keyRotated(key.publicKey))
            return key
        }
    }

    /// The document nodes receive: the live snapshot, or the one frozen when provisioning was paused.
    public func publishedDocument(org: Org) async throws -> SnapshotDocument {
        try await read { db in try Self.publishedDocument(db, org: try Self.org(db, named: org.name)) }
    }

    /// The published document, signed with the org's current key.
    public func publishedSnapshot(org: Org) async throws -> PublishedSnapshot {
        try await read { db in try Self.publishedSnapshot(db, orgName: org.name) }
    }

    public func publishedSnapshot(org name: String) throws -> PublishedSnapshot {
        try readSync { db in try Self.publishedSnapshot(db, orgName: name) }
    }

    /// The ETag a node holding the current publication sends back; nil while provisioning is paused
    /// (the frozen document decides then). One indexed read: no snapshot is built.
    public func liveETag(org: Org) async throws -> String? {
        guard org.provisioning else { return nil }
        return Publication.liveETag(org: org, instance: try await instanceID())
    }

    static func publishedDocument(_ db: Database, org: Org) throws -> SnapshotDocument {
        try Publication.document(org: org, frozen: try frozenSnapshot(db, orgID: org.id)) {
            try SnapshotQuery.document(db, org: org)
        }
    }

    static func publishedSnapshot(_ db: Database, orgName: String) throws -> PublishedSnapshot {
        let org = try Self.org(db, named: orgName)
        let document = try publishedDocument(db, org: org)
        return try Publication.signed(document, org: org.name, instance: try SigningKeys.instanceID(db),
                                      key: try SigningKeys.currentKey(db, orgID: org.id))
    }

    /// A delta in the signed envelope of a snapshot, signed with the org's current key.
    public func signedDelta(org: Org, _ delta: SnapshotDelta) async throws -> Data {
        try await read { db in
            try Publication.signedDelta(delta, org: org.name, instance: try SigningKeys.instanceID(db),
                                        key: try SigningKeys.currentKey(db, orgID: org.id))
        }
    }
}
