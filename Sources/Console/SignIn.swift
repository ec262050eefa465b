import Foundation
import Hummingbird
import SAMLServiceProvider
import SunkStore

/// SAML sign-in: SP metadata, SP-initiated AuthnRequest (HTTP-Redirect), the ACS (HTTP-POST,
/// `ResponseVerifier` through `SAMLServiceProvider`), who may use the console, sign-out.
extension ConsoleRoutes {
    /// The org's SAML settings: ours from the public URL, the IdP's from the store.
    enum SAMLSetup {
        case ready(SAMLServiceProvider)
        case refused(Response)
    }

    func serviceProviderSettings(org: String) throws(SAMLSettingsError) -> ServiceProviderSettings {
        try ServiceProviderSettings(publicURL: publicBase(), organisation: org)
    }

    func samlSetup(org: String) async -> SAMLSetup {
        do {
            let settings = try await database.consoleSettings(org: org)
            guard let idp = settings.identityProvider else {
                return .refused(renderer.refusal(
                    org: org, title: "Sign-in is not set up",
                    message: "Org \(org) has no identity provider for the console yet: `sunk-bridge org saml set \(org) --sso-url URL --issuer ID --idp-cert FILE` (see `sunk-bridge org saml show \(org)` for the values your IdP needs).",
                    status: .serviceUnavailable))
            }
            let saml = SAMLSettings(serviceProvider: try serviceProviderSettings(org: org),
                                    identityProvider: try idp.settings())
            return .ready(providers.provider(org: org, settings: saml))
        } catch StoreError.orgNotFound(let name) {
            return .refused(renderer.refusal(org: org, title: "No such org", message: "There is no org \(name).",
                                             status: .notFound))
        } catch let error as SAMLSettingsError {
            return .refused(renderer.refusal(org: org, title: "Sign-in is not set up",
                                             message: "\(error.field): \(error.description)", status: .serviceUnavailable))
        } catch {
            logger.error("console settings unreadable", metadata: ["org": .string(org), "error": .string("\(error)")])
            return .refused(renderer.refusal(org: org, title: "Error", message: "internal error; the server log has the details",
                                             status: .internalServerError))
        }
    }

    func metadata(org: String) async -> Response {
        do {
            _ = try await database.org(named: org)
            let sp = try serviceProviderSettings(org: org)
            return ConsoleResponse.text(ServiceProviderMetadata.xml(for: sp), contentType: ServiceProviderMetadata.contentType)
        } catch {
            return renderer.refusal(org: org, title: "No metadata", message: "\(error)", status: .notFound)
        }
    }

    /// Sends the browser to the IdP with a new AuthnRequest; `returnTo` comes back as RelayState.
    func startSignIn(org: String, returnTo: String) async -> Response {
        let provider: SAMLServiceProvider
        switch await samlSetup(org: org) {
        case .ready(let p): provider = p
        case .refused(let response): return response
        }
        let relay = Self.safeReturn(returnTo, org: org) ?? "/console/\(org)/"
        do {
            let request = try provider.startSignIn(relayState: relay.utf8.count <= 80 ? relay : "/console/\(org)/",
                                                   now: configuration.clock())
            return ConsoleResponse.redirect(request.redirectURL, status: .found)
        } catch {
            return renderer.refusal(org: org, title: "Sign-in failed", message: error.description, status: .internalServerError)
        }
    }

