// Sign-in that must succeed, against the real IdP: SP-initiated (our AuthnRequest read by pysaml2,
// its InResponseTo checked), IdP-initiated when allowed, a signed Response, a signed Assertion,
// both.
import Foundation
import SAMLServiceProvider
import Testing
import TestSupport

@Suite("SAML sign-in against pysaml2", .tags(.e2e))
struct SignInTests {
    @Test("SP-initiated: pysaml2 reads our AuthnRequest, and its signed answer signs in with the attributes")
    func spInitiated() async throws {
        let idp = try await TestIdP.make()
        defer { idp.remove() }
        let sp = try idp.serviceProvider()
        let request = try sp.startSignIn(relayState: "/console/research/users")
        #expect(sp.pendingRequests.count == 1)
        let answer = try await idp.respond(sp, to: request)
        // what the IdP decoded from the HTTP-Redirect URL (DEFLATE + base64 + URL-encoding)
        let seen = try #require(answer.request)
        #expect(seen["id"] as? String == request.id)
        #expect(seen["acs"] as? String == "https://bridge.test.example/console/saml/research/acs")
        #expect(seen["issuer"] as? String == "https://bridge.test.example/console/saml/research")
        #expect(seen["destination"] as? String == idp.ssoURL)
        #expect(seen["protocol_binding"] as? String == "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST")
        #expect(seen["relay_state"] as? String == "/console/research/users")

        let identity = try sp.acceptResponse(answer.samlResponse, allowIdPInitiated: false)
        #expect(identity.nameID == "ada@example.com")
        #expect(identity.firstName == "Ada")
        #expect(identity.lastName == "Lovelace")
        #expect(identity.email == "ada@example.com")
        #expect(identity.groups == ["hpc-users", "console-admins"])
        #expect(identity.inResponseTo == request.id)
        #expect(identity.sessionIndex?.isEmpty == false)
        #expect(sp.pendingRequests.count == 0, "the request is used up")
        #expect(sp.replayCache.count == 1)
    }

    @Test("IdP-initiated: accepted when the caller allows it, refused as unsolicited when not")
    func idpInitiated() async throws {
        let idp = try await TestIdP.make()
        defer { idp.remove() }
        let sp = try idp.serviceProvider()
        let first = try await idp.respond(sp, to: nil)
        let identity = try sp.acceptResponse(first.samlResponse, allowIdPInitiated: true)
        #expect(identity.nameID == "ada@example.com")
        #expect(identity.inResponseTo == nil)
        let second = try await idp.respond(sp, to: nil)
        #expect(refusal { () throws(SAMLRefusal) in try sp.acceptResponse(second.samlResponse, allowIdPInitiated: false) }?
            .reason == .unsolicited)
    }

    @Test("a signed Assertion alone, and both signed, are accepted", arguments: ["assertion", "both"])
    func signedParts(_ part: String) async throws {
        let idp = try await TestIdP.make()
        defer { idp.remove() }
        let sp = try idp.serviceProvider()
        let request = try sp.startSignIn()
        let answer = try await idp.respond(sp, to: request, ["--sign", part])
        let identity = try sp.acceptResponse(answer.samlResponse, allowIdPInitiated: false)
        #expect(identity.nameID == "ada@example.com")
        #expect(identity.inResponseTo == request.id)
    }

    @Test("a comment inserted into the NameID after signing: the name is read whole from the signed bytes")
    func commentInNameID() async throws {
        let idp = try await TestIdP.make()
        defer { idp.remove() }
        let sp = try idp.serviceProvider()
        let request = try sp.startSignIn()
        let answer = try await idp.respond(sp, to: request, ["--variant", "comment-in-nameid"])
        let xml = String(decoding: Data(base64Encoded: answer.samlResponse)!, as: UTF8.self)
        #expect(xml.contains("ada@<!---->example.com"), "the attack is in the document")
        let identity = try sp.acceptResponse(answer.samlResponse, allowIdPInitiated: false)
        #expect(identity.nameID == "ada@example.com")
        #expect(identity.email == "ada@example.com")
    }

    @Test("the same assertion posted twice: the second is a replay (SP- and IdP-initiated)")
    func replay() async throws {
        let idp = try await TestIdP.make()
        defer { idp.remove() }
        let sp = try idp.serviceProvider()
        let request = try sp.startSignIn()
        let answer = try await idp.respond(sp, to: request)
        _ = try sp.acceptResponse(answer.samlResponse, allowIdPInitiated: false)
        #expect(refusal { () throws(SAMLRefusal) in try sp.acceptResponse(answer.samlResponse, allowIdPInitiated: false) }?
            .reason == .replayed)
        let unsolicited = try await idp.respond(sp, to: nil)
        _ = try sp.acceptResponse(unsolicited.samlResponse, allowIdPInitiated: true)
        #expect(refusal { () throws(SAMLRefusal) in try sp.acceptResponse(unsolicited.samlResponse, allowIdPInitiated: true) }?
            .reason == .replayed)
    }
}

