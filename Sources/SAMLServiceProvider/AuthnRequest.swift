import CXMLSec
import Foundation

/// An SP-initiated sign-in: the AuthnRequest and the HTTP-Redirect URL that carries it to the IdP.
public struct AuthnRequest: Sendable {
    /// The request's ID; the response's InResponseTo must repeat it.
    public let id: String
    public let issueInstant: Date
    /// The AuthnRequest XML, before DEFLATE.
    public let xml: String
    /// The IdP's SSO URL with `SAMLRequest` (DEFLATE, base64, URL-encoded) and `RelayState`.
    public let redirectURL: String

    /// A new request with a fresh random ID. `relayState` (at most 80 bytes, as the binding
    /// requires) comes back with the response.
    init(settings: SAMLSettings, relayState: String?, now: Date) throws(SAMLSettingsError) {
        var generator = SystemRandomNumberGenerator()
        id = "_" + (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
        issueInstant = now
        let sp = settings.serviceProvider, idp = settings.identityProvider
        xml = """
            <samlp:AuthnRequest xmlns:samlp="\(SAMLNames.protocolNS)" xmlns:saml="\(SAMLNames.assertionNS)" \
            ID="\(id)" Version="2.0" IssueInstant="\(SAMLTime.format(now))" \
            Destination="\(XMLEscape.attribute(idp.ssoURL))" \
            AssertionConsumerServiceURL="\(XMLEscape.attribute(sp.acsURL))" \
            ProtocolBinding="\(SAMLNames.httpPostBinding)">\
            <saml:Issuer>\(XMLEscape.attribute(sp.entityID))</saml:Issuer>\
            <samlp:NameIDPolicy Format="\(SAMLNames.nameIDUnspecified)" AllowCreate="true"/>\
            </samlp:AuthnRequest>
            """
        if let relayState, relayState.utf8.count > 80 {
            throw .relayState("the RelayState is \(relayState.utf8.count) bytes; the HTTP-Redirect binding allows 80")
        }
        var query = "SAMLRequest=" + Self.percentEncode(Self.deflate(Array(xml.utf8)).base64EncodedString())
        if let relayState { query += "&RelayState=" + Self.percentEncode(relayState) }
        redirectURL = idp.ssoURL + (idp.ssoURL.contains("?") ? "&" : "?") + query
    }

    static func deflate(_ input: [UInt8]) -> Data {
        var output = [UInt8](repeating: 0, count: input.count + 1024)
        let capacity = output.count
        let n = input.withUnsafeBufferPointer { i in
            output.withUnsafeMutableBufferPointer { o in
                cxmlsec_raw_deflate(i.baseAddress, i.count, o.baseAddress, capacity)
            }
        }
        precondition(n >= 0, "DEFLATE of \(input.count) bytes into \(capacity) failed")
        return Data(output.prefix(n))
    }

    /// RFC 3986: everything but the unreserved characters percent-encoded.
    static func percentEncode(_ s: String) -> String {
        var out = ""
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                 UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            default:
                out += String(format: "%%%02X", b)
            }
        }
        return out
    }
}
