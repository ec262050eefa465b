import Foundation
import HTTPTypes
import HummingbirdTesting
import SunkStore
import Testing
import TestSupport

@Suite("Console sign-in through the org's IdP (pysaml2)", .tags(.e2e))
struct ConsoleSignInTests {
    @Test("an admin named by email signs in SP-initiated and lands on the page asked for; the cookie and headers are strict")
    func adminByEmail() async throws {
        try await ConsoleHarness.with { h in
            let acs = try await h.signIn(as: "Ada@Example.com", start: "/console/default/scim")
            #expect(acs.status == .seeOther, "\(acs.text)")
            #expect(acs.headers[.location] == "/console/default/scim", "RelayState brings the admin back")
            let cookie = try #require(h.browser.setCookie)
            #expect(cookie.hasPrefix("sunk_console="))
            for attribute in ["HttpOnly", "SameSite=Lax", "Path=/console"] { #expect(cookie.contains(attribute), "\(cookie)") }
            #expect(!cookie.contains("Secure"), "plain http on loopback: no Secure")
            let id = String(cookie.dropFirst("sunk_console=".count).prefix { $0 != ";" })
            #expect(Data(base64Encoded: id.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/") + "=")?.count == 32,
                    "a 256-bit random session id")

            let page = try await h.browser.get("/console/default/scim")
            #expect(page.status == .ok)
            #expect(page.text.contains("<h1>SCIM Configuration</h1>"))
            #expect(ConsoleHarness.element(page.text, id: "admin") == "Ada@Example.com")
            #expect(page.headers[.contentSecurityPolicy]
                    == "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
            #expect(page.headers[.cacheControl] == "no-store")
            #expect(!page.text.contains("<script"), "no JavaScript")
            let references = ["href=\"", "src=\""].flatMap { attribute in
                page.text.components(separatedBy: attribute).dropFirst().map { String($0.prefix { $0 != "\"" }) }
            }
            #expect(references.contains("/console/style.css"))
            #expect(references.allSatisfy { $0.hasPrefix("/console/") }, "no external assets or links: \(references)")

            let entry = try #require(try h.database.auditEntries(org: "default", since: nil).last)
            #expect(entry.actor == "Ada@Example.com")
            #expect(entry.method == "CONSOLE SIGN-IN")
            #expect(entry.outcome == "signed in (admin by email; SP-initiated)")
        }
    }

    @Test("a member of the console admin group (pushed over SCIM) signs in; the cookie is Secure behind https")
    func adminByGroup() async throws {
        try await ConsoleHarness.with(publicURL: "https://bridge.test.example", admins: [], adminGroup: "Console Admins") { h in
            let org = try await h.database.org(named: "default")
            let user = try await h.database.createUser(org: org, draft: UserDraft(
                userName: "grace@example.com", externalID: nil, active: true, document: "{}", gecos: "Grace Hopper",
                posixName: nil, derivedName: "grace", uid: nil, gid: nil, home: nil, shell: nil, keys: []), actor: "okta")
            _ = try await h.database.createGroup(org: org, draft: GroupDraft(
                displayName: "console admins", externalID: nil, document: "{}", posixName: "console-admins",
                memberIDs: [user.id]), actor: "okta")
            let home = try await h.signedIn(as: "grace@example.com")
            #expect(home.status == .ok, "\(home.text)")
            #expect(home.text.contains("Signed in as <strong>grace@example.com</strong> (group Console Admins)"))
            #expect(h.browser.setCookie?.contains("; Secure") == true, "\(h.browser.setCookie ?? "")")
        }
    }

    @Test("someone who is not an admin gets a plain 403, audited with who it was")
    func nonAdmin() async throws {
        try await ConsoleHarness.with(adminGroup: "console admins") { h in
            // in the IdP's admin group, but not a user pushed into this org's group: not an admin
            let acs = try await h.signIn(as: "mallory@example.com", groups: ["console admins"])
            #expect(acs.status == .forbidden)
            #expect(acs.text.contains("mallory@example.com, who is not an admin of org default"))
            #expect(acs.headers[.setCookie] == nil, "no session")
            #expect(!acs.text.contains("<nav>"))
            let entry = try #require(try h.database.auditEntries(org: "default", since: nil).last)
            #expect(entry.actor == "mallory@example.com")
            #expect(entry.outcome.hasPrefix("refused (not-admin)"))
            let again = try await h.browser.get("/console/default/users")
            #expect(again.status == .found, "still not signed in: sent to the IdP")
        }
    }

