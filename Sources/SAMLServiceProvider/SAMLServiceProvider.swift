import Foundation

/// One org's SAML 2.0 Web SSO service provider: SP-initiated requests (HTTP-Redirect) and verified
/// responses (HTTP-POST). Holds the org's pending requests and replay cache; keep one instance per
/// org for the life of the server. Thread-safe.
public final class SAMLServiceProvider: Sendable {
    public let settings: SAMLSettings
    public let pendingRequests: PendingRequests
    public let replayCache: ReplayCache

    public init(settings: SAMLSettings, pendingRequests: PendingRequests = PendingRequests(),
                replayCache: ReplayCache = ReplayCache()) {
        self.settings = settings
        self.pendingRequests = pendingRequests
        self.replayCache = replayCache
    }

    /// The SP metadata XML for `/console/saml/ORG/metadata`.
    public var metadataXML: String { ServiceProviderMetadata.xml(for: settings.serviceProvider) }

    /// Starts an SP-initiated sign-in: a new AuthnRequest, remembered as pending; send the browser
    /// to its `redirectURL`.
    public func startSignIn(relayState: String? = nil, now: Date = Date()) throws(SAMLSettingsError) -> AuthnRequest {
        let request = try AuthnRequest(settings: settings, relayState: relayState, now: now)
        pendingRequests.add(request.id, now: now)
        return request
    }

    /// Verifies the `SAMLResponse` form field of a POST to the ACS URL. `allowIdPInitiated` admits a
    /// response that answers no request (a tile in the IdP's dashboard). Returns who signed in, or
    /// throws why not.
    public func acceptResponse(_ samlResponse: String, allowIdPInitiated: Bool,
                               now: Date = Date()) throws(SAMLRefusal) -> SAMLIdentity {
        try ResponseVerifier(settings: settings, pending: pendingRequests, replay: replayCache)
            .verify(samlResponse, allowIdPInitiated: allowIdPInitiated, now: now)
    }
}
