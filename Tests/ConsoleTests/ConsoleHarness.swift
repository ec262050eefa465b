// The console in process (HummingbirdTesting's router: the real application, no socket) over a
// real SQLite file, signed in through the real IdP of Tests/e2e/saml/idp.py (pysaml2 + xmlsec1).
import Console
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import SCIMServer
import SunkStore
import Synchronization
import Testing
import TestSupport

/// The clock the console reads: tests move it forward to expire a session.
final class TestClock: Sendable {
    private let offset = Mutex<TimeInterval>(0)
    func now() -> Date { Date().addingTimeInterval(offset.withLock { $0 }) }
    func advance(_ seconds: TimeInterval) { offset.withLock { $0 += seconds } }
}

/// A pysaml2 IdP in its own scratch folder with its own key (`idp`), and a key the console
/// never trusts (`other`).
struct ConsoleIdP {
    static let script = repositoryRoot + "/Tests/e2e/saml/idp.py"
    let dir: String
    let entityID = "https://idp.test.example/saml2"
    let ssoURL = "http://127.0.0.1:9/sso"

    static func make() async throws -> ConsoleIdP {
        let idp = ConsoleIdP(dir: try temporaryDirectory("console-idp"))
        for name in ["idp", "other"] {
            let r = try await run("/usr/bin/openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "30",
                                                       "-subj", "/CN=console IdP \(name)", "-keyout", "\(idp.dir)/\(name).key",
                                                       "-out", "\(idp.dir)/\(name).crt"])
            guard r.status == 0 else { throw HarnessError(description: "openssl req failed: \(r.output)") }
        }
        return idp
    }

    func certificatePEM(_ name: String = "idp") throws -> String {
        try String(contentsOfFile: "\(dir)/\(name).crt", encoding: .utf8)
    }

    /// `idp.py respond`: answers the AuthnRequest in `requestURL` (the console's redirect), or
    /// IdP-initiated to `acs` when it is nil. Returns the SAMLResponse and the RelayState.
    func respond(requestURL: String?, metadata: String, email: String, groups: [String] = [], acs: String? = nil,
                 audience: String? = nil, extra: [String] = []) async throws -> (response: String, relayState: String?) {
        var arguments = [Self.script, "respond", "--dir", dir, "--entity-id", entityID, "--sso-url", ssoURL,
                         "--sp-metadata", metadata, "--email", email, "--groups", groups.joined(separator: ",")]
        if let requestURL { arguments += ["--request-url", requestURL] }
        if let acs, let audience { arguments += ["--acs", acs, "--audience", audience] }
        let r = try await run("/usr/bin/env", ["python3"] + arguments + extra, error: .separate)
        guard r.status == 0, let line = r.lines.last,
              let json = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
              let response = json["SAMLResponse"] as? String else {
            throw HarnessError(description: "idp.py respond failed (\(r.status)): \(r.output)\(r.error)")
        }
        return (response, (json["request"] as? [String: Any])?["relay_state"] as? String)
    }
}

struct HarnessError: Error, CustomStringConvertible { var description: String }

/// A browser without JavaScript: one cookie jar, no automatic redirects.
final class ConsoleBrowser: @unchecked Sendable {
    let client: any TestClientProtocol
    var cookie: String?
    /// The last Set-Cookie header seen.
    var setCookie: String?

    init(client: any TestClientProtocol) { self.client = client }

    func get(_ uri: String) async throws -> TestResponse {
        try await send(uri, method: .get, body: nil)
    }

    func post(_ uri: String, form: [(String, String)]) async throws -> TestResponse {
        let body = form.map { "\(Self.encode($0.0))=\(Self.encode($0.1))" }.joined(separator: "&")
        return try await send(uri, method: .post, body: body)
    }

    private func send(_ uri: String, method: HTTPRequest.Method, body: String?) async throws -> TestResponse {
        var headers = HTTPFields()
        if let cookie { headers[.cookie] = cookie }
        if body != nil { headers[.contentType] = "application/x-www-form-urlencoded" }
        let response = try await client.execute(uri: uri, method: method, headers: headers,
                                                body: body.map { ByteBuffer(string: $0) })
        if let set = response.headers[.setCookie] {
            setCookie = set
            let pair = String(set.split(separator: ";")[0])
            cookie = pair.hasSuffix("=") ? nil : pair
        }
        return response
    }

