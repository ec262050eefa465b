import Foundation
import SunkStore
import Testing
import TestSupport

/// A real browser through a real receiver: `sunk-bridge serve` on loopback, the pysaml2 IdP of
/// `idp.py serve`, and Debian's chromium driven by selenium (Tests/e2e/console/browser.py).
/// Screenshots are kept under .build/test-artefacts/console-browser/ (the test prints the folder).
@Suite("Console in a real browser (chromium, selenium, pysaml2)", .tags(.e2e, .live), .timeLimit(.minutes(5)))
struct ConsoleBrowserTests {
    static let script = repositoryRoot + "/Tests/e2e/console/browser.py"

    @Test("sign in through the IdP, create a token and see its secret once, provisioning off and on, a pushed user's Slurm attributes, sign out")
    func guide() async throws {
        let work = try temporaryDirectory("console-browser")
        let idp = try await ConsoleIdP.make()
        defer {
            try? FileManager.default.removeItem(atPath: work)
            try? FileManager.default.removeItem(atPath: idp.dir)
        }
        let shots = repositoryRoot + "/.build/test-artefacts/console-browser/" + ISO8601DateFormatter().string(from: Date())
        try FileManager.default.createDirectory(atPath: shots, withIntermediateDirectories: true)
        print("console browser screenshots: \(shots)")

        let db = work + "/sunk.sqlite"
        let store = try SQLiteStore(path: db)
        _ = try store.createOrg("default")
        let env = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": work]
        let server = try await ChildProcess.start(try Binaries.sunkBridge(), ["serve", "--db", db, "--listen", "127.0.0.1:0"],
                                                  environment: env)
        defer { server.stop(grace: 5) }
        let base = try #require(await server.waitForLine(startingWith: "listening on ", seconds: 60), "\(server.standardError.text)")

        let metadata = try await run("/usr/bin/curl", ["-fsS", "-o", idp.dir + "/sp.xml", base + "/console/saml/default/metadata"])
        #expect(metadata.status == 0, "\(metadata.output)")
        let idpServer = try await ChildProcess.start("/usr/bin/env", [
            "python3", ConsoleIdP.script, "serve", "--dir", idp.dir, "--entity-id", idp.entityID, "--sso-url", "auto",
            "--sp-metadata", idp.dir + "/sp.xml", "--port", "0", "--email", "ada@example.com",
        ])
        defer { idpServer.stop(grace: 2) }
        let idpBase = try #require(await idpServer.waitForLine(startingWith: "listening on ", seconds: 60),
                                   "\(idpServer.standardError.text)")
        // the receiver reads the settings on each sign-in: set them beside it, as `org saml set` would
        _ = try await store.updateConsoleSettings(
            org: "default", identityProvider: ConsoleIdentityProvider(ssoURL: idpBase + "/sso", entityID: idp.entityID,
                                                                      certificatePEM: try idp.certificatePEM()),
            adminGroup: nil, actor: "cli")
        try await store.addConsoleAdmin(org: "default", email: "ada@example.com", actor: "cli")

        let browser = try await run("/usr/bin/env", ["python3", Self.script, "--base", base, "--org", "default", "--shots", shots],
                                    error: .separate)
        #expect(browser.status == 0, "\(browser.error)")
        let line = try #require(browser.lines.last, "\(browser.error)")
        let seen = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
        #expect(seen["signedInAs"] as? String == "ada@example.com")
        #expect(seen["afterSignIn"] as? String == base + "/console/default/scim", "back on the page asked for")
        let secret = try #require(seen["secret"] as? String)
        #expect(secret.hasPrefix("sbt_"))
        #expect(seen["secretShownAgain"] as? Bool == false)
        #expect(seen["tokenListed"] as? Bool == true)
        #expect((seen["provisioningOff"] as? String)?.hasPrefix("off") == true)
        #expect(seen["provisioningOn"] as? String == "on")
        #expect(seen["pushStatus"] as? Int == 201)
        #expect(seen["posixName"] as? String == "grace")
        #expect(seen["uid"] as? String == "100002")
        #expect(seen["fingerprintShown"] as? Bool == true)
        #expect(seen["afterSignOut"] as? String == base + "/console/default/signed-out")

        // what the browser did is what the store holds, done as the admin
        #expect(try await store.authenticate(secret: secret, org: "default")?.tokenName == "Okta ID")
        #expect(try await store.org(named: "default").provisioning)
        let audit = try store.auditEntries(org: "default", since: nil)
        #expect(audit.filter { $0.actor == "ada@example.com" }.map(\.method)
                == ["CONSOLE SIGN-IN", "TOKEN CREATE", "ORG SET", "ORG SET", "CONSOLE SIGN-IN"])
        for name in ["01-signed-in-scim-configuration", "02-token-created-secret-once", "03-provisioning-off",
                     "04-provisioning-on", "05-users", "06-slurm-attributes", "07-signed-out"] {
            let size = (try? FileManager.default.attributesOfItem(atPath: "\(shots)/\(name).png")[.size] as? Int) ?? 0
            #expect(size > 1000, "screenshot \(name).png")
        }
    }
}
