import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import SunkStore
import Testing
import TestSupport

@Suite("Console pages, signed in (pysaml2)", .tags(.e2e))
struct ConsolePagesTests {
    @Test("a token created on SCIM Configuration is shown once, authenticates an Okta-shaped push, and the user's Slurm attributes show it")
    func tokenPushAndSlurmAttributes() async throws {
        try await ConsoleHarness.with { h in
            _ = try await h.signedIn(as: "ada@example.com")
            let page = try await h.browser.get("/console/default/scim")
            #expect(ConsoleHarness.element(page.text, id: "scim-base-url") == "http://127.0.0.1:1/scim/default")
            let csrf = try #require(ConsoleHarness.csrf(page.text))
            let created = try await h.browser.post("/console/default/scim/tokens",
                                                   form: [("csrf", csrf), ("name", "Okta ID"), ("scope", "scim")])
            #expect(created.status == .created)
            let secret = try #require(ConsoleHarness.element(created.text, id: "new-secret"))
            #expect(secret.hasPrefix("sbt_"))
            let again = try await h.browser.get("/console/default/scim")
            #expect(!again.text.contains(secret), "the secret is shown once")
            #expect(again.text.contains("<td>Okta ID</td><td>scim</td>"))
            #expect(try h.database.auditEntries(org: "default", since: nil).last.map { "\($0.actor) \($0.method) \($0.resource)" }
                    == "ada@example.com TOKEN CREATE Okta ID")

            // the IdP pushes with it (Okta's create-user shape), and a user whose name is no POSIX name
            let key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILQwuexkUkfmgaRc8TfBKQn5whYd06jzr41VYHQrQER8 ada@laptop"
            let push = { (body: String) async throws -> TestResponse in
                var headers = HTTPFields()
                headers[.authorization] = "Bearer \(secret)"
                headers[.contentType] = "application/scim+json"
                return try await h.browser.client.execute(uri: "/scim/default/Users", method: .post, headers: headers,
                                                          body: ByteBuffer(string: body))
            }
            let okta = try await push("""
                {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                             "urn:coreweave:params:scim:schemas:extension:coreweave:2.0:CoreWeaveUser"],
                 "userName": "ada.lovelace@example.com", "name": {"givenName": "Ada", "familyName": "Lovelace"},
                 "emails": [{"primary": true, "value": "ada.lovelace@example.com", "type": "work"}],
                 "externalId": "00u1a2b3c4d5e6f7g8h9", "active": true,
                 "urn:coreweave:params:scim:schemas:extension:coreweave:2.0:CoreWeaveUser": {
                   "sunkSshKeys": ["\(key)"], "sunkPosixUsername": "ada", "sunkPosixUserId": 100001,
                   "sunkLoginShell": "/bin/bash"}}
                """)
            #expect(okta.status == .created, "\(okta.text)")
            let odd = try await push(#"{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "ada.lovelace@x", "active": true}"#)
            #expect(odd.status == .created, "\(odd.text)")

            let users = try await h.browser.get("/console/default/users")
            #expect(users.text.contains("2 users"))
            let found = try await h.browser.get("/console/default/users?q=ADA.LOVELACE@example.com")
            #expect(found.text.contains("1 users whose userName starts with ADA.LOVELACE@example.com"))
            // The search box is a case-insensitive prefix: both users start with "Ada.", only one with "ada.lovelace@e".
            let both = try await h.browser.get("/console/default/users?q=Ada.")
            #expect(both.text.contains("2 users whose userName starts with Ada."), "\(both.text)")
            let one = try await h.browser.get("/console/default/users?q=ada.lovelace@e")
            #expect(one.text.contains("1 users whose") && one.text.contains("ada.lovelace@example.com")
                    && !one.text.contains("ada.lovelace@x<"), "\(one.text)")
            let org = try await h.database.org(named: "default")
            let ada = try #require(try await h.database.users(org: org, lookup: .userName("ada.lovelace@example.com")).first)
            let details = try await h.browser.get("/console/default/users/\(ada.id)")
            #expect(details.status == .ok)
            #expect(ConsoleHarness.element(details.text, id: "posix-name") == "ada")
            #expect(ConsoleHarness.element(details.text, id: "uid") == "100001")
            #expect(ConsoleHarness.element(details.text, id: "exported") == "yes")
            // ssh-keygen -l's fingerprint of that key
            #expect(details.text.contains("SHA256:cg5qbROyUy8FTtvimbmLrT41AVo3XG9bfZRKABpm/Pg ssh-ed25519 ada@laptop"), "\(details.text)")
            let oddUser = try #require(try await h.database.users(org: org, lookup: .userName("ada.lovelace@x")).first)
            let oddDetails = try await h.browser.get("/console/default/users/\(oddUser.id)")
            #expect(ConsoleHarness.element(oddDetails.text, id: "exported") == "no")
            #expect(oddDetails.text.contains("sunkPosixUsername"), "why it is not exported")
        }
    }

    @Test("the provisioning and SCIM API switches change the org, audited as the admin; a revoked token stops working")
    func switchesAndRevoke() async throws {
        try await ConsoleHarness.with { h in
            let page = try await h.signedIn(as: "ada@example.com")
            let csrf = try #require(ConsoleHarness.csrf(page.text))
            let off = try await h.browser.post("/console/default/scim/switches", form: [("csrf", csrf), ("scim_api", "on")])
            #expect(off.status == .ok)
            #expect(ConsoleHarness.element(off.text, id: "provisioning-state")?.hasPrefix("off") == true)
            #expect(try await h.database.org(named: "default").provisioning == false)
            #expect(try await h.database.org(named: "default").scimAPI == true)
            #expect(try await h.database.frozenSnapshot(org: try await h.database.org(named: "default")) != nil,
                    "nodes keep the frozen snapshot")
            let on = try await h.browser.post("/console/default/scim/switches",
                                              form: [("csrf", csrf), ("scim_api", "on"), ("provisioning", "on")])
            #expect(ConsoleHarness.element(on.text, id: "provisioning-state") == "on")
            #expect(try await h.database.org(named: "default").provisioning == true)
            let switches = try h.database.auditEntries(org: "default", since: nil).filter { $0.method == "ORG SET" }
            #expect(switches.map { "\($0.actor): \($0.outcome)" }
                    == ["ada@example.com: provisioning off", "ada@example.com: provisioning on"])

            let secret = try h.database.createToken(org: "default", name: "old", scope: .scim)
            let revoked = try await h.browser.post("/console/default/scim/tokens/revoke", form: [("csrf", csrf), ("name", "old")])
            #expect(revoked.text.contains("Token old revoked"))
            #expect(try await h.database.authenticate(secret: secret, org: "default") == nil)
        }
    }

    @Test("SAML SSO shows our values and validates the IdP's on save; Groups and a filtered Audit render")
    func samlGroupsAudit() async throws {
        try await ConsoleHarness.with { h in
            let home = try await h.signedIn(as: "ada@example.com")
            let csrf = try #require(ConsoleHarness.csrf(home.text))
            let saml = try await h.browser.get("/console/default/saml")
            #expect(ConsoleHarness.element(saml.text, id: "acs-url") == "http://127.0.0.1:1/console/saml/default/acs")
            #expect(ConsoleHarness.element(saml.text, id: "entity-id") == "http://127.0.0.1:1/console/saml/default")
            let pem = try h.idp.certificatePEM()
            let bad = try await h.browser.post("/console/default/saml", form: [
                ("csrf", csrf), ("sso_url", "http://idp.example/sso"), ("issuer", h.idp.entityID), ("certificate", pem)])
            #expect(bad.status == .badRequest)
            #expect(bad.text.contains("Not saved: IdP single sign-on URL"))
            #expect(try await h.database.consoleSettings(org: "default").identityProvider?.ssoURL == h.idp.ssoURL)
            let other = try h.idp.certificatePEM("other")
            let good = try await h.browser.post("/console/default/saml", form: [
                ("csrf", csrf), ("sso_url", h.idp.ssoURL), ("issuer", h.idp.entityID), ("certificate", other),
                ("admin_group", "hpc admins")])
            #expect(good.status == .ok)
            #expect(good.text.contains("Saved."))
            let stored = try await h.database.consoleSettings(org: "default")
            #expect(stored.adminGroup == "hpc admins")
            #expect(stored.identityProvider?.certificatePEM.contains(other.split(separator: "\n")[1]) == true)
            #expect(ConsoleHarness.element(good.text, id: "idp-fingerprint")?.count == 95)

            // Admins by email, from the page: added, refused twice, removed; each audited as the admin.
            let added = try await h.browser.post("/console/default/saml/admins", form: [("csrf", csrf), ("email", "Grace@Example.com")])
            #expect(added.status == .ok && added.text.contains("grace@example.com may now sign in"), "\(added.text)")
            #expect(try await h.database.consoleSettings(org: "default").adminEmails.contains("grace@example.com"))
            let twice = try await h.browser.post("/console/default/saml/admins", form: [("csrf", csrf), ("email", "grace@example.com")])
            #expect(twice.status == .badRequest && twice.text.contains("Not added"))
            let forged = try await h.browser.post("/console/default/saml/admins/remove", form: [("email", "grace@example.com")])
            #expect(forged.status == .forbidden, "no CSRF token, no change")
            let removed = try await h.browser.post("/console/default/saml/admins/remove",
                                                   form: [("csrf", csrf), ("email", "grace@example.com")])
            #expect(removed.status == .ok && removed.text.contains("no longer a console admin"))
            #expect(try await h.database.consoleSettings(org: "default").adminEmails.contains("grace@example.com") == false)
            let missing = try await h.browser.post("/console/default/saml/admins/remove",
                                                   form: [("csrf", csrf), ("email", "grace@example.com")])
            #expect(missing.status == .badRequest && missing.text.contains("Not removed"))

            let org = try await h.database.org(named: "default")
            let user = try await h.database.createUser(org: org, draft: UserDraft(
                userName: "grace@example.com", externalID: nil, active: true, document: "{}", gecos: "",
                posixName: "grace", derivedName: "grace", uid: nil, gid: nil, home: nil, shell: nil, keys: []), actor: "okta")
            _ = try await h.database.createGroup(org: org, draft: GroupDraft(
                displayName: "HPC Users", externalID: nil, document: "{}", posixName: "hpc-users", memberIDs: [user.id]),
                actor: "okta")
            let groups = try await h.browser.get("/console/default/groups")
            #expect(groups.text.contains("<td>HPC Users</td><td>hpc-users</td>"))
            #expect(groups.text.contains("<td>grace@example.com</td>"))

            let audit = try await h.browser.get("/console/default/audit?actor=ada%40example.com")
            #expect(audit.text.contains("CONSOLE SETTINGS SET"))
            #expect(!audit.text.contains("<td>okta</td>"), "filtered by actor")
            let future = try await h.browser.get("/console/default/audit?since=2999-01-01")
            #expect(future.text.contains("0 entries"))
        }
    }
}
