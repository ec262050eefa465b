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
        }
    }
}
