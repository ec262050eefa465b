// Settings the console validates on save, with certificates made by openssl: what the admin copies
// (entity ID, ACS URL, metadata) and what they paste (SSO URL, issuer, signing certificate).
import Foundation
import SAMLServiceProvider
import Testing
import TestSupport

@Suite("SAML settings and SP metadata")
struct SettingsTests {
    /// A self-signed certificate for `key` (openssl `-newkey` syntax) in a scratch folder.
    static func certificate(_ key: String, _ options: [String] = []) async throws -> String {
        let dir = try temporaryDirectory("saml-cert")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try await run("/usr/bin/openssl", ["req", "-x509", "-newkey", key, "-nodes", "-sha256", "-days", "30",
                                                   "-subj", "/O=Example/CN=idp.example.com", "-keyout", dir + "/k.pem",
                                                   "-out", dir + "/c.pem"] + options)
        #expect(r.status == 0, "\(r.output)")
        return try String(contentsOfFile: dir + "/c.pem", encoding: .utf8)
    }

    @Test("the SP values the admin copies into the IdP")
    func serviceProvider() throws {
        let sp = try ServiceProviderSettings(publicURL: "https://bridge.example.com/", organisation: "research")
        #expect(sp.entityID == "https://bridge.example.com/console/saml/research")
        #expect(sp.acsURL == "https://bridge.example.com/console/saml/research/acs")
        #expect(sp.metadataURL == "https://bridge.example.com/console/saml/research/metadata")
        #expect(throws: SAMLSettingsError.self) { try ServiceProviderSettings(publicURL: "http://bridge.example.com", organisation: "a") }
        #expect(throws: SAMLSettingsError.self) { try ServiceProviderSettings(publicURL: "https://h/x", organisation: "a") }
        #expect(throws: SAMLSettingsError.self) { try ServiceProviderSettings(publicURL: "https://h", organisation: "a/b") }
        #expect(try ServiceProviderSettings(publicURL: "http://127.0.0.1:8080", organisation: "t").acsURL
                == "http://127.0.0.1:8080/console/saml/t/acs")
    }

    @Test("an RSA 2048 certificate: subject, SHA-256 fingerprint as openssl prints it, expiry")
    func rsaCertificate() async throws {
        let pem = try await Self.certificate("rsa:2048")
        let cert = try IdPCertificate(pem: pem)
        #expect(cert.subject == "CN=idp.example.com,O=Example")
        #expect(cert.key == .rsa(bits: 2048))
        let dir = try temporaryDirectory("saml-fp")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try pem.write(toFile: dir + "/c.pem", atomically: true, encoding: .utf8)
        let fp = try await run("/usr/bin/openssl", ["x509", "-in", dir + "/c.pem", "-noout", "-fingerprint", "-sha256"])
        #expect(fp.output.trimmingCharacters(in: .whitespacesAndNewlines) == "sha256 Fingerprint=" + cert.sha256Fingerprint)
        #expect(abs(cert.notAfter.timeIntervalSinceNow - 30 * 86400) < 3600)
        #expect(!cert.isExpired(at: Date()))
        #expect(cert.isExpired(at: Date().addingTimeInterval(31 * 86400)))
        // the base64 body alone, as some IdPs display it, is the same certificate
        let body = pem.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        #expect(try IdPCertificate(pem: body).sha256Fingerprint == cert.sha256Fingerprint)
    }

    @Test("an EC certificate is accepted; RSA 1024 and garbage are refused with what to do")
    func otherCertificates() async throws {
        #expect(try IdPCertificate(pem: try await Self.certificate("ec", ["-pkeyopt", "ec_paramgen_curve:P-256"])).key == .ec(bits: 256))
        let weak = try await Self.certificate("rsa:1024")
        do {
            _ = try IdPCertificate(pem: weak)
            Issue.record("RSA 1024 accepted")
        } catch {
            #expect(error.description.contains("1024 bits; at least 2048"))
        }
        #expect(throws: SAMLSettingsError.self) { try IdPCertificate(pem: "hello") }
        #expect(throws: SAMLSettingsError.self) {
            try IdPCertificate(pem: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
        }
    }

    @Test("the xmlsec defines in Sources/CXMLSec/shim.h are pkg-config's (SwiftPM drops -D flags; they change struct layouts)")
    func xmlsecDefines() async throws {
        let flags = try await run("/usr/bin/pkg-config", ["--cflags", "xmlsec1-openssl"], error: .separate)
        #expect(flags.status == 0, "\(flags.error)")
        let shim = try String(contentsOfFile: repositoryRoot + "/Sources/CXMLSec/shim.h", encoding: .utf8)
        let defines = flags.output.split(separator: " ").filter { $0.hasPrefix("-D") }.map { $0.dropFirst(2) }
        #expect(defines.contains("XMLSEC_NO_SIZE_T"))
        for define in defines {
            let parts = define.split(separator: "=", maxSplits: 1)
            let line = "#define \(parts[0])" + (parts.count > 1 ? " \(parts[1])" : "")
            #expect(shim.contains(line + "\n"), "shim.h lacks \(line)")
        }
    }

    @Test("IdP settings: https SSO URL (http only on loopback), one-word issuer")
    func identityProvider() async throws {
        let pem = try await Self.certificate("rsa:2048")
        #expect(try IdentityProviderSettings(ssoURL: "https://example.okta.com/app/x/sso/saml", entityID: "http://www.okta.com/exk1",
                                             certificatePEM: pem).entityID == "http://www.okta.com/exk1")
        for (sso, issuer) in [("http://example.okta.com/sso", "x"), ("not a url", "x"), ("https://example.okta.com/sso", ""),
                              ("https://example.okta.com/sso", "two words")] {
            #expect(throws: SAMLSettingsError.self, "\(sso) \(issuer)") {
                try IdentityProviderSettings(ssoURL: sso, entityID: issuer, certificatePEM: pem)
            }
        }
    }

    @Test("SP metadata: EntityDescriptor, SPSSODescriptor wanting signed assertions, HTTP-POST ACS; long RelayState refused")
    func metadata() async throws {
        let sp = try ServiceProviderSettings(publicURL: "https://bridge.example.com", organisation: "research")
        let idp = try IdentityProviderSettings(ssoURL: "https://idp.example/sso", entityID: "https://idp.example",
                                               certificatePEM: try await Self.certificate("rsa:2048"))
        let provider = SAMLServiceProvider(settings: SAMLSettings(serviceProvider: sp, identityProvider: idp))
        let xml = provider.metadataXML
        #expect(xml.contains(#"entityID="https://bridge.example.com/console/saml/research""#))
        #expect(xml.contains(#"WantAssertionsSigned="true""#))
        #expect(xml.contains(#"<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://bridge.example.com/console/saml/research/acs""#))
        // a real XML parser reads it (the IdP tests load it into pysaml2 as the SP's metadata)
        let dir = try temporaryDirectory("saml-md")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try xml.write(toFile: dir + "/md.xml", atomically: true, encoding: .utf8)
        let parsed = try await run("/usr/bin/env", ["python3", "-c", """
            import sys, xml.etree.ElementTree as E
            r = E.parse(sys.argv[1]).getroot()
            md = '{urn:oasis:names:tc:SAML:2.0:metadata}'
            print(r.tag == md + 'EntityDescriptor', r.find(md + 'SPSSODescriptor/' + md + 'AssertionConsumerService').get('Location'))
            """, dir + "/md.xml"])
        #expect(parsed.output.trimmingCharacters(in: .whitespacesAndNewlines)
                == "True https://bridge.example.com/console/saml/research/acs")
        #expect(throws: SAMLSettingsError.self) { try provider.startSignIn(relayState: String(repeating: "x", count: 81)) }
        let request = try provider.startSignIn(relayState: "/console")
        #expect(request.redirectURL.hasPrefix("https://idp.example/sso?SAMLRequest="))
        #expect(request.redirectURL.hasSuffix("&RelayState=%2Fconsole"))
        #expect(try provider.startSignIn().id != request.id)
    }
}

@Suite("SAML refusal messages")
struct RefusalMessageTests {
    @Test("text quoted from a posted document is shown with control and bidi characters escaped, and cut")
    func printable() {
        let refusal = SAMLRefusal.issuer(found: "evil\n2026-01-01 admin signed in\u{202E}", expected: "https://idp")
        #expect(refusal.description.contains(#"evil\u{a}2026-01-01 admin signed in\u{202e}""#), "\(refusal)")
        #expect(!refusal.description.contains("\n"))
        #expect(refusal.reason == .issuer)
        let long = SAMLRefusal.audience(found: [String(repeating: "a", count: 5000)], expected: "x").description
        #expect(long.count == 1001 && long.hasSuffix("…"))
    }
}
