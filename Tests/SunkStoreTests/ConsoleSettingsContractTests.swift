import Foundation
import Testing
import TestSupport
@testable import SunkStore

// The console settings part of the store's contract, against every engine: checked values,
// audited changes with their actor, no trace of a change that changes nothing, nothing nodes see.

/// A self-signed RSA 2048 certificate made by openssl, PEM (with `key` bits: 1024 is refused).
func testCertificate(bits: Int = 2048) async throws -> String {
    let dir = try temporaryDirectory("console-cert")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let r = try await run("/usr/bin/openssl", ["req", "-x509", "-newkey", "rsa:\(bits)", "-nodes", "-sha256", "-days", "30",
                                               "-subj", "/CN=store test IdP", "-keyout", dir + "/k.pem", "-out", dir + "/c.pem"])
    #expect(r.status == 0, "\(r.output)")
    return try String(contentsOfFile: dir + "/c.pem", encoding: .utf8)
}

@Suite("IdentityStore: console settings")
struct ConsoleSettingsContractTests {
    @Test("the IdP is checked, stored normalised, audited with its actor; the same values again change nothing",
          arguments: StoreEngine.all)
    func identityProvider(engine: StoreEngine) async throws {
        let pem = try await testCertificate()
        try await engine.withStore { store in
            #expect(try await store.consoleSettings(org: "default") == ConsoleSettings())
            let serial = try await store.org(named: "default").serial
            // only the base64 body, as some IdPs show it, with spaces around
            let body = pem.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
            let idp = ConsoleIdentityProvider(ssoURL: " https://idp.example/sso ", entityID: "http://www.okta.com/exk1",
                                              certificatePEM: "  " + body + "\n")
            let saved = try await store.updateConsoleSettings(org: "default", identityProvider: idp, adminGroup: nil,
                                                              actor: "ada@example.com")
            #expect(saved.identityProvider?.ssoURL == "https://idp.example/sso")
            #expect(saved.identityProvider?.certificatePEM.hasPrefix("-----BEGIN CERTIFICATE-----\n") == true)
            #expect(try await store.consoleSettings(org: "default") == saved)
            let audit = try await store.auditEntries(org: "default", since: nil, limit: 10)
            let last = try #require(audit.last)
            #expect(last.actor == "ada@example.com")
            #expect(last.method == "CONSOLE SETTINGS SET")
            #expect(last.outcome.contains("issuer http://www.okta.com/exk1, certificate SHA-256 "))
            #expect(!last.outcome.contains("BEGIN CERTIFICATE"), "the audit names the certificate by fingerprint")
            #expect(try await store.org(named: "default").serial == serial, "nodes see nothing of the console")

            _ = try await store.updateConsoleSettings(org: "default", identityProvider: idp, adminGroup: nil, actor: "again")
            #expect(try await store.auditEntries(org: "default", since: nil, limit: 10).count == audit.count,
                    "the same values again are no change and leave no audit row")
        }
    }

    @Test("a bad IdP value is refused naming its field, and nothing is stored", arguments: StoreEngine.all)
    func refusedValues(engine: StoreEngine) async throws {
        let pem = try await testCertificate(), weak = try await testCertificate(bits: 1024)
        try await engine.withStore { store in
            let cases: [(ConsoleIdentityProvider, String)] = [
                (.init(ssoURL: "http://idp.example/sso", entityID: "x", certificatePEM: pem), "IdP single sign-on URL"),
                (.init(ssoURL: "https://idp.example/sso", entityID: "two words", certificatePEM: pem), "IdP entity ID (issuer)"),
                (.init(ssoURL: "https://idp.example/sso", entityID: "x", certificatePEM: "not a certificate"),
                 "IdP signing certificate"),
                (.init(ssoURL: "https://idp.example/sso", entityID: "x", certificatePEM: weak), "at least 2048"),
            ]
            for (idp, words) in cases {
                do {
                    _ = try await store.updateConsoleSettings(org: "default", identityProvider: idp, adminGroup: nil, actor: "t")
                    Issue.record("accepted \(idp)")
                } catch let StoreError.invalidValue(message) {
                    #expect(message.contains(words), "\(message)")
                }
            }
            #expect(try await store.consoleSettings(org: "default").identityProvider == nil)
            await #expect(throws: StoreError.orgNotFound("nope")) {
                _ = try await store.updateConsoleSettings(org: "nope", identityProvider: nil, adminGroup: "g", actor: "t")
            }
        }
    }

    @Test("admin group set and cleared; admin emails added in lower case, listed sorted, removed; each audited",
          arguments: StoreEngine.all)
    func admins(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            var settings = try await store.updateConsoleSettings(org: "default", identityProvider: nil,
                                                                 adminGroup: " Console Admins ", actor: "cli")
            #expect(settings.adminGroup == "Console Admins")
            settings = try await store.updateConsoleSettings(org: "default", identityProvider: nil, adminGroup: "", actor: "cli")
            #expect(settings.adminGroup == nil)
            try await store.addConsoleAdmin(org: "default", email: "Zoe@Example.com", actor: "cli")
            try await store.addConsoleAdmin(org: "default", email: "ada@example.com", actor: "bob@example.com")
            await #expect(throws: StoreError.alreadyExists("console admin zoe@example.com in org \"default\"")) {
                try await store.addConsoleAdmin(org: "default", email: "zoe@example.COM", actor: "cli")
            }
            for bad in ["zoe", "a b@example.com", "@example.com", "zoe@"] {
                await #expect(throws: StoreError.self) { try await store.addConsoleAdmin(org: "default", email: bad, actor: "cli") }
            }
            #expect(try await store.consoleSettings(org: "default").adminEmails == ["ada@example.com", "zoe@example.com"])
            try await store.removeConsoleAdmin(org: "default", email: "ZOE@example.com", actor: "cli")
            await #expect(throws: StoreError.notFound("console admin zoe@example.com in org \"default\"")) {
                try await store.removeConsoleAdmin(org: "default", email: "zoe@example.com", actor: "cli")
            }
            #expect(try await store.consoleSettings(org: "default").adminEmails == ["ada@example.com"])
            let rows = try await store.auditEntries(org: "default", since: nil, limit: 20).filter { $0.method.hasPrefix("CONSOLE") }
            #expect(rows.map { "\($0.actor) \($0.method) \($0.resource) \($0.outcome)" } == [
                "cli CONSOLE SETTINGS SET console console admin group \"Console Admins\"",
                "cli CONSOLE SETTINGS SET console no console admin group",
                "cli CONSOLE ADMIN ADD zoe@example.com added",
                "bob@example.com CONSOLE ADMIN ADD ada@example.com added",
                "cli CONSOLE ADMIN REMOVE zoe@example.com removed",
            ])
            // another org's admins are its own
            _ = try await store.createOrg("other", policy: .default)
            #expect(try await store.consoleSettings(org: "other").adminEmails.isEmpty)
        }
    }

    @Test("token and switch changes are audited with the actor given", arguments: StoreEngine.all)
    func actors(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            _ = try await store.createToken(org: "default", name: "okta", scope: .scim, actor: "ada@example.com")
            _ = try await store.updateOrg("default", scimAPI: nil, provisioning: false, policy: nil, force: false,
                                          actor: "ada@example.com")
            try await store.revokeToken(org: "default", name: "okta", actor: "bob@example.com")
            let rows = try await store.auditEntries(org: "default", since: nil, limit: 3)
            #expect(rows.map { "\($0.actor) \($0.method)" } == [
                "ada@example.com TOKEN CREATE", "ada@example.com ORG SET", "bob@example.com TOKEN REVOKE",
            ])
        }
    }
}
