// The signed envelope around a snapshot document: what the receiver serves and `export` writes.
//
//   sunk-bridge-signed-snapshot v1\n
//   org <org>\n
//   serial <serial>\n
//   instance <32 lowercase hex>\n
//   key sunk-bridge-ed25519 <base64 public key>\n
//   signature <base64 Ed25519 signature>\n
//   \n
//   <the snapshot document's exact bytes>
//
// The signature covers every header byte before the `signature` line followed by the document's
// bytes, so the org, serial and database instance are bound to the document. A node checks the
// signature (against keys it was given) before it parses a single byte of the document.
import Crypto
import Foundation

/// A snapshot document with its receiver's Ed25519 signature (`docs/snapshot.md`, "Signature").
public struct SignedSnapshot: Equatable, Sendable {
    /// The first line of every signed snapshot of this version.
    public static let magic = "sunk-bridge-signed-snapshot v1"
    /// The longest header a node reads before giving up (the header is a few hundred bytes).
    public static let maxHeaderBytes = 1024
    /// The HTTP media type the receiver serves it as.
    public static let mediaType = "application/vnd.sunk-bridge.signed-snapshot"

    /// The org the document was published for.
    public let org: String
    /// The org's serial at publication (equal to the document's `body.serial`).
    public let serial: Int64
    /// The publishing database's instance id (32 lowercase hex digits, made once per database).
    public let instance: String
    /// The raw 32-byte Ed25519 public key that made the signature.
    public let publicKey: [UInt8]
    /// The raw 64-byte signature.
    public let signature: [UInt8]
    /// The snapshot document, byte for byte as signed.
    public let document: Data

    /// Signs `document` (the exact bytes of `SnapshotDocument.encoded()`) for `org` at `serial`.
    public static func sign(document: Data, org: String, serial: Int64, instance: String,
                            key: Curve25519.Signing.PrivateKey) throws -> SignedSnapshot {
        let publicKey = [UInt8](key.publicKey.rawRepresentation)
        let signed = signedBytes(org: org, serial: serial, instance: instance, publicKey: publicKey, document: document)
        let signature = [UInt8](try key.signature(for: signed))
        return SignedSnapshot(org: org, serial: serial, instance: instance, publicKey: publicKey,
                              signature: signature, document: document)
    }

    /// An envelope from its parts as they are (tests build tampered ones with it).
    public static func assembled(org: String, serial: Int64, instance: String, publicKey: [UInt8],
                                 signature: [UInt8], document: Data) -> SignedSnapshot {
        SignedSnapshot(org: org, serial: serial, instance: instance, publicKey: publicKey, signature: signature,
                       document: document)
    }

    /// The envelope as served and written to files.
    public func encoded() -> Data {
        var out = Data(Self.header(org: org, serial: serial, instance: instance, publicKey: publicKey).utf8)
        out.append(contentsOf: Array("signature \(Data(signature).base64EncodedString())\n\n".utf8))
        out.append(document)
        return out
    }

    /// True when `data` starts like a signed snapshot (a bare document starts with `{`).
    public static func looksSigned(_ data: Data) -> Bool {
        data.starts(with: Array((magic + "\n").utf8))
    }

    /// Parses the header of a signed snapshot. Checks the header's shape only: call `verify(trust:)`
    /// before using the document.
    public static func parse(_ data: Data) throws(SnapshotError) -> SignedSnapshot {
        guard looksSigned(data) else {
            throw .unsigned
        }
        let bytes = [UInt8](data.prefix(maxHeaderBytes + 2))
        guard let end = Self.blankLine(in: bytes) else {
            throw .badEnvelope(data.count <= maxHeaderBytes ? "the header ends early (truncated transfer?)"
                                                            : "no blank line after the header")
        }
        let lines = bytes[..<end].split(separator: 0x0A, omittingEmptySubsequences: false).map {
            String(decoding: $0, as: UTF8.self)
        }
        guard lines.count == 6 else { throw .badEnvelope("expected 6 header lines, found \(lines.count)") }
        func field(_ index: Int, _ name: String) throws(SnapshotError) -> String {
            let prefix = name + " "
            guard lines[index].hasPrefix(prefix) else {
                throw .badEnvelope("header line \(index + 1) should start with \"\(name) \"")
            }
            return String(lines[index].dropFirst(prefix.count))
        }
        let org = try field(1, "org")
        guard TrustedKey.isValidOrg(org) else { throw .badEnvelope("org \"\(org.prefix(64))\" is not a valid org name") }
        let serialText = try field(2, "serial")
        guard let serial = Int64(serialText), serial >= 0, String(serial) == serialText else {
            throw .badEnvelope("serial \"\(serialText.prefix(32))\" is not a non-negative integer")
        }
        let instance = try field(3, "instance")
        guard isValidInstance(instance) else { throw .badEnvelope("instance is not 32 lowercase hex digits") }
        let keyField = try field(4, "key")
        guard keyField.hasPrefix(TrustedKey.algorithm + " "),
              let publicKey = Data(base64Encoded: String(keyField.dropFirst(TrustedKey.algorithm.count + 1))),
              publicKey.count == 32 else {
            throw .badEnvelope("key is not \"\(TrustedKey.algorithm) <base64 of 32 bytes>\"")
        }
        guard let signature = Data(base64Encoded: try field(5, "signature")), signature.count == 64 else {
            throw .badEnvelope("signature is not the base64 of 64 bytes")
        }
        return SignedSnapshot(org: org, serial: serial, instance: instance, publicKey: [UInt8](publicKey),
                              signature: [UInt8](signature), document: Data(data.dropFirst(end + 2)))
    }

