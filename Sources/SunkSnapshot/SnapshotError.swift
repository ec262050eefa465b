// Why a node refuses a snapshot. Every message names what to look at.
import SunkModel

/// A snapshot that cannot be used. Any of these refuses the *whole* snapshot: the node keeps its
/// last good files.
public enum SnapshotError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `format` is missing or names a version this node does not understand.
    case badFormat(found: String)
    /// The bytes are not a snapshot document (not JSON, or a field is missing or has the wrong type).
    case malformed(String)
    /// The document ends early (an interrupted download).
    case truncated(byteCount: Int)
    /// The digest in the document does not match its body.
    case digestMismatch(expected: String, actual: String)
    /// An entry breaks a rule; the string names the entry and the rule.
    case invalidEntry(String)
    /// The node was given trust keys but the document carries no signature.
    case unsigned
    /// The signed envelope's header is not in the expected shape.
    case badEnvelope(String)
    /// The signing key is not one of the node's trusted keys.
    case untrustedKey(fingerprint: String, org: String, trusted: String)
    /// The signature does not verify: the document or its header was altered, or forged.
    case badSignature
    /// The document belongs to another org than the one the key (or the node) is for.
    case wrongOrg(expected: String, found: String)
    /// The trust key file is unusable.
    case badTrustKey(String)
    /// A delta does not continue the snapshot the node holds, or does not yield the signed one: the
    /// node fetches the full snapshot instead.
    case deltaMismatch(String)

    public var description: String {
        switch self {
        case .badFormat(let found):
            return "snapshot format \"\(found)\" is not \(SnapshotDocument.format); upgrade sunk-bridge on this node or check the URL"
        case .malformed(let detail):
            return "snapshot is not a valid document: \(detail)"
        case .truncated(let count):
            return "snapshot is truncated after \(count) bytes (interrupted transfer?); the node keeps its last good files"
        case .digestMismatch(let expected, let actual):
            return "snapshot digest mismatch: document says \(expected), body hashes to \(actual); the document was altered or corrupted"
        case .invalidEntry(let detail):
            return "snapshot refused: \(detail)"
        case .unsigned:
            return "snapshot refused: it is not signed, and this node only accepts snapshots signed by a trusted key"
        case .badEnvelope(let detail):
            return "snapshot refused: the signed envelope is malformed: \(detail)"
        case .untrustedKey(let fingerprint, let org, let trusted):
            return "snapshot refused: signed for org \(org) by key \(fingerprint), which is not in the node's trust keys (\(trusted)); if the receiver rotated its key, add the line from `sunk-bridge org trust-key --all` to the trust file"
        case .badSignature:
            return "snapshot refused: the signature does not verify (the document was altered or forged)"
        case .wrongOrg(let expected, let found):
            return "snapshot refused: it is for org \(found), this node expects org \(expected)"
        case .badTrustKey(let detail):
            return detail
        case .deltaMismatch(let detail):
            return "delta refused: \(detail); the full snapshot is fetched instead"
        }
    }
}