    @Test("a response the SP refuses (signed by a key it does not trust) is a 403, audited with the reason")
    func refusedResponse() async throws {
        try await ConsoleHarness.with { h in
            let acs = try await h.signIn(as: "ada@example.com", extra: ["--sign-with", "other"])
            #expect(acs.status == .forbidden)
            #expect(acs.text.contains("(signature-invalid)"))
            let entry = try #require(try h.database.auditEntries(org: "default", since: nil).last)
            #expect(entry.actor == "unverified")
            #expect(entry.outcome.hasPrefix("refused (signature-invalid)"))
        }
    }

    @Test("IdP-initiated sign-in (a dashboard tile) is accepted and lands on the console home")
    func idpInitiated() async throws {
        try await ConsoleHarness.with { h in
            let answer = try await h.idp.respond(requestURL: nil, metadata: try await h.metadataFile(), email: "ada@example.com",
                                                 acs: h.publicURL + "/console/saml/default/acs",
                                                 audience: h.publicURL + "/console/saml/default")
            let acs = try await h.browser.post("/console/saml/default/acs", form: [("SAMLResponse", answer.response)])
            #expect(acs.status == .seeOther, "\(acs.text)")
            #expect(acs.headers[.location] == "/console/default/")
            #expect(try await h.browser.get("/console/default/").status == .ok)
            #expect(try h.database.auditEntries(org: "default", since: nil).last?.outcome == "signed in (admin by email; IdP-initiated)")
        }
    }

    @Test("sign-out ends the session: the same cookie is sent to the IdP again")
    func signOut() async throws {
        try await ConsoleHarness.with { h in
            let home = try await h.signedIn(as: "ada@example.com")
            let csrf = try #require(ConsoleHarness.csrf(home.text))
            let stolen = h.browser.cookie
            let out = try await h.browser.post("/console/default/sign-out", form: [("csrf", csrf)])
            #expect(out.status == .seeOther)
            #expect(out.headers[.location] == "/console/default/signed-out")
            #expect(h.browser.setCookie?.contains("Max-Age=0") == true)
            h.browser.cookie = stolen   // the old cookie, replayed
            let after = try await h.browser.get("/console/default/")
            #expect(after.status == .found)
            #expect(after.headers[.location]?.hasPrefix(h.idp.ssoURL) == true)
            #expect(try h.database.auditEntries(org: "default", since: nil).last?.outcome == "signed out")
        }
    }

    @Test("signing in again replaces the session; an expired session sends the admin through sign-in again")
    func expiredSession() async throws {
        try await ConsoleHarness.with { h in
            #expect(try await h.signedIn(as: "ada@example.com").status == .ok)
            #expect(try await h.browser.get("/console/default/users").status == .ok)
            // signing in again gives a new id and ends the session the browser had
            let first = h.browser.cookie
            h.browser.cookie = nil   // to be sent to the IdP; the cookie comes back for the ACS
            let redirect = try await h.browser.get("/console/default/users")
            let answer = try await h.idp.respond(requestURL: try #require(redirect.headers[.location]),
                                                 metadata: try await h.metadataFile(), email: "ada@example.com")
            h.browser.cookie = first
            let acs = try await h.browser.post("/console/saml/default/acs", form: [
                ("SAMLResponse", answer.response), ("RelayState", try #require(answer.relayState))])
            #expect(acs.status == .seeOther)
            #expect(h.browser.cookie != first)
            let second = h.browser.cookie
            h.browser.cookie = first
            #expect(try await h.browser.get("/console/default/users").status == .found, "the earlier session ended")
            h.browser.cookie = second
            #expect(try await h.browser.get("/console/default/users").status == .ok)
            h.clock.advance(8 * 3600 + 1)
            let expired = try await h.browser.get("/console/default/users")
            #expect(expired.status == .found)
            #expect(expired.headers[.location]?.hasPrefix(h.idp.ssoURL + "?SAMLRequest=") == true)
        }
    }

    @Test("a form without the session's CSRF token (or with another) is refused and changes nothing")
    func csrf() async throws {
        try await ConsoleHarness.with { h in
            _ = try await h.signedIn(as: "ada@example.com")
            let before = try h.database.auditEntries(org: "default", since: nil).count
            for form in [[("name", "forged")], [("name", "forged"), ("csrf", "x" + String(repeating: "A", count: 42))]] {
                let refused = try await h.browser.post("/console/default/scim/tokens", form: form)
                #expect(refused.status == .forbidden)
                #expect(refused.text.contains("CSRF token does not match"))
            }
            #expect(try h.database.tokens(org: "default").isEmpty)
            #expect(try h.database.auditEntries(org: "default", since: nil).count == before)
        }
    }
}

extension HTTPField.Name {
    static let contentSecurityPolicy = Self("Content-Security-Policy")!
}
