// `serve`'s settings: the one place the precedence flag > SUNK_BRIDGE_* environment > file >
// built-in default is decided for them.
import SCIMServer

/// What `serve` listens on and how, after flags, environment, file and defaults.
public struct ServerSettings: Equatable, Sendable {
    /// `server.listen` when nothing sets it: the host and port `ServerConfiguration` defaults to.
    public static let defaultListen: String = {
        let defaults = ServerConfiguration()
        return "\(defaults.host):\(defaults.port)"
    }()

    /// `server.maxBodyBytes` when nothing sets it.
    public static let defaultMaxBodyBytes = ServerConfiguration().maxBodyBytes

    public var listen: String
    public var publicURL: String?
    public var tlsCert: String?
    public var tlsKey: String?
    public var maxBodyBytes: Int

    public init(listen: String, publicURL: String?, tlsCert: String?, tlsKey: String?, maxBodyBytes: Int) {
        self.listen = listen
        self.publicURL = publicURL
        self.tlsCert = tlsCert
        self.tlsKey = tlsKey
        self.maxBodyBytes = maxBodyBytes
    }
}

extension SunkConfiguration {
    /// The server settings with the command line's flags (nil when not given) over this
    /// configuration's values, over the defaults.
    public func server(listen: String? = nil, publicURL: String? = nil, tlsCert: String? = nil,
                       tlsKey: String? = nil, maxBodyBytes: Int? = nil) -> ServerSettings {
        ServerSettings(listen: listen ?? self.listen ?? ServerSettings.defaultListen,
                       publicURL: publicURL ?? self.publicURL,
                       tlsCert: tlsCert ?? self.tlsCert, tlsKey: tlsKey ?? self.tlsKey,
                       maxBodyBytes: maxBodyBytes ?? self.maxBodyBytes ?? ServerSettings.defaultMaxBodyBytes)
    }
}