    /// A RelayState we may redirect to: a path of this org's console, nothing else (no open redirect).
    static func safeReturn(_ path: String, org: String) -> String? {
        let base = "/console/\(org)"
        guard path == base || path.hasPrefix(base + "/"), !path.contains("//"), !path.contains("\\"),
              path.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7f }) else { return nil }
        return path
    }

    /// The ACS: verify, decide who may use the console, audit either way, start a session.
    func acs(_ request: Request, org: String) async -> Response {
        let provider: SAMLServiceProvider
        switch await samlSetup(org: org) {
        case .ready(let p): provider = p
        case .refused(let response): return response
        }
        let now = configuration.clock()
        let form: FormFields
        do { form = try await FormFields.read(request) } catch {
            return renderer.refusal(org: org, title: "Sign-in refused", message: "The sign-in form is too large.",
                                    status: .contentTooLarge)
        }
        let identity: SAMLIdentity
        do throws(SAMLRefusal) {
            identity = try provider.acceptResponse(form["SAMLResponse"] ?? "", allowIdPInitiated: configuration.allowIdPInitiated,
                                                   now: now)
        } catch {
            await audit(org: org, actor: "unverified", outcome: "refused (\(error.reason.rawValue)): \(error.description)")
            logger.notice("console sign-in refused", metadata: ["org": .string(org), "reason": .string(error.reason.rawValue)])
            return renderer.refusal(org: org, title: "Sign-in refused",
                                    message: "The identity provider's answer was not accepted (\(error.reason.rawValue)): \(error.description)",
                                    status: .forbidden)
        }
        let who = identity.nameID
        let grant: String?
        do { grant = try await adminGrant(org: org, identity: identity) } catch {
            logger.error("console admin check failed", metadata: ["org": .string(org), "error": .string("\(error)")])
            return renderer.refusal(org: org, title: "Error", message: "internal error; the server log has the details",
                                    status: .internalServerError)
        }
        guard let grant else {
            await audit(org: org, actor: who, outcome: "refused (not-admin): \(who) is not a console admin of org \(org)")
            return renderer.refusal(org: org, title: "Not a console admin",
                                    message: "You signed in as \(who), who is not an admin of org \(org)'s console. Ask an admin to add you (sunk-bridge org admins add \(org) EMAIL) or to add you to the console admin group in your IdP.",
                                    status: .forbidden)
        }
        // a new id on every sign-in; a session the browser had before ends (no fixation)
        if let previous = ConsoleCookie.sessionID(request) { await sessions.remove(id: previous) }
        let session = await sessions.create(org: org, admin: who, grant: grant, now: now)
        await audit(org: org, actor: who, outcome: "signed in (admin by \(grant); "
                    + (identity.inResponseTo == nil ? "IdP-initiated)" : "SP-initiated)"))
        let target = form["RelayState"].flatMap { Self.safeReturn($0, org: org) } ?? "/console/\(org)/"
        return ConsoleResponse.redirect(target, cookie: ConsoleCookie.set(
            session.id, maxAge: Int(configuration.sessionLifetime), secure: configuration.secureCookies))
    }

    /// Why `identity` may use the org's console ("email", "group NAME"), or nil. An admin is named
    /// by email (the NameID or the `email` attribute), or is an active user whose userName is
    /// one of those and who is a member of the console admin group pushed over SCIM.
    func adminGrant(org: String, identity: SAMLIdentity) async throws -> String? {
        let settings = try await database.consoleSettings(org: org)
        let names = Set([identity.nameID, identity.email].compactMap { $0?.lowercased() })
        if !names.isDisjoint(with: settings.adminEmails) { return "email" }
        guard let group = settings.adminGroup else { return nil }
        let stored = try await database.org(named: org)
        for name in names.sorted() {
            for user in try await database.users(org: stored, lookup: .userName(name)) where user.active {
                if user.groups.contains(where: { $0.displayName.lowercased() == group.lowercased() }) {
                    return "group \(group)"
                }
            }
        }
        return nil
    }

    func signOut(_ request: Request, org: String) async -> Response {
        await signedIn(request, org: org, form: true) { session, _ in
            await sessions.remove(id: session.id)
            await audit(org: org, actor: session.admin, outcome: "signed out")
            return ConsoleResponse.redirect("/console/\(org)/signed-out",
                                            cookie: ConsoleCookie.clear(secure: configuration.secureCookies))
        }
    }

    /// Records a sign-in event (sessions are not org changes: no store mutation).
    func audit(org: String, actor: String, outcome: String) async {
        let stored = try? await database.org(named: org)
        do {
            try await database.audit(org: stored, actor: actor, method: "CONSOLE SIGN-IN", resource: "console",
                                     outcome: String(outcome.prefix(500)))
        } catch {
            logger.error("audit failed", metadata: ["org": .string(org), "error": .string("\(error)")])
        }
    }
}
