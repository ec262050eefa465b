import Crypto
import Foundation
import Hummingbird
import SAMLServiceProvider
import SunkStore

/// The pages and forms behind a session. Each change goes through the store as the signed-in
/// admin, so the store audits it in the same transaction; a refused change shows the store's
/// message on the page it came from.
extension ConsoleRoutes {
    func home(_ session: ConsoleSession) async throws -> Response {
        let org = try await database.org(named: session.org)
        let total = try await database.userPage(org: org, page: Page(startIndex: 1, count: 0)).total
        return renderer.page("home", title: "Console", org: session.org, session: session, values: [
            "admin": session.admin, "grant": session.grant, "userCount": total,
            "expires": session.expires.formatted(.iso8601),
        ])
    }

    // MARK: SAML SSO

    func samlPage(_ session: ConsoleSession, entered: ConsoleIdentityProvider? = nil, adminGroup: String? = nil,
                  error: String? = nil, notice: String? = nil) async throws -> Response {
        let settings = try await database.consoleSettings(org: session.org)
        var values: [String: Any] = ["adminEmails": settings.adminEmails,
                                     "adminGroup": adminGroup ?? settings.adminGroup ?? ""]
        if let sp = try? serviceProviderSettings(org: session.org) {
            values["acsURL"] = sp.acsURL
            values["entityID"] = sp.entityID
            values["metadataURL"] = sp.metadataURL
        }
        let idp = entered ?? settings.identityProvider
        values["ssoURL"] = idp?.ssoURL ?? ""
        values["issuer"] = idp?.entityID ?? ""
        values["certificatePEM"] = idp?.certificatePEM ?? ""
        if let pem = settings.identityProvider?.certificatePEM, let certificate = try? IdPCertificate(pem: pem) {
            values["certificate"] = [
                "subject": certificate.subject, "fingerprint": certificate.sha256Fingerprint,
                "notAfter": certificate.notAfter.formatted(.iso8601),
                "expired": certificate.isExpired(at: configuration.clock()),
            ] as [String: Any]
        }
        return renderer.page("saml", title: "SAML SSO", org: session.org, session: session, values: values,
                             error: error, notice: notice, status: error == nil ? .ok : .badRequest)
    }

    func saveSAML(_ session: ConsoleSession, _ form: FormFields) async throws -> Response {
        let idp = ConsoleIdentityProvider(ssoURL: form["sso_url"] ?? "", entityID: form["issuer"] ?? "",
                                          certificatePEM: form["certificate"] ?? "")
        do {
            _ = try await database.updateConsoleSettings(org: session.org, identityProvider: idp,
                                                         adminGroup: form["admin_group"] ?? "", actor: session.admin)
        } catch StoreError.invalidValue(let message) {
            return try await samlPage(session, entered: idp, adminGroup: form["admin_group"], error: "Not saved: \(message)")
        }
        return try await samlPage(session, notice: "Saved. Sign-in uses these values from now on.")
    }

    /// Adds a console admin by email, as the signed-in admin (audited by the store).
    func addAdmin(_ session: ConsoleSession, _ form: FormFields) async throws -> Response {
        let email = form["email"] ?? ""
        do {
            try await database.addConsoleAdmin(org: session.org, email: email, actor: session.admin)
        } catch let error as StoreError {
            switch error {
            case .invalidValue, .alreadyExists: return try await samlPage(session, error: "Not added: \(error)")
            default: throw error
            }
        }
        return try await samlPage(session, notice: "\(email.lowercased()) may now sign in to the console.")
    }

    /// Removes a console admin by email; their next sign-in is refused (a live session runs out).
    func removeAdmin(_ session: ConsoleSession, _ form: FormFields) async throws -> Response {
        let email = form["email"] ?? ""
        do {
            try await database.removeConsoleAdmin(org: session.org, email: email, actor: session.admin)
        } catch StoreError.notFound(let what) {
            return try await samlPage(session, error: "Not removed: \(what) not found.")
        }
        return try await samlPage(session, notice: "\(email.lowercased()) is no longer a console admin (from their next sign-in).")
    }

    // MARK: SCIM Configuration

    func scimPage(_ session: ConsoleSession, secret: (name: String, value: String)? = nil, error: String? = nil,
                  notice: String? = nil) async throws -> Response {
        let org = try await database.org(named: session.org)
        let tokens = try await database.tokens(org: session.org).map { token -> [String: Any] in
            ["name": token.name, "scope": token.scope.rawValue, "createdAt": token.createdAt,
             "lastUsedAt": token.lastUsedAt ?? "never"]
        }
        var values: [String: Any] = [
            "scimAPI": org.scimAPI, "provisioning": org.provisioning, "tokens": tokens,
            "baseURL": publicBase() + "/scim/" + session.org,
        ]
        if let secret { values["secret"] = ["name": secret.name, "value": secret.value] }
        return renderer.page("scim", title: "SCIM Configuration", org: session.org, session: session, values: values,
                             error: error, notice: notice, status: error == nil ? (secret == nil ? .ok : .created) : .badRequest)
    }

    func saveSwitches(_ session: ConsoleSession, _ form: FormFields) async throws -> Response {
        // an unchecked checkbox is not sent at all
        _ = try await database.updateOrg(session.org, scimAPI: form["scim_api"] == "on",
                                         provisioning: form["provisioning"] == "on", policy: nil, force: false,
                                         actor: session.admin)
        return try await scimPage(session, notice: "Saved.")
    }

