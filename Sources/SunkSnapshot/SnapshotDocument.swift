// The versioned export document: {"body":…,"digest":"sha256:…","format":"sunk-bridge.snapshot.v1"}.
import Crypto
import Foundation
import SunkModel

/// A snapshot with its digest. See `docs/snapshot.md` for the wire format and the digest rule.
public struct SnapshotDocument: Equatable, Sendable {
    /// The only format this version reads and writes.
    public static let format = "sunk-bridge.snapshot.v1"

    public let body: SnapshotBody
    /// `"sha256:"` + lowercase hex SHA-256 of `SnapshotDocument.canonicalEncoding(of: body)`.
    public let digest: String
    /// The canonical bytes of `body` when this document was just made: `encoded()`, which follows
    /// `make` on the receiver and for a delta on the node, then does not write them a second time. A
    /// decoded document does not keep them (a node would hold tens of MB for nothing).
    private let canonicalBody: [UInt8]?

    private init(body: SnapshotBody, digest: String, canonicalBody: [UInt8]?) {
        self.body = body
        self.digest = digest
        self.canonicalBody = canonicalBody
    }

    /// Canonicalises the body (sort order) and computes its digest.
    public static func make(body: SnapshotBody) -> SnapshotDocument {
        let canonical = body.canonicalized()
        let bytes = CanonicalJSON.encode(canonical)
        return SnapshotDocument(body: canonical, digest: sha256(bytes), canonicalBody: bytes)
    }

    /// Equal body and digest; whether the canonical bytes are kept is not part of a document's value.
    public static func == (a: SnapshotDocument, b: SnapshotDocument) -> Bool {
        a.body == b.body && a.digest == b.digest
    }

    /// The canonical bytes of a body: what `JSONEncoder` with `[.sortedKeys, .withoutEscapingSlashes]`
    /// writes, produced by `CanonicalJSON` (the same bytes, many times faster).
    public static func canonicalEncoding(of body: SnapshotBody) -> Data {
        Data(CanonicalJSON.encode(body))
    }

    /// `"sha256:<lowercase hex>"` of the canonical encoding of `body`.
    public static func digest(of body: SnapshotBody) -> String {
        sha256(canonicalEncoding(of: body))
    }

    /// `"sha256:<lowercase hex>"` of `bytes`: how every digest is written.
    public static func sha256(_ bytes: some DataProtocol) -> String {
        "sha256:" + Hex.lowercase(SHA256.hash(data: bytes))
    }

    /// The document as served and written to files (canonical encoding; ends without a newline).
    public func encoded() -> Data {
        Data(CanonicalJSON.document(canonicalBody: canonicalBody ?? CanonicalJSON.encode(body), digest: digest,
                                    format: Self.format))
    }

    /// Parses a document, checks its format and recomputes the digest. Does not check entries: call
    /// `validated()` before using them.
    public static func decode(_ data: Data) throws(SnapshotError) -> SnapshotDocument {
        let wire: Wire
        if let read = SnapshotReader.read(data) {
            wire = Wire(format: read.format, digest: read.digest, body: read.body)
        } else {
            wire = try decodeWithJSONDecoder(data)
        }
        guard wire.format == Self.format else { throw .badFormat(found: wire.format) }
        let actual = digest(of: wire.body)
        guard wire.digest == actual else { throw .digestMismatch(expected: wire.digest, actual: actual) }
        return SnapshotDocument(body: wire.body, digest: actual, canonicalBody: nil)
    }

    /// `JSONDecoder`'s reading of the document: the definition, used whenever `SnapshotReader`'s
    /// fast path does not read it, and the source of every error message.
    private static func decodeWithJSONDecoder(_ data: Data) throws(SnapshotError) -> Wire {
        do {
            return try JSONDecoder().decode(Wire.self, from: data)
        } catch {
            // Only a document that does not decode is read a second time, for its format: the
            // checks in the order they always had (not JSON, no format, another format, then the
            // body's own faults).
            let header: Header
            do { header = try JSONDecoder().decode(Header.self, from: data) } catch { throw classify(error, data: data) }
            guard let format = header.format else { throw .badFormat(found: "(missing)") }
            guard format == Self.format else { throw .badFormat(found: format) }
            throw classify(error, data: data)
        }
    }

    // MARK: - Wire

    private struct Header: Decodable {
        var format: String?
    }

    private struct Wire: Decodable {
        var format: String
        var digest: String
        var body: SnapshotBody
    }

    static func canonicalEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// A JSON error on a document that does not end with `}` is a truncation; anything else is
    /// malformed.
    private static func classify(_ error: any Error, data: Data) -> SnapshotError {
        let last = data.last(where: { ![0x20, 0x0a, 0x0d, 0x09].contains($0) })
        if last != UInt8(ascii: "}") {
            return .truncated(byteCount: data.count)
        }
        switch error {
        case DecodingError.keyNotFound(let key, let context):
            return .malformed("missing field \(path(context.codingPath + [key]))")
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return .malformed("wrong type at \(path(context.codingPath))")
        case DecodingError.dataCorrupted(let context):
            return .malformed(context.codingPath.isEmpty
                ? "not JSON" : "\(path(context.codingPath)): \(context.debugDescription)")
        default:
            return .malformed(String(describing: error))
        }
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        keys.map { key in key.intValue.map { "[\($0)]" } ?? "." + key.stringValue }.joined()
    }
}
