import ArgumentParser
import Foundation
import Hummingbird
import Logging
import SCIMServer
import SunkStore

/// `sunk-bridge serve`: the SCIM receiver. On a database that does not exist yet it creates the
/// database, the `default` org and a bootstrap token, so `swift run sunk-bridge serve` works
/// with no flags on a fresh machine.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Run the SCIM 2.0 receiver.")

    @OptionGroup var database: DatabaseOptions

    @Option(help: "Address to listen on: HOST:PORT, [V6]:PORT; port 0 picks a free port.")
    var listen = "127.0.0.1:8080"

    @Option(name: .customLong("public-url"),
            help: "External base URL (https://scim.example.com) used in Location, meta.location and the printed base URL.")
    var publicURL: String?

    @Option(name: .customLong("max-body-bytes"), help: "Largest accepted request body; larger ones get 413.")
    var maxBodyBytes = 1 << 20

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error, critical.")
    var logLevel = "info"

    func validate() throws {
        guard ServerConfiguration.parseListen(listen) != nil else {
            throw ValidationError("--listen must look like 127.0.0.1:8080, [::1]:8080 or :8080")
        }
        if let publicURL, !(publicURL.hasPrefix("https://") || publicURL.hasPrefix("http://")) {
            throw ValidationError("--public-url must start with https:// (or http:// for tests)")
        }
        guard maxBodyBytes >= 1024 else { throw ValidationError("--max-body-bytes must be at least 1024") }
    }

    func run() async throws {
        var logger = Logger(label: "sunk-bridge")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        let path = database.path
        let fresh = !SunkDatabase.exists(at: path)
        let db = try SunkDatabase(path: path)
        if fresh { try Bootstrap.run(db, path: path) }
        let (host, port) = ServerConfiguration.parseListen(listen)!
        let configuration = ServerConfiguration(host: host, port: port, publicURL: publicURL, maxBodyBytes: maxBodyBytes)
        let orgs = try db.orgs().map(\.name)
        let app = SCIMServerApp.make(database: db, configuration: configuration, logger: logger) { url in
            say("listening on \(url)")
            let base = publicURL.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 } ?? url
            for org in orgs { say("SCIM base URL for org \(org): \(base)/scim/\(org)") }
        }
        try await app.runService()
    }
}

/// First start: the `default` org and a bootstrap token written to an owner-only file. The
/// token is printed only to a terminal, never to a log or a pipe.
enum Bootstrap {
    static func run(_ db: SunkDatabase, path: String) throws {
        _ = try db.createOrg(SunkDatabase.defaultOrg)
        let secret = try db.createToken(org: SunkDatabase.defaultOrg, name: "bootstrap", scope: .scim)
        let tokenFile = (path as NSString).deletingLastPathComponent + "/bootstrap-token"
        let fd = open(tokenFile, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw ValidationError("cannot write \(tokenFile): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        fchmod(fd, 0o600)
        let line = Array((secret + "\n").utf8)
        guard write(fd, line, line.count) == line.count, fsync(fd) == 0 else {
            throw ValidationError("cannot write \(tokenFile): \(String(cString: strerror(errno)))")
        }
        say("created database \(path) with org \"default\"")
        say("bootstrap SCIM token (scope scim) written to \(tokenFile) (mode 0600)")
        if isatty(STDOUT_FILENO) == 1 { say("bootstrap token: \(secret)") }
    }
}
