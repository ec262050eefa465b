/// The SAML 2.0 and XML-DSig names this target reads and writes.
enum SAMLNames {
    static let protocolNS = "urn:oasis:names:tc:SAML:2.0:protocol"
    static let assertionNS = "urn:oasis:names:tc:SAML:2.0:assertion"
    static let metadataNS = "urn:oasis:names:tc:SAML:2.0:metadata"
    static let dsigNS = "http://www.w3.org/2000/09/xmldsig#"
    static let xmlNS = "http://www.w3.org/XML/1998/namespace"

    static let httpPostBinding = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
    static let statusSuccess = "urn:oasis:names:tc:SAML:2.0:status:Success"
    static let bearer = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
    static let nameIDUnspecified = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
    static let nameIDEmail = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"

    static let envelopedSignature = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
    static let exclusiveC14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
    /// RSA and ECDSA with SHA-2: nothing weaker (rsa-sha1, dsa-sha1, hmac) is accepted.
    static let signatureMethods: Set<String> = [
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384",
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
        "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
        "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384",
        "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512",
    ]
    static let digestMethods: Set<String> = [
        "http://www.w3.org/2001/04/xmlenc#sha256",
        "http://www.w3.org/2001/04/xmldsig-more#sha384",
        "http://www.w3.org/2001/04/xmlenc#sha512",
    ]
}

/// XML text escaping for the documents this target writes.
enum XMLEscape {
    static func attribute(_ s: String) -> String {
        var out = ""
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\n": out += "&#10;"
            case "\r": out += "&#13;"
            case "\t": out += "&#9;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }
}
