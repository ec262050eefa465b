/// Who signed in, read only from the part of the response the verified signature covers.
public struct SAMLIdentity: Sendable, Equatable {
    /// The Subject's NameID (Okta: the user's username, usually the email).
    public let nameID: String
    public let nameIDFormat: String?
    /// The AuthnStatement's SessionIndex (for a later logout).
    public let sessionIndex: String?
    /// The assertion's ID (kept in the replay cache).
    public let assertionID: String
    /// The request this answers, or nil for an IdP-initiated sign-in.
    public let inResponseTo: String?
    /// Every attribute by Name, with its values in order.
    public let attributes: [String: [String]]

    /// The attributes the Okta guide configures.
    public var firstName: String? { attributes["first_name"]?.first }
    public var lastName: String? { attributes["last_name"]?.first }
    public var email: String? { attributes["email"]?.first }
    /// The `groups` attribute's values (empty when the IdP sends none).
    public var groups: [String] { attributes["groups"] ?? [] }
}