    /// Checks the signature against the node's trusted keys: the key must be listed for this org and
    /// the signature valid over the header and the document. Parses nothing of the document.
    public func verify(trust: TrustedKeys) throws(SnapshotError) {
        let trusted = trust.keys.filter { $0.publicKey == publicKey }
        guard !trusted.isEmpty else {
            throw .untrustedKey(fingerprint: TrustedKey.fingerprint(publicKey), org: org, trusted: trust.describe())
        }
        guard trusted.contains(where: { $0.org == org }) else {
            throw .wrongOrg(expected: trusted.map(\.org).joined(separator: ", "), found: org)
        }
        let key: Curve25519.Signing.PublicKey
        do {
            key = try Curve25519.Signing.PublicKey(rawRepresentation: publicKey)
        } catch {
            throw .badSignature
        }
        let signed = Self.signedBytes(org: org, serial: serial, instance: instance, publicKey: publicKey,
                                      document: document)
        guard key.isValidSignature(signature, for: signed) else { throw .badSignature }
    }

    /// Decodes the document and checks that it says what the signed header says. With `known` (a
    /// document the node built itself, from a delta) the parse is replaced by a comparison: `known`
    /// is used when its own encoding is exactly the document's bytes, else the bytes are decoded.
    public func decodeDocument(known: SnapshotDocument? = nil) throws(SnapshotError) -> SnapshotDocument {
        let document = if let known, known.encoded() == self.document { known }
            else { try SnapshotDocument.decode(self.document) }
        guard document.body.org == org else { throw .wrongOrg(expected: org, found: document.body.org) }
        guard document.body.serial == serial else {
            throw .badEnvelope("header serial \(serial) differs from the document's serial \(document.body.serial)")
        }
        return document
    }

    /// `<32 lowercase hex>`: a database instance id.
    public static func isValidInstance(_ s: String) -> Bool {
        s.utf8.count == 32 && s.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }

    // MARK: - Bytes

    static func header(org: String, serial: Int64, instance: String, publicKey: [UInt8]) -> String {
        "\(magic)\norg \(org)\nserial \(serial)\ninstance \(instance)\n"
            + "key \(TrustedKey.algorithm) \(Data(publicKey).base64EncodedString())\n"
    }

    static func signedBytes(org: String, serial: Int64, instance: String, publicKey: [UInt8],
                            document: Data) -> Data {
        var data = Data(header(org: org, serial: serial, instance: instance, publicKey: publicKey).utf8)
        data.append(document)
        return data
    }

    /// Index of the `\n` that starts the blank line ending the header (`\n\n`), within the limit.
    private static func blankLine(in bytes: [UInt8]) -> Int? {
        var i = 0
        while i + 1 < bytes.count && i < maxHeaderBytes {
            if bytes[i] == 0x0A && bytes[i + 1] == 0x0A { return i }
            i += 1
        }
        return nil
    }
}

/// What a node accepts: a signed snapshot verified against its trust keys, or (only when it was
/// given no trust key and reads a local file or database) a bare document.
public enum SnapshotOpening {
    /// The verified (or, without `trust`, merely parsed) document and the envelope it came in.
    public struct Opened: Sendable {
        public var document: SnapshotDocument
        /// Nil for a bare, unsigned document.
        public var envelope: SignedSnapshot?
        /// The bytes a node keeps as its last applied snapshot.
        public var bytes: Data
    }

    /// Checks, in this order and before the document is parsed: envelope header, trusted key for the
    /// header's org, signature, the org the node expects (when it knows one); then decodes the
    /// document and checks its org and serial against the header. With `trust == nil` a bare
    /// document is accepted too (`sync --snapshot`/`--db` without `--trust-key`).
    /// `known` (a document the node built itself) spares the parse of a document whose bytes it
    /// encodes to exactly; every check before it is made as always.
    public static func open(_ data: Data, trust: TrustedKeys?, expectedOrg: String?,
                            known: SnapshotDocument? = nil) throws(SnapshotError) -> Opened {
        guard SignedSnapshot.looksSigned(data) else {
            if trust != nil { throw .unsigned }
            let document = try SnapshotDocument.decode(data)
            if let expectedOrg, document.body.org != expectedOrg {
                throw .wrongOrg(expected: expectedOrg, found: document.body.org)
            }
            return Opened(document: document, envelope: nil, bytes: data)
        }
        let envelope = try SignedSnapshot.parse(data)
        if let trust { try envelope.verify(trust: trust) }
        if let expectedOrg, envelope.org != expectedOrg {
            throw .wrongOrg(expected: expectedOrg, found: envelope.org)
        }
        return Opened(document: try envelope.decodeDocument(known: known), envelope: envelope, bytes: data)
    }
}
