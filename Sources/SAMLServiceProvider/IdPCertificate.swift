import CXMLSec
import Foundation

/// The IdP's signing certificate, parsed: the one key responses are verified with.
public struct IdPCertificate: Sendable, Equatable {
    public enum KeyKind: Sendable, Equatable { case rsa(bits: Int), ec(bits: Int) }

    /// The certificate as PEM (normalised: one BEGIN/END block).
    public let pem: String
    /// The subject, RFC 2253 (`CN=…,O=…`).
    public let subject: String
    /// SHA-256 of the DER encoding, as colon-separated upper-case hex (what Okta and `openssl x509
    /// -fingerprint -sha256` show).
    public let sha256Fingerprint: String
    public let notBefore: Date
    public let notAfter: Date
    public let key: KeyKind

    /// Reads a PEM certificate. Pasted text without the BEGIN/END lines (only the base64 body, as
    /// some IdPs show it) is accepted too. The key must be RSA of at least 2048 bits, or EC.
    public init(pem text: String) throws(SAMLSettingsError) {
        let pem = try Self.normalise(text)
        var info = cxmlsec_certificate()
        let bytes = Array(pem.utf8)
        let code = bytes.withUnsafeBufferPointer { b in
            b.baseAddress!.withMemoryRebound(to: CChar.self, capacity: b.count) {
                cxmlsec_read_certificate($0, Int32(b.count), &info)
            }
        }
        guard code == 0 else {
            throw .certificate("the signing certificate could not be read as an X.509 certificate (PEM): paste the "
                               + "IdP's signing certificate, from -----BEGIN CERTIFICATE----- to -----END CERTIFICATE-----")
        }
        switch info.keyType {
        case 1:
            guard info.keyBits >= 2048 else {
                throw .certificate("the signing certificate's RSA key has \(info.keyBits) bits; at least 2048 are required")
            }
            key = .rsa(bits: Int(info.keyBits))
        case 2:
            key = .ec(bits: Int(info.keyBits))
        default:
            throw .certificate("the signing certificate's key is neither RSA nor EC")
        }
        self.pem = pem
        subject = withUnsafeBytes(of: info.subject) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        sha256Fingerprint = withUnsafeBytes(of: info.sha256) { raw in
            raw.map { String(format: "%02X", $0) }.joined(separator: ":")
        }
        notBefore = Date(timeIntervalSince1970: TimeInterval(info.notBefore))
        notAfter = Date(timeIntervalSince1970: TimeInterval(info.notAfter))
    }

    /// Whether the certificate's validity has ended at `date`. Signatures are still checked with its
    /// key (IdPs often keep signing with an expired certificate), but the console says so.
    public func isExpired(at date: Date) -> Bool { date >= notAfter }

    private static func normalise(_ text: String) throws(SAMLSettingsError) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let begin = "-----BEGIN CERTIFICATE-----", end = "-----END CERTIFICATE-----"
        let body: String
        if let b = trimmed.range(of: begin) {
            guard let e = trimmed.range(of: end, range: b.upperBound..<trimmed.endIndex) else {
                throw .certificate("the signing certificate has no -----END CERTIFICATE----- line")
            }
            body = String(trimmed[b.upperBound..<e.lowerBound])
        } else {
            body = trimmed
        }
        let base64 = body.filter { !$0.isWhitespace }
        guard !base64.isEmpty, Data(base64Encoded: base64) != nil else {
            throw .certificate("the signing certificate is not PEM: paste the IdP's signing certificate, from "
                               + "-----BEGIN CERTIFICATE----- to -----END CERTIFICATE-----")
        }
        var lines: [String] = [begin]
        var rest = Substring(base64)
        while !rest.isEmpty {
            lines.append(String(rest.prefix(64)))
            rest = rest.dropFirst(64)
        }
        lines.append(end)
        return lines.joined(separator: "\n") + "\n"
    }
}