@Suite("SAML sign-in through the loopback HTTP IdP", .tags(.e2e, .live))
struct LoopbackIdPTests {
    @Test("idp.py serve: GET /sso with our redirect URL answers an auto-posting form whose response signs in")
    func httpIdP() async throws {
        let idp = try await TestIdP.make()
        defer { idp.remove() }
        // the SP's metadata must exist before the IdP starts; its SSO URL is the served one
        let probe = try idp.serviceProvider()
        let metadata = idp.dir + "/sp.xml"
        try probe.metadataXML.write(toFile: metadata, atomically: true, encoding: .utf8)
        let server = try await ChildProcess.start("/usr/bin/env", [
            "python3", TestIdP.script, "serve", "--dir", idp.dir, "--entity-id", idp.entityID, "--sso-url", "auto",
            "--sp-metadata", metadata, "--port", "0", "--groups", "hpc-users",
        ])
        defer { server.stop(grace: 2) }
        let base = try #require(await server.waitForLine(startingWith: "listening on ", seconds: 60),
                                "\(server.standardError.text)")
        let sp = try idp.serviceProvider(ssoURL: base + "/sso")
        let request = try sp.startSignIn(relayState: "/console/research")
        let page = try await run("/usr/bin/curl", ["-fsS", request.redirectURL], error: .separate)
        #expect(page.status == 0, "\(page.error)")
        #expect(page.output.contains(#"action="https://bridge.test.example/console/saml/research/acs""#))
        let field = { (name: String) -> String? in
            guard let r = page.output.range(of: "name=\"\(name)\" value=\"") else { return nil }
            return String(page.output[r.upperBound...].prefix { $0 != "\"" })
        }
        #expect(field("RelayState") == "/console/research")
        let response = try #require(field("SAMLResponse"))
        let identity = try sp.acceptResponse(response, allowIdPInitiated: false)
        #expect(identity.nameID == "ada@example.com")
        #expect(identity.groups == ["hpc-users"])
        #expect(identity.inResponseTo == request.id)
    }
}

@Suite("SAML one-time state", .tags(.e2e))
struct OneTimeStateTests {
    @Test("one response posted from 16 tasks at once: exactly one signs in, the others are replays")
    func concurrentReplay() async throws {
        let idp = try await TestIdP.make()
        defer { idp.remove() }
        let sp = try idp.serviceProvider()
        let response = try await idp.respond(sp, to: nil).samlResponse
        let reasons = await withTaskGroup(of: String.self) { group in
            for _ in 0..<16 {
                group.addTask {
                    do throws(SAMLRefusal) {
                        return try sp.acceptResponse(response, allowIdPInitiated: true).nameID
                    } catch {
                        return error.reason.rawValue
                    }
                }
            }
            return await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(reasons.filter { $0 == "ada@example.com" }.count == 1, "\(reasons)")
        #expect(reasons.filter { $0 == "replayed" }.count == 15, "\(reasons)")
    }

    @Test("a response to a request that has expired on our side is refused, and the request is gone")
    func expiredRequest() async throws {
        let idp = try await TestIdP.make()
        defer { idp.remove() }
        let sp = try idp.serviceProvider()
        let request = try sp.startSignIn()
        let answer = try await idp.respond(sp, to: request)
        // pending requests that live a minute; this one was sent 61 seconds ago (the assertion
        // itself is fresh)
        let short = SAMLServiceProvider(settings: sp.settings, pendingRequests: PendingRequests(lifetime: 60))
        let again = try short.startSignIn(now: Date().addingTimeInterval(-61))
        let answerAgain = try await idp.respond(short, to: again)
        let refused = refusal { () throws(SAMLRefusal) in try short.acceptResponse(answerAgain.samlResponse, allowIdPInitiated: false) }
        #expect(refused?.reason == .inResponseTo)
        #expect(refused?.description.contains("expired before the answer came") == true, "\(refused.map(String.init(describing:)) ?? "accepted")")
        #expect(short.pendingRequests.count == 0)
        // and the unexpired one still works
        #expect(try sp.acceptResponse(answer.samlResponse, allowIdPInitiated: false).inResponseTo == request.id)
    }
}
