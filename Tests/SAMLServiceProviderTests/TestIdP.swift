// A real SAML IdP for the tests: Tests/e2e/saml/idp.py (pysaml2 from PyPI, signing with Debian's
// xmlsec1), in its own scratch folder with its own keys: `idp` (the one the SP is configured with)
// and `other` (a key the SP never saw).
import Foundation
import SAMLServiceProvider
import Testing
import TestSupport

struct TestIdP {
    static let script = repositoryRoot + "/Tests/e2e/saml/idp.py"
    let dir: String
    let entityID = "https://idp.test.example/saml2"
    let ssoURL = "http://127.0.0.1:9/sso"

    /// A scratch folder with both key pairs.
    static func make() async throws -> TestIdP {
        let idp = TestIdP(dir: try temporaryDirectory("saml-idp"))
        for name in ["idp", "other"] {   // what `idp.py keys` does, without starting Python twice
            let r = try await run("/usr/bin/openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256",
                                                       "-days", "30", "-subj", "/CN=test IdP \(name)",
                                                       "-keyout", "\(idp.dir)/\(name).key", "-out", "\(idp.dir)/\(name).crt"])
            guard r.status == 0 else { throw Failure(description: "openssl req failed: \(r.output)") }
        }
        return idp
    }

    /// Deletes the scratch folder (keys, metadata).
    func remove() { try? FileManager.default.removeItem(atPath: dir) }

    func certificatePEM(_ name: String = "idp") throws -> String {
        try String(contentsOfFile: "\(dir)/\(name).crt", encoding: .utf8)
    }

    /// The SP for org `research` on https://bridge.test.example, trusting this IdP's `idp` key.
    func serviceProvider(idpEntityID: String? = nil, ssoURL: String? = nil) throws -> SAMLServiceProvider {
        let sp = try ServiceProviderSettings(publicURL: "https://bridge.test.example", organisation: "research")
        let idp = try IdentityProviderSettings(ssoURL: ssoURL ?? self.ssoURL, entityID: idpEntityID ?? entityID,
                                               certificatePEM: try certificatePEM())
        return SAMLServiceProvider(settings: SAMLSettings(serviceProvider: sp, identityProvider: idp))
    }

    struct Answer {
        /// What pysaml2 read from our AuthnRequest (nil for an IdP-initiated response).
        var request: [String: Any]?
        var samlResponse: String
    }

    /// Runs `idp.py respond` for `sp`: answering `request` (its redirect URL), or IdP-initiated when nil.
    func respond(_ sp: SAMLServiceProvider, to request: AuthnRequest?, _ extra: [String] = []) async throws -> Answer {
        let metadata = "\(dir)/sp-\(UUID().uuidString.prefix(8)).xml"
        try sp.metadataXML.write(toFile: metadata, atomically: true, encoding: .utf8)
        var arguments = [Self.script, "respond", "--dir", dir, "--entity-id", entityID, "--sso-url", ssoURL,
                         "--sp-metadata", metadata, "--groups", "hpc-users,console-admins"]
        if let request {
            arguments += ["--request-url", request.redirectURL]
        } else {
            arguments += ["--acs", sp.settings.serviceProvider.acsURL, "--audience", sp.settings.serviceProvider.entityID]
        }
        let r = try await run("/usr/bin/env", ["python3"] + arguments + extra, error: .separate)
        guard r.status == 0, let line = r.lines.last,
              let json = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
              let response = json["SAMLResponse"] as? String else {
            throw Failure(description: "idp.py respond \(extra) failed (\(r.status)): \(r.output)\(r.error)")
        }
        return Answer(request: json["request"] as? [String: Any], samlResponse: response)
    }

    struct Failure: Error, CustomStringConvertible { var description: String }
}

/// The refusal `body` throws; records an issue when it succeeds.
func refusal(_ body: () throws(SAMLRefusal) -> SAMLIdentity,
             sourceLocation: SourceLocation = #_sourceLocation) -> SAMLRefusal? {
    do {
        let identity = try body()
        Issue.record("accepted, as \(identity.nameID)", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}
