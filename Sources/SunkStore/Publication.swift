import Crypto
import Foundation
import SunkModel
import SunkSnapshot

/// What nodes receive and how it is signed, whatever the engine: an engine reads the org, its
/// frozen snapshot, the instance id and the current key, and these build the rest.
package enum Publication {
    /// A new Ed25519 key: the private key (stays in the database) and the public key, raw.
    package static func newKey() -> (privateKey: Data, publicKey: Data) {
        let key = Curve25519.Signing.PrivateKey()
        return (key.rawRepresentation, key.publicKey.rawRepresentation)
    }

    /// The org's current signing key from its stored bytes (nil: the org has none).
    package static func signingKey(_ raw: Data?) throws -> Curve25519.Signing.PrivateKey {
        guard let raw else {
            throw StoreError.unusableFile("org has no signing key; run `sunk-bridge org rotate-signing-key ORG`")
        }
        return try Curve25519.Signing.PrivateKey(rawRepresentation: raw)
    }

    /// The stored instance id, or the error of a damaged schema.
    package static func instanceID(_ stored: String?) throws -> String {
        guard let stored else { throw StoreError.unusableFile("the database has no instance id (damaged schema)") }
        return stored
    }

    /// The document nodes receive: the frozen one while provisioning is paused, else `live()`.
    package static func document(org: Org, frozen: Data?, live: () throws -> SnapshotDocument) throws
        -> SnapshotDocument {
        if !org.provisioning, let frozen { return try SnapshotDocument.decode(frozen) }
        return try live()
    }

    /// `document` signed under `key`, with its ETag.
    package static func signed(_ document: SnapshotDocument, org: String, instance: String,
                               key: Curve25519.Signing.PrivateKey) throws -> PublishedSnapshot {
        let signed = try SignedSnapshot.sign(document: document.encoded(), org: org, serial: document.body.serial,
                                             instance: instance, key: key)
        return PublishedSnapshot(
            signed: signed.encoded(), serial: document.body.serial, digest: document.digest,
            etag: SnapshotETag.make(instance: instance, serial: document.body.serial,
                                    publishedAt: document.body.publishedAt),
            instance: instance, body: document.body, publicKey: signed.publicKey, signature: signed.signature)
    }

    /// A delta in the signed envelope of a snapshot.
    package static func signedDelta(_ delta: SnapshotDelta, org: String, instance: String,
                                    key: Curve25519.Signing.PrivateKey) throws -> Data {
        try SignedSnapshot.sign(document: delta.encoded(), org: org, serial: delta.serial, instance: instance,
                                key: key).encoded()
    }

    /// The ETag of the live publication; nil while provisioning is paused.
    package static func liveETag(org: Org, instance: String) -> String? {
        guard org.provisioning else { return nil }
        let publishedAt = (try? Date(org.changedAt, strategy: .iso8601)) ?? Date(timeIntervalSince1970: 0)
        return SnapshotETag.make(instance: instance, serial: org.serial, publishedAt: publishedAt)
    }
}
