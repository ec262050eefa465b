import Foundation
import SAMLServiceProvider

/// The org's identity provider as stored: what the admin pasted from the IdP ("Sign-on URL",
/// "Issuer", "Signing Certificate" in Okta). Always all three; checked by
/// `IdentityProviderSettings` before it is stored.
public struct ConsoleIdentityProvider: Sendable, Equatable {
    public var ssoURL: String
    public var entityID: String
    /// The signing certificate, PEM (normalised by `IdPCertificate`).
    public var certificatePEM: String

    public init(ssoURL: String, entityID: String, certificatePEM: String) {
        self.ssoURL = ssoURL
        self.entityID = entityID
        self.certificatePEM = certificatePEM
    }

    /// The checked settings SAML sign-in uses.
    public func settings() throws(SAMLSettingsError) -> IdentityProviderSettings {
        try IdentityProviderSettings(ssoURL: ssoURL, entityID: entityID, certificatePEM: certificatePEM)
    }
}

/// An org's console settings: how its admins sign in, and who they are.
public struct ConsoleSettings: Sendable, Equatable {
    /// Nil until `org saml set` (or the console's SAML SSO page) configures one: no sign-in before.
    public var identityProvider: ConsoleIdentityProvider?
    /// The displayName of a SCIM group whose members are console admins.
    public var adminGroup: String?
    /// Emails (lower case, sorted) of console admins.
    public var adminEmails: [String]

    public init(identityProvider: ConsoleIdentityProvider? = nil, adminGroup: String? = nil, adminEmails: [String] = []) {
        self.identityProvider = identityProvider
        self.adminGroup = adminGroup
        self.adminEmails = adminEmails
    }
}

/// The rules of console settings, written once for every engine.
public enum ConsoleSettingsRules {
    /// Checks an IdP with `IdentityProviderSettings` and returns it as stored (trimmed, the
    /// certificate normalised); `.invalidValue` names the field and what to change.
    public static func identityProvider(_ idp: ConsoleIdentityProvider) throws(StoreError) -> ConsoleIdentityProvider {
        do {
            let checked = try idp.settings()
            return ConsoleIdentityProvider(ssoURL: checked.ssoURL, entityID: checked.entityID,
                                           certificatePEM: checked.certificate.pem)
        } catch {
            throw .invalidValue("\(error.field): \(error.description)")
        }
    }

    /// An admin group name as stored: trimmed, 1–256 characters, no control characters; nil for
    /// "" (no admin group).
    public static func adminGroup(_ name: String) throws(StoreError) -> String? {
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty { return nil }
        guard trimmed.count <= 256, !trimmed.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) else {
            throw .invalidValue("the console admin group must be a SCIM group's displayName: 1–256 printable characters")
        }
        return trimmed
    }

    /// An admin email as stored and compared: trimmed, lower case, one `@` between non-empty
    /// parts, no spaces, at most 320 bytes.
    public static func email(_ text: String) throws(StoreError) -> String {
        let email = text.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard (3...320).contains(email.utf8.count), parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty,
              !email.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 || $0.value == 0x7f })
        else {
            throw .invalidValue("\"\(text.prefix(100))\" is not an email address (name@domain, no spaces)")
        }
        return email
    }

    /// The audit text of a stored IdP: never the whole certificate, its fingerprint.
    public static func auditText(_ idp: ConsoleIdentityProvider) -> String {
        let fingerprint = (try? IdPCertificate(pem: idp.certificatePEM).sha256Fingerprint) ?? "unreadable"
        return "sso-url \(idp.ssoURL), issuer \(idp.entityID), certificate SHA-256 \(fingerprint)"
    }
}

/// A checked change of console settings, and what of it differs from the stored settings: the
/// part of `updateConsoleSettings` every engine shares (only the SQL differs).
package struct ConsoleSettingsChange: Sendable {
    /// The IdP to store; nil leaves it.
    package var identityProvider: ConsoleIdentityProvider?
    /// The admin group to store; `.some(nil)` removes it, nil leaves it.
    package var adminGroup: String??

    package static let method = "CONSOLE SETTINGS SET"
    package static let addAdmin = "CONSOLE ADMIN ADD"
    package static let removeAdmin = "CONSOLE ADMIN REMOVE"

    /// Checks the values (`ConsoleSettingsRules`) before any transaction starts.
    package init(identityProvider: ConsoleIdentityProvider?, adminGroup: String?) throws(StoreError) {
        self.identityProvider = try identityProvider.map(ConsoleSettingsRules.identityProvider)
        if let adminGroup { self.adminGroup = .some(try ConsoleSettingsRules.adminGroup(adminGroup)) }
    }

    /// The part that changes `before`, with its audit text; nil when nothing does.
    package func against(_ before: ConsoleSettings) -> (change: ConsoleSettingsChange, outcome: String)? {
        var change = self
        var texts: [String] = []
        if let idp = identityProvider, idp != before.identityProvider {
            texts.append("identity provider: " + ConsoleSettingsRules.auditText(idp))
        } else {
            change.identityProvider = nil
        }
        if let group = adminGroup, group != before.adminGroup {
            texts.append(group.map { "console admin group \"\($0)\"" } ?? "no console admin group")
        } else {
            change.adminGroup = nil
        }
        return texts.isEmpty ? nil : (change, texts.joined(separator: "; "))
    }

    package static func adminExists(_ email: String, org: String) -> StoreError {
        .alreadyExists("console admin \(email) in org \"\(org)\"")
    }

    package static func adminMissing(_ email: String, org: String) -> StoreError {
        .notFound("console admin \(email) in org \"\(org)\"")
    }
}
