import Foundation

/// Our side of the federation: the values the admin copies into the IdP.
public struct ServiceProviderSettings: Sendable, Equatable {
    /// `https://HOST/console/saml/ORG`: the SP entity ID (the IdP's "Audience URI").
    public let entityID: String
    /// `https://HOST/console/saml/ORG/acs`: where the IdP posts responses (HTTP-POST).
    public let acsURL: String
    /// `https://HOST/console/saml/ORG/metadata`.
    public let metadataURL: String

    /// `publicURL` is the receiver's public base (`https://HOST` or `https://HOST:PORT`; plain http
    /// only on loopback, for tests). `organisation` is the org's name.
    public init(publicURL: String, organisation: String) throws(SAMLSettingsError) {
        var base = publicURL.trimmingCharacters(in: .whitespaces)
        while base.hasSuffix("/") { base.removeLast() }
        guard let url = URLComponents(string: base), let host = url.host, !host.isEmpty,
              url.path.isEmpty, url.query == nil, url.fragment == nil, url.user == nil else {
            throw .publicURL("the public URL \"\(publicURL)\" must be https://HOST (or https://HOST:PORT), with no path")
        }
        guard url.scheme == "https" || (url.scheme == "http" && Loopback.isLoopback(host)) else {
            throw .publicURL("the public URL \"\(publicURL)\" must use https (plain http only on loopback)")
        }
        guard !organisation.isEmpty, organisation.count <= 64,
              organisation.unicodeScalars.allSatisfy({ Self.orgCharacters.contains($0) }) else {
            throw .organisation("the organisation name \"\(organisation)\" cannot be part of a URL path: use "
                                + "letters, digits, '.', '_' and '-'")
        }
        entityID = "\(base)/console/saml/\(organisation)"
        acsURL = entityID + "/acs"
        metadataURL = entityID + "/metadata"
    }

    private static let orgCharacters = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
}

/// The IdP's side: the values the admin pastes from the IdP ("Sign-on URL", "Issuer", "Signing
/// Certificate" in Okta).
public struct IdentityProviderSettings: Sendable, Equatable {
    /// Where AuthnRequests go (HTTP-Redirect).
    public let ssoURL: String
    /// The IdP's entity ID: the Issuer of its responses and assertions.
    public let entityID: String
    /// The only key a response is verified with.
    public let certificate: IdPCertificate

    /// Checks each value; the error names the field and what to change.
    public init(ssoURL: String, entityID: String, certificatePEM: String) throws(SAMLSettingsError) {
        let sso = ssoURL.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let url = URLComponents(string: sso), let host = url.host, !host.isEmpty, url.fragment == nil,
              url.user == nil else {
            throw .ssoURL("the single sign-on URL \"\(ssoURL)\" is not an absolute URL")
        }
        guard url.scheme == "https" || (url.scheme == "http" && Loopback.isLoopback(host)) else {
            throw .ssoURL("the single sign-on URL must use https (plain http only on loopback): \"\(ssoURL)\"")
        }
        let issuer = entityID.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !issuer.isEmpty, issuer.utf8.count <= 1024,
              !issuer.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 }) else {
            throw .idpEntityID("the IdP entity ID (issuer) must be one non-empty value without spaces, at most "
                               + "1024 bytes (Okta shows it as \"Identity Provider Issuer\")")
        }
        self.ssoURL = sso
        self.entityID = issuer
        certificate = try IdPCertificate(pem: certificatePEM)
    }
}

enum Loopback {
    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }
}

/// Everything one org's sign-in needs.
public struct SAMLSettings: Sendable, Equatable {
    public let serviceProvider: ServiceProviderSettings
    public let identityProvider: IdentityProviderSettings
    /// How far the IdP's clock may differ from ours (NotBefore/NotOnOrAfter). Default 2 minutes.
    public let clockSkew: TimeInterval

    public init(serviceProvider: ServiceProviderSettings, identityProvider: IdentityProviderSettings,
                clockSkew: TimeInterval = 120) {
        self.serviceProvider = serviceProvider
        self.identityProvider = identityProvider
        self.clockSkew = max(0, min(clockSkew, 600))
    }
}
