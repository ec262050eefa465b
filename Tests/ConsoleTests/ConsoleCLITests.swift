import Foundation
import SunkStore
import Testing
import TestSupport

/// The console's settings on the CLI, run as the real `sunk-bridge` binary.
@Suite("Console settings on the CLI (org saml, org admins, org set --console-admin-group)", .tags(.e2e))
struct ConsoleCLITests {
    func bridge(_ arguments: [String]) async throws -> ProcessResult {
        let env = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": NSTemporaryDirectory()]
        return try await run(try Binaries.sunkBridge(), arguments, environment: env, error: .separate)
    }

    @Test("saml set stores the IdP (audited as cli); saml show prints our values for the public URL and the certificate's subject, fingerprint, expiry")
    func saml() async throws {
        let work = try temporaryDirectory("console-cli")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let db = work + "/sunk.sqlite"
        _ = try SQLiteStore(path: db).createOrg("default")
        let openssl = try await run("/usr/bin/openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "30",
                                                        "-subj", "/CN=console cli IdP", "-keyout", work + "/idp.key", "-out", work + "/idp.crt"])
        #expect(openssl.status == 0)
        let fingerprint = try await run("/usr/bin/openssl", ["x509", "-in", work + "/idp.crt", "-noout", "-fingerprint", "-sha256"])
        let expected = try #require(fingerprint.output.split(separator: "=").last).trimmingCharacters(in: .whitespacesAndNewlines)

        let before = try await bridge(["org", "saml", "show", "default", "--db", db])
        #expect(before.status == 0, "\(before.error)")
        #expect(before.output.contains("https://HOST/console/saml/default/acs"))
        #expect(before.output.contains("not set: sunk-bridge org saml set default"))

        try "not a certificate\n".write(toFile: work + "/bad.crt", atomically: true, encoding: .utf8)
        let bad = try await bridge(["org", "saml", "set", "default", "--db", db, "--sso-url", "https://idp.example/sso",
                                    "--issuer", "http://www.okta.com/exk1", "--idp-cert", work + "/bad.crt"])
        #expect(bad.status != 0)
        #expect(bad.error.contains("IdP signing certificate"), "\(bad.error)")

        let set = try await bridge(["org", "saml", "set", "default", "--db", db, "--sso-url", "https://idp.example/sso",
                                    "--issuer", "http://www.okta.com/exk1", "--idp-cert", work + "/idp.crt"])
        #expect(set.status == 0, "\(set.error)")
        let config = work + "/config.yaml"
        try "server:\n  publicURL: https://bridge.example.com\n".write(toFile: config, atomically: true, encoding: .utf8)
        let show = try await bridge(["org", "saml", "show", "default", "--db", db, "--config", config])
        #expect(show.status == 0, "\(show.error)")
        for line in ["Single sign-on URL (ACS URL):   https://bridge.example.com/console/saml/default/acs",
                     "Audience URI (SP Entity ID):    https://bridge.example.com/console/saml/default",
                     "SP metadata:                    https://bridge.example.com/console/saml/default/metadata",
                     "sso-url: https://idp.example/sso", "issuer: http://www.okta.com/exk1",
                     "certificate subject: CN=console cli IdP", "certificate SHA-256: \(expected)", "certificate expires: "] {
            #expect(show.output.contains(line), "\(line) in \(show.output)")
        }
        let flag = try await bridge(["org", "saml", "show", "default", "--db", db, "--config", config,
                                     "--public-url", "https://other.example.com:8443"])
        #expect(flag.output.contains("https://other.example.com:8443/console/saml/default/acs"), "the flag wins")
        let audit = try SQLiteStore(path: db).auditEntries(org: "default", since: nil)
        #expect(audit.last.map { "\($0.actor) \($0.method)" } == "cli CONSOLE SETTINGS SET")
    }

    @Test("admins add, list, remove; org set --console-admin-group sets and clears the group")
    func admins() async throws {
        let work = try temporaryDirectory("console-cli")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let db = work + "/sunk.sqlite"
        _ = try SQLiteStore(path: db).createOrg("default")
        #expect(try await bridge(["org", "admins", "add", "default", "Ada@Example.com", "--db", db]).status == 0)
        #expect(try await bridge(["org", "admins", "add", "default", "bob@example.com", "--db", db]).status == 0)
        let twice = try await bridge(["org", "admins", "add", "default", "ada@example.com", "--db", db])
        #expect(twice.status != 0)
        #expect(twice.error.contains("console admin ada@example.com in org \"default\" already exists"), "\(twice.error)")
        let group = try await bridge(["org", "set", "default", "--console-admin-group", "HPC Admins", "--db", db])
        #expect(group.status == 0, "\(group.error)")
        #expect(group.output.contains("console admin group: \"HPC Admins\""))
        var list = try await bridge(["org", "admins", "list", "default", "--db", db])
        #expect(list.output == "ada@example.com\nbob@example.com\nconsole admin group: \"HPC Admins\"\n")
        #expect(try await bridge(["org", "admins", "remove", "default", "bob@example.com", "--db", db]).status == 0)
        #expect(try await bridge(["org", "set", "default", "--console-admin-group", "", "--db", db]).status == 0)
        list = try await bridge(["org", "admins", "list", "default", "--db", db])
        #expect(list.output == "ada@example.com\nconsole admin group: none\n")
        let missing = try await bridge(["org", "admins", "remove", "default", "bob@example.com", "--db", db])
        #expect(missing.status != 0)
        #expect(missing.error.contains("not found"))
    }
}
