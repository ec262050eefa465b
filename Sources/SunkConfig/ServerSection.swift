// `server.*` and `database.*`: checked with the rules `serve` applies to its flags.
import SCIMServer

extension ConfigLoader {
    static func readServer(_ values: inout ValueReader, into config: inout SunkConfiguration) {
        config.listen = values.string("server.listen")
        if let listen = config.listen, ServerConfiguration.parseListen(listen) == nil {
            values.problem("server.listen", "\(quoted(listen)) must look like 127.0.0.1:8080, [::1]:8443 or :8443")
        }
        config.publicURL = values.string("server.publicURL")
        if let url = config.publicURL, let reason = ServerConfiguration.publicURLProblem(url) {
            values.problem("server.publicURL", "\(quoted(url)) \(reason)")
        }
        config.tlsCert = values.string("server.tls.cert")
        config.tlsKey = values.string("server.tls.key")
        for key in ["server.tls.cert", "server.tls.key"] { config.sources[key] = values.source(key) }
        if (config.tlsCert == nil) != (config.tlsKey == nil) {
            let missing = config.tlsCert == nil ? "server.tls.cert" : "server.tls.key"
            let given = config.tlsCert == nil ? "server.tls.key" : "server.tls.cert"
            values.problems.append(ConfigProblem(
                key: missing, message: "missing: \(given) is set; give both the certificate and the key, or neither",
                source: values.source(given)))
        }
        config.maxBodyBytes = values.integer("server.maxBodyBytes")
        if let max = config.maxBodyBytes, max < 1024 {
            values.problem("server.maxBodyBytes", "\(max) is too small: at least 1024")
        }
        config.databasePath = values.string("database.path")
        if let db = config.databasePath, !db.hasPrefix("/") {
            values.problem("database.path", "\(quoted(db)) must be an absolute path")
        }
    }
}
