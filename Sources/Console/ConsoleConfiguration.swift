import Foundation

/// How the console signs admins in and keeps them signed in.
public struct ConsoleConfiguration: Sendable {
    /// How long a session lasts after sign-in (default 8 hours); then the next page signs in again.
    public var sessionLifetime: TimeInterval
    /// Accepts a response that answers no request of ours (a tile in the IdP's dashboard).
    public var allowIdPInitiated: Bool
    /// Marks the session cookie `Secure`. `SCIMServerApp` sets it when the server speaks TLS or
    /// its public URL is https (TLS at a proxy).
    public var secureCookies: Bool
    /// The clock of sessions and SAML validity (tests move it).
    public var clock: @Sendable () -> Date

    public init(sessionLifetime: TimeInterval = 8 * 3600, allowIdPInitiated: Bool = true, secureCookies: Bool = false,
                clock: @escaping @Sendable () -> Date = { Date() }) {
        self.sessionLifetime = sessionLifetime
        self.allowIdPInitiated = allowIdPInitiated
        self.secureCookies = secureCookies
        self.clock = clock
    }
}
