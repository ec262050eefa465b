import Foundation

/// Why a SAML response was not accepted. `description` is for a person (the admin reading the
/// console or the log: what to check or change); `reason` is a short stable token for logs,
/// metrics and the audit trail.
public enum SAMLRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    /// Not base64, not well-formed XML, a DOCTYPE, or a shape SAML never has.
    case malformed(String)
    /// The document is not a samlp:Response (found: its root element).
    case notAResponse(String)
    /// The IdP answered with a non-success status (its code and message).
    case status(code: String, message: String?)
    /// The response carries an EncryptedAssertion, which this service provider does not decrypt.
    case encryptedAssertion
    /// Two elements share an ID, so a Reference could be pointed at either.
    case duplicateID(String)
    /// Neither the Response nor its Assertion is signed.
    case unsigned
    /// Not exactly one Assertion where one is required.
    case assertionCount(Int)
    /// A Signature where none is expected, or several.
    case signaturePlacement(String)
    /// A signature or digest algorithm weaker than SHA-256 (or unknown).
    case weakAlgorithm(String)
    /// A transform other than enveloped-signature and exclusive canonicalisation.
    case transformNotAllowed(String)
    /// Not exactly one Reference in SignedInfo.
    case referenceCount(Int)
    /// The Reference does not point at the element that holds the Signature.
    case referenceMismatch(found: String, expected: String)
    /// The configured certificate's key does not verify the signature, or a digest differs.
    case signatureInvalid(String)
    /// The Issuer is not the configured IdP entity ID.
    case issuer(found: String?, expected: String)
    /// The Response's Destination is not our ACS URL.
    case destination(found: String, expected: String)
    /// The Audience is not our entity ID.
    case audience(found: [String], expected: String)
    /// The bearer SubjectConfirmationData's Recipient is not our ACS URL.
    case recipient(found: String?, expected: String)
    /// No NameID, or no bearer SubjectConfirmation.
    case subject(String)
    /// NotBefore is later than now (plus the allowed skew).
    case notYetValid(String)
    /// NotOnOrAfter has passed (minus the allowed skew).
    case expired(String)
    /// This assertion ID was already accepted.
    case replayed(String)
    /// InResponseTo names no request we sent (or one that expired, or was used).
    case inResponseTo(found: String, detail: String)
    /// No InResponseTo, and IdP-initiated sign-in is not allowed here.
    case unsolicited
    /// The replay cache is full of unexpired assertion IDs: refusing rather than forgetting one.
    case replayCacheFull
    /// The SAML libraries failed (an installation problem, not the response).
    case internalFailure(String)

    /// The short machine reason.
    public enum Reason: String, Sendable {
        case malformed, notAResponse = "not-a-response", status, encryptedAssertion = "encrypted-assertion"
        case duplicateID = "duplicate-id", unsigned, assertionCount = "assertion-count"
        case signaturePlacement = "signature-placement", weakAlgorithm = "weak-algorithm"
        case transformNotAllowed = "transform-not-allowed", referenceCount = "reference-count"
        case referenceMismatch = "reference-mismatch", signatureInvalid = "signature-invalid"
        case issuer, destination, audience, recipient, subject, notYetValid = "not-yet-valid", expired
        case replayed, inResponseTo = "in-response-to", unsolicited, replayCacheFull = "replay-cache-full"
        case internalFailure = "internal"
    }

    public var reason: Reason {
        switch self {
        case .malformed: .malformed
        case .notAResponse: .notAResponse
        case .status: .status
        case .encryptedAssertion: .encryptedAssertion
        case .duplicateID: .duplicateID
        case .unsigned: .unsigned
        case .assertionCount: .assertionCount
        case .signaturePlacement: .signaturePlacement
        case .weakAlgorithm: .weakAlgorithm
        case .transformNotAllowed: .transformNotAllowed
        case .referenceCount: .referenceCount
        case .referenceMismatch: .referenceMismatch
        case .signatureInvalid: .signatureInvalid
        case .issuer: .issuer
        case .destination: .destination
        case .audience: .audience
        case .recipient: .recipient
        case .subject: .subject
        case .notYetValid: .notYetValid
        case .expired: .expired
        case .replayed: .replayed
        case .inResponseTo: .inResponseTo
        case .unsolicited: .unsolicited
        case .replayCacheFull: .replayCacheFull
        case .internalFailure: .internalFailure
        }
    }

    /// The message for a person. Values quoted from the posted document are the sender's text:
    /// control and bidirectional-override characters are shown escaped, and the message is cut at
    /// 1000 characters, so it is safe in a log line or a page.
    public var description: String { Self.printable(message) }

    static func printable(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars.prefix(1000) {
            let v = scalar.value
            if v < 0x20 || v == 0x7F || (0x80...0x9F).contains(v) || (0x202A...0x202E).contains(v)
                || (0x2066...0x2069).contains(v) {
                out += "\\u{\(String(v, radix: 16))}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return text.unicodeScalars.count > 1000 ? out + "…" : out
    }

    private var message: String {
        switch self {
        case .malformed(let what):
            "the SAMLResponse could not be read: \(what)"
        case .notAResponse(let root):
            "the SAMLResponse is a \(root), not a samlp:Response: check that the IdP posts its response to the ACS URL"
        case .status(let code, let message):
            "the IdP refused the sign-in (status \(code)\(message.map { ": \($0)" } ?? "")): see the IdP's own log"
        case .encryptedAssertion:
            "the assertion is encrypted (EncryptedAssertion), which this service provider does not support: "
                + "turn off assertion encryption for this application in the IdP"
        case .duplicateID(let id):
            "two elements carry the ID \"\(id)\", so the signature could apply to either (a signature-wrapping "
                + "attempt or a broken IdP): refused"
        case .unsigned:
            "neither the Response nor its Assertion is signed: set the IdP to sign the response or the assertion"
        case .assertionCount(let n):
            "the response holds \(n) assertions where exactly one is accepted"
        case .signaturePlacement(let what):
            "the signature is not where SAML puts it: \(what)"
        case .weakAlgorithm(let uri):
            "the signature uses \(uri), which is refused: set the IdP to sign with RSA-SHA256 (or stronger) "
                + "and the SHA-256 digest"
        case .transformNotAllowed(let uri):
            "the signature uses the transform \(uri); only enveloped-signature and exclusive canonicalisation "
                + "are accepted"
        case .referenceCount(let n):
            "the signature has \(n) references where exactly one is accepted"
        case .referenceMismatch(let found, let expected):
            "the signature covers \"\(found)\", not the element that holds it (\"\(expected)\"): a "
                + "signature-wrapping attempt or a broken IdP, refused"
        case .signatureInvalid(let detail):
            "the signature does not verify with the configured IdP certificate (\(detail)): if the IdP's "
                + "signing certificate changed, paste the new one into the SAML settings"
        case .issuer(let found, let expected):
            "the issuer is \(found.map { "\"\($0)\"" } ?? "missing"), expected \"\(expected)\": check the "
                + "IdP entity ID (issuer) in the SAML settings"
        case .destination(let found, let expected):
            "the response was sent to \"\(found)\", not to this ACS URL \"\(expected)\": set the IdP's "
                + "single sign-on URL (ACS URL) to \(expected)"
        case .audience(let found, let expected):
            "the assertion is for \(found.isEmpty ? "no audience" : found.map { "\"\($0)\"" }.joined(separator: ", ")), "
                + "not for \"\(expected)\": set the IdP's audience URI (SP entity ID) to \(expected)"
        case .recipient(let found, let expected):
            "the assertion's recipient is \(found.map { "\"\($0)\"" } ?? "missing"), not \"\(expected)\": "
                + "set the IdP's recipient/ACS URL to \(expected)"
        case .subject(let what):
            "the assertion has \(what)"
        case .notYetValid(let notBefore):
            "the assertion is not valid before \(notBefore): check that this server's and the IdP's clocks agree"
        case .expired(let notOnOrAfter):
            "the assertion expired at \(notOnOrAfter): sign in again (and check the clocks if this repeats)"
        case .replayed(let id):
            "the assertion \(id) was already used to sign in: sign in again"
        case .inResponseTo(let found, let detail):
            "the response answers request \(found), \(detail): start the sign-in again from this console"
        case .unsolicited:
            "the response answers no request (IdP-initiated sign-in), which is not allowed here: start the "
                + "sign-in from this console"
        case .replayCacheFull:
            "too many sign-ins at once (the replay cache is full): try again in a few minutes"
        case .internalFailure(let what):
            what
        }
    }
}
