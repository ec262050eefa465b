/// How `sunk-bridge serve` listens and what it tells clients.
public struct ServerConfiguration: Sendable {
    /// Interface to bind (`127.0.0.1` by default: put a TLS proxy or `--tls-*` in front for Okta).
    public var host: String
    /// TCP port; 0 picks a free one.
    public var port: Int
    /// The externally visible base (`https://scim.example.com`) used in `Location`,
    /// `meta.location` and the printed base URL; nil means `http://HOST:PORT` as bound.
    public var publicURL: String?
    /// Largest request body accepted; larger ones get 413 with a SCIM error.
    public var maxBodyBytes: Int
    /// Cap on `count` for list requests (advertised in /ServiceProviderConfig).
    public var maxResults: Int

    public init(host: String = "127.0.0.1", port: Int = 8080, publicURL: String? = nil,
                maxBodyBytes: Int = 1 << 20, maxResults: Int = 1000) {
        self.host = host; self.port = port; self.publicURL = publicURL
        self.maxBodyBytes = maxBodyBytes; self.maxResults = maxResults
    }

    /// Parses `HOST:PORT`, `[V6]:PORT` or `:PORT`.
    public static func parseListen(_ text: String) -> (host: String, port: Int)? {
        let hostPart: Substring
        let portPart: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else { return nil }
            hostPart = text[text.index(after: text.startIndex)..<close]
            portPart = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            hostPart = text[..<colon]
            portPart = text[text.index(after: colon)...]
        }
        guard let port = Int(portPart), (0...65535).contains(port) else { return nil }
        return (hostPart.isEmpty ? "0.0.0.0" : String(hostPart), port)
    }

    /// A public URL must be absolute http(s) with a host, without query or fragment; nil if it is
    /// acceptable, else the reason.
    public static func publicURLProblem(_ text: String) -> String? {
        guard text.hasPrefix("https://") || text.hasPrefix("http://") else {
            return "must start with https:// (or http:// for tests)"
        }
        let rest = text.drop(while: { $0 != ":" }).dropFirst(3)
        if rest.isEmpty || rest.hasPrefix("/") { return "has no host" }
        if text.contains("?") || text.contains("#") || text.contains(where: { $0.isWhitespace }) {
            return "must not contain a query, a fragment or spaces"
        }
        return nil
    }
}
