import Foundation
import NIOSSL
import PostgresNIO
import SunkStore

/// A PostgreSQL connection URL as libpq spells it:
/// `postgresql://USER:PASSWORD@HOST:PORT/DATABASE?sslmode=MODE&sslrootcert=FILE`, or a Unix socket
/// directory with `?host=/run/postgresql` (the socket is `DIR/.s.PGSQL.PORT`). `sslmode` is one of
/// `disable`, `allow`, `prefer` (the default), `require`, `verify-ca`, `verify-full`, with libpq's
/// meaning: `require` encrypts without checking the server's certificate (unless `sslrootcert`
/// names a CA, then it checks it as `verify-ca` does), `verify-ca` checks the chain, `verify-full`
/// the chain and the host name.
public struct PostgresURL: Sendable {
    /// For logs and messages: scheme, host (or socket directory), port and database; never the
    /// user's password.
    public let location: String
    let configuration: PostgresClient.Configuration

    /// True when `text` names a PostgreSQL database (not a file path).
    public static func isURL(_ text: String) -> Bool {
        text.hasPrefix("postgresql://") || text.hasPrefix("postgres://")
    }

    public init(_ text: String) throws {
        // Never echo `text`: it may hold the password.
        guard Self.isURL(text), let components = URLComponents(string: text) else {
            throw StoreError.invalidValue("not a PostgreSQL URL (postgresql://USER:PASSWORD@HOST:PORT/DATABASE?sslmode=…)")
        }
        var query: [String: String] = [:]
        for item in components.queryItems ?? [] { query[item.name] = item.value ?? "" }
        let known: Set = ["sslmode", "sslrootcert", "host", "port", "user", "password", "dbname"]
        if let unknown = query.keys.sorted().first(where: { !known.contains($0) }) {
            throw StoreError.invalidValue("PostgreSQL URL: unknown parameter \"\(unknown)\" (supported: \(known.sorted().joined(separator: ", ")))")
        }
        let user = query["user"] ?? components.user.flatMap { $0.removingPercentEncoding } ?? "postgres"
        let password = query["password"] ?? components.password.flatMap { $0.removingPercentEncoding }
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        let database = query["dbname"] ?? (path.isEmpty ? user : path.removingPercentEncoding ?? path)
        let portText = query["port"] ?? components.port.map(String.init) ?? "5432"
        guard let port = Int(portText), (1...65535).contains(port) else {
            throw StoreError.invalidValue("PostgreSQL URL: port \(portText) is not a TCP port")
        }
        let host = query["host"] ?? (components.host.flatMap { $0.isEmpty ? nil : $0 } ?? "localhost")
        if host.hasPrefix("/") {
            configuration = .init(unixSocketPath: host + "/.s.PGSQL.\(port)", username: user, password: password,
                                  database: database)
            location = "postgresql:///\(database)?host=\(host)"
            return
        }
        let tls = try Self.tls(mode: query["sslmode"] ?? "prefer", rootCertificate: query["sslrootcert"])
        var configuration = PostgresClient.Configuration(host: host, port: port, username: user, password: password,
                                                         database: database, tls: tls)
        // A receiver behind a load balancer should fail fast rather than queue behind a dead server.
        configuration.options.connectTimeout = .seconds(5)
        self.configuration = configuration
        location = "postgresql://\(host.contains(":") ? "[\(host)]" : host):\(port)/\(database)"
    }

    static func tls(mode: String, rootCertificate: String?) throws -> PostgresClient.Configuration.TLS {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let rootCertificate { tls.trustRoots = .file(rootCertificate) }
        switch mode {
        case "disable":
            return .disable
        case "allow", "prefer":
            tls.certificateVerification = .none
            return .prefer(tls)
        case "require":
            // libpq: with a root certificate, `require` verifies the chain as `verify-ca` does.
            tls.certificateVerification = rootCertificate == nil ? .none : .noHostnameVerification
            return .require(tls)
        case "verify-ca":
            tls.certificateVerification = .noHostnameVerification
            return .require(tls)
        case "verify-full":
            tls.certificateVerification = .fullVerification
            return .require(tls)
        default:
            throw StoreError.invalidValue("PostgreSQL URL: sslmode \"\(mode)\" is not one of disable, allow, prefer, require, verify-ca, verify-full")
        }
    }
}
