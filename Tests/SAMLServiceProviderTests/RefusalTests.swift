// Every way a response must be refused, each from the real IdP (pysaml2 + xmlsec1), each asserting
// the specific reason so that it cannot pass for another cause.
import Foundation
import SAMLServiceProvider
import Testing
import TestSupport

struct RefusalCase: Sendable, CustomTestStringConvertible {
    var name: String
    /// Extra `idp.py respond` arguments.
    var idp: [String] = []
    var expected: SAMLRefusal.Reason
    /// Words the refusal's message must contain as well (the detail of the cause).
    var detail: String = ""
    /// The SP trusts another IdP entity ID.
    var idpEntityID: String? = nil
    /// Verify this long after (or before) now.
    var clockOffset: TimeInterval = 0
    var testDescription: String { name }
}

@Suite("SAML responses the service provider refuses", .tags(.e2e))
struct RefusalTests {
    static let cases: [RefusalCase] = [
        .init(name: "unsigned response", idp: ["--variant", "unsigned"], expected: .unsigned,
              detail: "neither the Response nor its Assertion is signed"),
        .init(name: "signed by another key (its certificate in KeyInfo)", idp: ["--sign-with", "other"],
              expected: .signatureInvalid, detail: "signature or digest mismatch"),
        .init(name: "wrapping: evil Assertion before the signed one", idp: ["--variant", "evil-before"],
              expected: .assertionCount, detail: "holds 2 assertions"),
        .init(name: "wrapping: evil Assertion added inside the signed Response",
              idp: ["--variant", "evil-beside-signed-response"], expected: .signatureInvalid,
              detail: "signature or digest mismatch"),
        .init(name: "wrapping: signed Assertion moved into Extensions, evil one in its place",
              idp: ["--variant", "extensions"], expected: .referenceMismatch, detail: "the element that holds it (\"#_evil"),
        .init(name: "wrapping: signed Assertion inside the evil one's Signature/Object",
              idp: ["--variant", "object"], expected: .referenceMismatch, detail: "the element that holds it (\"#_evil"),
        .init(name: "wrapping: evil Response around the signed Response", idp: ["--variant", "wrap-response"],
              expected: .referenceMismatch, detail: "the element that holds it (\"#_evilresponse"),
        // the signature verifies here (the digest leaves its own Signature out): the count of
        // Assertions in the posted document refuses it, and the identity would come from the
        // signed bytes anyway
        .init(name: "wrapping: evil Assertion inside the signed Response's Signature/Object",
              idp: ["--variant", "signature-object"], expected: .assertionCount, detail: "holds 2 assertions"),
        .init(name: "wrapping: evil Assertion with the signed one's ID", idp: ["--variant", "duplicate-id"],
              expected: .duplicateID, detail: "two elements carry the ID"),
        .init(name: "EncryptedAssertion", idp: ["--variant", "encrypted"], expected: .encryptedAssertion, detail: "turn off assertion encryption"),
        .init(name: "rsa-sha1 signature", idp: ["--sign-alg", "rsa-sha1", "--digest-alg", "sha1"],
              expected: .weakAlgorithm, detail: "http://www.w3.org/2000/09/xmldsig#rsa-sha1"),
        .init(name: "sha1 digest under rsa-sha256", idp: ["--digest-alg", "sha1"], expected: .weakAlgorithm,
              detail: "http://www.w3.org/2000/09/xmldsig#sha1"),
        .init(name: "wrong Audience", idp: ["--audience-override", "https://other.example/console/saml/research"],
              expected: .audience, detail: "https://other.example/console/saml/research"),
        .init(name: "wrong Destination (and Recipient)", idp: ["--destination", "https://evil.example/acs"],
              expected: .destination, detail: "sent to \"https://evil.example/acs\""),
        .init(name: "wrong Recipient", idp: ["--recipient", "https://evil.example/acs"], expected: .recipient,
              detail: "recipient is \"https://evil.example/acs\""),
        .init(name: "wrong InResponseTo", idp: ["--in-response-to", "_not-a-request-of-ours"],
              expected: .inResponseTo, detail: "_not-a-request-of-ours"),
        .init(name: "wrong Issuer", expected: .issuer, detail: "expected \"https://another-idp.example/saml2\"", idpEntityID: "https://another-idp.example/saml2"),
        .init(name: "expired (an hour later)", expected: .expired, detail: "the assertion expired at", clockOffset: 3600),
        .init(name: "NotBefore in the future (ten minutes earlier)", expected: .notYetValid, detail: "not valid before", clockOffset: -600),
    ]

    @Test("refused with its reason", arguments: cases)
    func refused(_ c: RefusalCase) async throws {
        let idp = try await TestIdP.make()
        defer { idp.remove() }
        let sp = try idp.serviceProvider(idpEntityID: c.idpEntityID)
        let request = try sp.startSignIn()
        let answer = try await idp.respond(sp, to: request, c.idp)
        let now = Date().addingTimeInterval(c.clockOffset)
        let refused = refusal { () throws(SAMLRefusal) in
            try sp.acceptResponse(answer.samlResponse, allowIdPInitiated: false, now: now)
        }
        #expect(refused?.reason == c.expected, "\(refused.map(String.init(describing:)) ?? "accepted")")
        #expect(c.detail.isEmpty || refused?.description.contains(c.detail) == true, "\(refused.map(String.init(describing:)) ?? "accepted")")
        #expect(sp.replayCache.count == 0, "nothing refused is remembered")
    }

    @Test("the genuine response to the same set-up is accepted (the cases above differ only in the attack)")
    func control() async throws {
        let idp = try await TestIdP.make()
        defer { idp.remove() }
        let sp = try idp.serviceProvider()
        let request = try sp.startSignIn()
        let answer = try await idp.respond(sp, to: request)
        #expect(try sp.acceptResponse(answer.samlResponse, allowIdPInitiated: false).nameID == "ada@example.com")
    }

    @Test("not a SAMLResponse: not base64, not XML, a DOCTYPE, another root, an IdP error status")
    func notAResponse() async throws {
        let idp = try await TestIdP.make()
        defer { idp.remove() }
        let sp = try idp.serviceProvider()
        let b64 = { (xml: String) in Data(xml.utf8).base64EncodedString() }
        let cases: [(String, SAMLRefusal.Reason)] = [
            ("%%%", .malformed),
            (b64("<a"), .malformed),
            (b64("<!DOCTYPE r [<!ENTITY x \"y\">]><r>&x;</r>"), .malformed),
            (b64("<r xmlns=\"urn:x\"/>"), .notAResponse),
            (b64("""
                <samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_r" Version="2.0">\
                <samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Responder"/>\
                </samlp:Status></samlp:Response>
                """), .status),
        ]
        for (input, reason) in cases {
            let refused = refusal { () throws(SAMLRefusal) in try sp.acceptResponse(input, allowIdPInitiated: true) }
            #expect(refused?.reason == reason, "\(input): \(refused.map(String.init(describing:)) ?? "accepted")")
        }
    }
}