    func createToken(_ session: ConsoleSession, _ form: FormFields) async throws -> Response {
        let name = form["name"] ?? ""
        guard let scope = TokenScope(rawValue: form["scope"] ?? "scim") else {
            return try await scimPage(session, error: "Not created: the scope must be scim or node.")
        }
        do {
            let secret = try await database.createToken(org: session.org, name: name, scope: scope, actor: session.admin)
            return try await scimPage(session, secret: (name.trimmingCharacters(in: .whitespaces), secret))
        } catch let error as StoreError {
            switch error {
            case .invalidValue, .alreadyExists: return try await scimPage(session, error: "Not created: \(error)")
            default: throw error
            }
        }
    }

    func revokeToken(_ session: ConsoleSession, _ form: FormFields) async throws -> Response {
        let name = form["name"] ?? ""
        do {
            try await database.revokeToken(org: session.org, name: name, actor: session.admin)
        } catch StoreError.notFound(let what) {
            return try await scimPage(session, error: "Not revoked: \(what) not found.")
        }
        return try await scimPage(session, notice: "Token \(name) revoked: it no longer authenticates.")
    }

    // MARK: Users and groups

    static let pageSize = 50

    func usersPage(_ request: Request, _ session: ConsoleSession) async throws -> Response {
        let org = try await database.org(named: session.org)
        let query = (request.uri.queryParameters.get("q") ?? "").trimmingCharacters(in: .whitespaces)
        let page = max(1, request.uri.queryParameters.get("page").flatMap { Int($0) } ?? 1)
        let total: Int, users: [StoredUser]
        if query.isEmpty {
            (total, users) = try await database.userPage(
                org: org, page: Page(startIndex: (page - 1) * Self.pageSize + 1, count: Self.pageSize))
        } else {
            users = try await database.users(org: org, lookup: .userNamePrefix(query))
            total = users.count
        }
        let rows = users.map { user -> [String: Any] in
            ["id": user.id, "userName": user.userName, "posixName": user.posixName ?? "—", "uid": user.uid,
             "active": user.active ? "yes" : "no", "exported": user.exportProblem == nil ? "yes" : "no"]
        }
        var values: [String: Any] = ["users": rows, "total": total, "query": query, "limit": UserLookup.prefixLimit]
        if query.isEmpty {
            if page > 1 { values["previous"] = page - 1 }
            if page * Self.pageSize < total { values["next"] = page + 1 }
        }
        return renderer.page("users", title: "Users", org: session.org, session: session, values: values)
    }

    func userPage(_ session: ConsoleSession, id: String) async throws -> Response {
        let org = try await database.org(named: session.org)
        let user: StoredUser
        do { user = try await database.user(org: org, id: id) } catch StoreError.notFound {
            return renderer.page("refusal", title: "No such user", org: session.org, session: session,
                                 values: ["message": "There is no user \(id) in org \(session.org)."], status: .notFound)
        }
        var refusals = try await database.exportRefusals(org: org).filter { $0.kind == .user && $0.id == user.id }
            .map(\.reason)
        if let problem = user.exportProblem, !refusals.contains(problem) { refusals.insert(problem, at: 0) }
        let values: [String: Any] = [
            "userName": user.userName, "posixName": user.posixName ?? "—", "uid": user.uid, "gid": user.gid,
            "home": user.home ?? "—", "shell": user.shell,
            "active": user.active ? "yes" : "no (nodes lock the account)",
            "keys": user.keys.map(Self.fingerprint), "groups": user.groups.map(\.displayName),
            "refusals": refusals, "notExported": !refusals.isEmpty,
        ]
        return renderer.page("user", title: "View Details: \(user.userName)", org: session.org, session: session,
                             values: values)
    }

    /// `SHA256:…` of an OpenSSH public key line, as `ssh-keygen -l` prints it, with the key type
    /// and comment.
    static func fingerprint(_ line: String) -> String {
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count >= 2, let blob = Data(base64Encoded: String(fields[1])) else { return "unreadable key" }
        let digest = Data(SHA256.hash(data: blob)).base64EncodedString().replacingOccurrences(of: "=", with: "")
        return "SHA256:\(digest) \(fields[0])" + (fields.count > 2 ? " " + fields[2...].joined(separator: " ") : "")
    }

    func groupsPage(_ session: ConsoleSession) async throws -> Response {
        let org = try await database.org(named: session.org)
        let groups = try await database.groups(org: org, lookup: .all, members: true).map { group -> [String: Any] in
            ["displayName": group.displayName, "posixName": group.posixName, "gid": group.gid,
             "members": group.members.map(\.userName).joined(separator: ", ")]
        }
        return renderer.page("groups", title: "Groups", org: session.org, session: session, values: ["groups": groups])
    }

    // MARK: Audit

    func auditPage(_ request: Request, _ session: ConsoleSession) async throws -> Response {
        let parameters = request.uri.queryParameters
        let since = (parameters.get("since") ?? "").trimmingCharacters(in: .whitespaces)
        let until = (parameters.get("until") ?? "").trimmingCharacters(in: .whitespaces)
        let actor = (parameters.get("actor") ?? "").trimmingCharacters(in: .whitespaces)
        // times are RFC 3339 text in UTC: a prefix such as 2026-01-31T10:00 compares as text
        var entries = try await database.auditEntries(org: session.org, since: since.isEmpty ? nil : since, limit: 1000)
        if !until.isEmpty { entries = entries.filter { $0.at < until } }
        if !actor.isEmpty { entries = entries.filter { $0.actor.localizedCaseInsensitiveContains(actor) } }
        let rows = entries.reversed().map { entry -> [String: Any] in
            ["at": entry.at, "actor": entry.actor, "method": entry.method, "resource": entry.resource,
             "outcome": entry.outcome]
        }
        return renderer.page("audit", title: "Audit", org: session.org, session: session, values: [
            "entries": rows, "count": rows.count, "since": since, "until": until, "actor": actor,
        ])
    }
}
