// `server.*` and `database.*`: checked with the rules `serve` applies to its flags.
import SCIMServer
import SunkPostgres

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
        // database.path: a file (SQLite) or a postgresql:// URL; database.url: a URL only.
        let path = values.string("database.path")
        let url = values.string("database.url")
        if let path, !path.hasPrefix("/"), !PostgresURL.isURL(path) {
            values.problem("database.path", "\(quoted(path)) must be an absolute path or a postgresql:// URL")
        }
        if let url, !PostgresURL.isURL(url) {
            values.problem("database.url", "must be a postgresql://USER:PASSWORD@HOST:PORT/DATABASE URL")
        }
        if path != nil, url != nil {
            values.problem("database.url", "database.path is set too: give one of them")
        }
        for (key, value) in [("database.path", path), ("database.url", url)] {
            guard let value, PostgresURL.isURL(value) else { continue }
            do { _ = try PostgresURL(value) } catch { values.problem(key, "\(error)") }
        }
        config.databasePath = url ?? path
    }
}
