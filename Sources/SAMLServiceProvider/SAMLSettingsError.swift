/// A SAML setting that cannot be used, with what to change.
public enum SAMLSettingsError: Error, Sendable, Equatable, CustomStringConvertible {
    case publicURL(String)
    case organisation(String)
    case ssoURL(String)
    case idpEntityID(String)
    case certificate(String)
    case relayState(String)

    /// The setting at fault, as the console and the CLI name it.
    public var field: String {
        switch self {
        case .publicURL: "public URL"
        case .organisation: "organisation"
        case .ssoURL: "IdP single sign-on URL"
        case .idpEntityID: "IdP entity ID (issuer)"
        case .certificate: "IdP signing certificate"
        case .relayState: "RelayState"
        }
    }

    public var description: String {
        switch self {
        case .publicURL(let m), .organisation(let m), .ssoURL(let m), .idpEntityID(let m), .certificate(let m),
             .relayState(let m): m
        }
    }
}