    static func encode(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }
}

extension TestResponse {
    var text: String { String(buffer: body) }
}

/// One console under test: database, application (in process), IdP, clock, browser.
struct ConsoleHarness {
    let database: SQLiteStore
    let idp: ConsoleIdP
    let clock: TestClock
    let browser: ConsoleBrowser
    let publicURL: String
    let org = "default"

    /// A fresh database with org `default` whose console trusts `idp`, and admins named by email
    /// `admins` and group `adminGroup`.
    static func with(publicURL: String = "http://127.0.0.1:1", admins: [String] = ["ada@example.com"],
                     adminGroup: String? = nil, _ body: (ConsoleHarness) async throws -> Void) async throws {
        let directory = try temporaryDirectory("console-test")
        let idp = try await ConsoleIdP.make()
        defer {
            try? FileManager.default.removeItem(atPath: directory)
            try? FileManager.default.removeItem(atPath: idp.dir)
        }
        let database = try SQLiteStore(path: directory + "/sunk.sqlite")
        _ = try database.createOrg("default")
        _ = try await database.updateConsoleSettings(
            org: "default",
            identityProvider: ConsoleIdentityProvider(ssoURL: idp.ssoURL, entityID: idp.entityID,
                                                      certificatePEM: try idp.certificatePEM()),
            adminGroup: adminGroup, actor: "test")
        for admin in admins { try await database.addConsoleAdmin(org: "default", email: admin, actor: "test") }
        let clock = TestClock()
        var logger = Logger(label: "console-test")
        logger.logLevel = .critical
        let app = SCIMServerApp.make(
            database: database, configuration: ServerConfiguration(host: "127.0.0.1", port: 0, publicURL: publicURL),
            logger: logger, console: ConsoleConfiguration(clock: { clock.now() }))
        nonisolated(unsafe) let body = body
        try await app.test(.router) { client in
            try await body(ConsoleHarness(database: database, idp: idp, clock: clock, browser: ConsoleBrowser(client: client),
                                          publicURL: publicURL))
        }
    }

    /// The SP metadata as the console serves it, in a file for the IdP.
    func metadataFile() async throws -> String {
        let response = try await browser.get("/console/saml/\(org)/metadata")
        #expect(response.status == .ok)
        let path = idp.dir + "/sp-\(UUID().uuidString.prefix(8)).xml"
        try response.text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// SP-initiated sign-in from `start` (a console page): the console's redirect to the IdP, the
    /// IdP's answer for `email`, posted to the ACS. Returns the ACS's response.
    func signIn(as email: String, groups: [String] = [], start: String? = nil, extra: [String] = []) async throws -> TestResponse {
        let redirect = try await browser.get(start ?? "/console/\(org)/")
        #expect(redirect.status == .found, "\(redirect.text)")
        let location = try #require(redirect.headers[.location])
        #expect(location.hasPrefix(idp.ssoURL + "?SAMLRequest="))
        let answer = try await idp.respond(requestURL: location, metadata: try await metadataFile(), email: email,
                                           groups: groups, extra: extra)
        var form = [("SAMLResponse", answer.response)]
        if let relay = answer.relayState { form.append(("RelayState", relay)) }
        return try await browser.post("/console/saml/\(org)/acs", form: form)
    }

    /// Signs in and follows the redirect to the page; returns that page.
    func signedIn(as email: String, groups: [String] = []) async throws -> TestResponse {
        let acs = try await signIn(as: email, groups: groups)
        #expect(acs.status == .seeOther, "\(acs.text)")
        return try await browser.get(try #require(acs.headers[.location]))
    }

    /// The CSRF token in a page's forms.
    static func csrf(_ page: String) -> String? {
        field(page, name: "csrf")
    }

    /// The value of the first hidden/input field `name` in `page`.
    static func field(_ page: String, name: String) -> String? {
        guard let r = page.range(of: "name=\"\(name)\" value=\"") else { return nil }
        return String(page[r.upperBound...].prefix { $0 != "\"" })
    }

    /// The text of the element with `id`.
    static func element(_ page: String, id: String) -> String? {
        guard let r = page.range(of: "id=\"\(id)\">") else { return nil }
        return String(page[r.upperBound...].prefix { $0 != "<" })
    }
}
