import Foundation
import HTTPTypes
import Hummingbird
import Logging
import SAMLServiceProvider
import SunkStore

/// The admin console under `/console/`, on the receiver's listener. Each org's admins sign in
/// through the org's own IdP (SAML 2.0, `SignIn`); every page needs a session of that org and
/// every form its CSRF token; every change is made and audited as the signed-in admin.
public final class ConsoleRoutes: Sendable {
    let database: any IdentityStore
    let configuration: ConsoleConfiguration
    /// `https://HOST` (no trailing slash): the public URL, else the bound address.
    let publicBase: @Sendable () -> String
    let logger: Logger
    let sessions: SessionStore
    let providers = ServiceProviders()
    let renderer = Renderer()

    public init(database: any IdentityStore, configuration: ConsoleConfiguration, logger: Logger,
                publicBase: @escaping @Sendable () -> String) {
        self.database = database
        self.configuration = configuration
        self.logger = logger
        self.publicBase = publicBase
        sessions = SessionStore(lifetime: configuration.sessionLifetime)
    }

    public func register<Context: RequestContext>(on router: Router<Context>) {
        router.get("/console/style.css") { _, _ in
            ConsoleResponse.text(Templates.stylesheet, contentType: "text/css; charset=utf-8", cache: true)
        }
        router.get("/console/saml/:org/metadata") { _, context in
            await self.metadata(org: try context.parameters.require("org"))
        }
        router.post("/console/saml/:org/acs") { request, context in
            await self.acs(request, org: try context.parameters.require("org"))
        }
        router.post("/console/:org/sign-out") { request, context in
            await self.signOut(request, org: try context.parameters.require("org"))
        }
        router.get("/console/:org/signed-out") { _, context in
            let org = try context.parameters.require("org")
            return self.renderer.page("refusal", title: "Signed out", org: org, session: nil,
                                      values: ["message": "You are signed out of the console of org \(org)."])
        }
        let pages: [(String, @Sendable (Request, Context, ConsoleSession) async throws -> Response)] = [
            ("/console/:org", { _, _, s in try await self.home(s) }),
            ("/console/:org/saml", { _, _, s in try await self.samlPage(s) }),
            ("/console/:org/scim", { _, _, s in try await self.scimPage(s) }),
            ("/console/:org/users", { r, _, s in try await self.usersPage(r, s) }),
            ("/console/:org/users/:id", { _, c, s in try await self.userPage(s, id: try c.parameters.require("id")) }),
            ("/console/:org/groups", { _, _, s in try await self.groupsPage(s) }),
            ("/console/:org/audit", { r, _, s in try await self.auditPage(r, s) }),
        ]
        for (path, handler) in pages {
            router.get(RouterPath(path)) { request, context in
                await self.signedIn(request, org: try context.parameters.require("org"), form: false) { session, _ in
                    try await handler(request, context, session)
                }
            }
        }
        let forms: [(String, @Sendable (ConsoleSession, FormFields) async throws -> Response)] = [
            ("/console/:org/saml", { s, f in try await self.saveSAML(s, f) }),
            ("/console/:org/saml/admins", { s, f in try await self.addAdmin(s, f) }),
            ("/console/:org/saml/admins/remove", { s, f in try await self.removeAdmin(s, f) }),
            ("/console/:org/scim/switches", { s, f in try await self.saveSwitches(s, f) }),
            ("/console/:org/scim/tokens", { s, f in try await self.createToken(s, f) }),
            ("/console/:org/scim/tokens/revoke", { s, f in try await self.revokeToken(s, f) }),
        ]
        for (path, handler) in forms {
            router.post(RouterPath(path)) { request, context in
                await self.signedIn(request, org: try context.parameters.require("org"), form: true) { session, form in
                    try await handler(session, form!)
                }
            }
        }
    }

    /// Runs `body` for a live session of `org`; a form must carry the session's CSRF token. Without
    /// a session a page starts sign-in (and comes back to itself); a form goes back to the home page.
    func signedIn(_ request: Request, org: String, form: Bool,
                  _ body: (ConsoleSession, FormFields?) async throws -> Response) async -> Response {
        let now = configuration.clock()
        var session: ConsoleSession?
        if let id = ConsoleCookie.sessionID(request) { session = await sessions.session(id: id, now: now) }
        guard let session, session.org == org else {
            if form { return ConsoleResponse.redirect("/console/\(org)/") }
            return await startSignIn(org: org, returnTo: request.uri.path)
        }
        do {
            var fields: FormFields?
            if form {
                let read = try await FormFields.read(request)
                guard let token = read["csrf"], RandomToken.equal(token, session.csrf) else {
                    return renderer.refusal(org: org, title: "Form refused",
                                            message: "This form is stale or did not come from this console (its CSRF token does not match your session). Go back, reload the page and try again.",
                                            status: .forbidden)
                }
                fields = read
            }
            return try await body(session, fields)
        } catch let error as StoreError {
            if case .orgNotFound = error {
                return renderer.refusal(org: org, title: "No such org", message: error.description, status: .notFound)
            }
            logger.error("console request failed", metadata: ["org": .string(org), "error": .string("\(error)")])
            return renderer.refusal(org: org, title: "Error", message: error.description, status: .internalServerError)
        } catch {
            logger.error("console request failed", metadata: ["org": .string(org), "error": .string("\(error)")])
            return renderer.refusal(org: org, title: "Error", message: "internal error; the server log has the details",
                                    status: .internalServerError)
        }
    }
}
