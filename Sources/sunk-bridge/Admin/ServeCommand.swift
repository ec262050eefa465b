import ArgumentParser
import AuthorizedKeys
import Foundation
import Hummingbird
import Logging
import NodeSync
import SCIMServer
import SunkConfig
import SunkPostgres
import SunkStore

/// `sunk-bridge serve`: the SCIM receiver. On a database that does not exist yet it creates the
/// database, the `default` org and a bootstrap token, so `swift run sunk-bridge serve` works
/// with no flags on a fresh machine.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Run the SCIM 2.0 receiver.",
        discussion: """
            Settings come from flags, else SUNK_BRIDGE_* environment variables, else the configuration \
            file (--config, $SUNK_BRIDGE_CONFIG or /etc/sunk-bridge/config.yaml), else the defaults shown. \
            With --tls-cert and --tls-key it serves HTTPS itself; SIGHUP re-reads both files without \
            dropping the listener (a reload that fails keeps the previous certificate and logs an error).
            """)

    @OptionGroup var database: DatabaseOptions

    @Option(help: "Address to listen on: HOST:PORT, [V6]:PORT; port 0 picks a free port. Default \(ServerSettings.defaultListen).")
    var listen: String?

    @Option(name: .customLong("public-url"),
            help: "External base URL (https://scim.example.com) used in Location, meta.location and the printed base URL.")
    var publicURL: String?

    @Option(name: .customLong("tls-cert"), help: "PEM certificate chain (leaf first) to serve HTTPS with; needs --tls-key.")
    var tlsCert: String?

    @Option(name: .customLong("tls-key"), help: "PEM private key of --tls-cert; must be mode 0600 or stricter.")
    var tlsKey: String?

    @Option(name: .customLong("max-body-bytes"), help: "Largest accepted request body; larger ones get 413. Default \(ServerSettings.defaultMaxBodyBytes).")
    var maxBodyBytes: Int?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error, critical.")
    var logLevel = "info"

    @Flag(name: .customLong("force-policy"),
          help: "Apply orgs.*.policy from the configuration even when it refuses stored users or groups (they become \"not exported\").")
    var forcePolicy = false

    func validate() throws {
        if let listen, ServerConfiguration.parseListen(listen) == nil {
            throw ValidationError("--listen must look like 127.0.0.1:8080, [::1]:8080 or :8080")
        }
        if let publicURL, let reason = ServerConfiguration.publicURLProblem(publicURL) {
            throw ValidationError("--public-url \(reason)")
        }
        if let maxBodyBytes, maxBodyBytes < 1024 { throw ValidationError("--max-body-bytes must be at least 1024") }
    }

    func run() async throws {
        var logger = Logger(label: "sunk-bridge")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        let file = await ConfigLoader.load(flag: database.config)
        try file.requireValid(command: "serve", ignoring: ["node.", "slurm."])

        let settings = file.server(listen: listen, publicURL: publicURL, tlsCert: tlsCert, tlsKey: tlsKey,
                                   maxBodyBytes: maxBodyBytes)
        let (listen, publicURL, maxBodyBytes) = (settings.listen, settings.publicURL, settings.maxBodyBytes)
        let (certFile, keyFile) = (settings.tlsCert, settings.tlsKey)
        if (certFile == nil) != (keyFile == nil) {
            printError("sunk-bridge serve: --tls-cert and --tls-key go together (give both, or neither)")
            throw ExitCode.failure
        }
        let tls: TLSCertificateStore?
        if let certFile, let keyFile {
            do throws(TLSFileError) {
                tls = try TLSCertificateStore(certificateFile: certFile, keyFile: keyFile, logger: logger)
            } catch {
                printError("sunk-bridge serve: refusing to start: \(error)")
                throw ExitCode.failure
            }
        } else {
            tls = nil
        }

        let path = database.path(configured: file.databasePath)
        let db: any IdentityStore
        if PostgresURL.isURL(path) {
            let store = try await PostgresStore(url: path)
            logger.info("store: PostgreSQL", metadata: ["database": "\(store.location)"])
            if try await store.orgs().isEmpty { try await Bootstrap.run(store) }
            db = store
        } else {
            let fresh = !SQLiteStore.exists(at: path)
            let store = try SQLiteStore(path: path)
            if fresh { try Bootstrap.run(store, path: path) }
            db = store
        }
        try await Self.applyPolicies(file, to: db, force: forcePolicy)

        let (host, port) = ServerConfiguration.parseListen(listen)!
        if tls == nil && !HTTPSnapshotSource.isLoopback(host) {
            printError("warning: serving plain HTTP on \(host): Okta requires HTTPS; use --tls-cert/--tls-key or a TLS proxy")
        }
        let configuration = ServerConfiguration(host: host, port: port, publicURL: publicURL, maxBodyBytes: maxBodyBytes)
        let orgs = try await db.orgs().map(\.name)
        let reloader = SignalReloader { [logger] in
            if let tls { tls.reload() } else { logger.notice("SIGHUP: no TLS certificate configured, nothing to reload") }
        }
        defer { reloader.cancel() }
        if let tls {
            logger.info("TLS certificate loaded", metadata: [
                "certificate": "\(tls.credentials.certificateFile)", "serial": "\(tls.credentials.serialHex)",
                "notAfter": "\(tls.credentials.notValidAfter)",
            ])
        }
        let app = SCIMServerApp.make(
            database: db, configuration: configuration, logger: logger,
            server: tls?.httpsServer() ?? .http1(), scheme: tls == nil ? "http" : "https"
        ) { url in
            say("listening on \(url)")
            let base = publicURL.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 } ?? url
            for org in orgs { say("SCIM base URL for org \(org): \(base)/scim/\(org)") }
        }
        try await app.runService()
    }

    /// Applies `orgs.<name>.policy` from the configuration: keys given replace the org's current
    /// values, keys left out keep them; an org named there that does not exist is created.
    /// A policy that would refuse stored entries the org exports now stops `serve` (listing them)
    /// unless `force` (`--force-policy`).
    static func applyPolicies(_ file: SunkConfiguration, to db: any IdentityStore, force: Bool = false) async throws {
        let existing = Set(try await db.orgs().map(\.name))
        for (name, overrides) in file.orgs {
            do {
                if existing.contains(name) {
                    let org = try await db.org(named: name)
                    let policy = overrides.applied(to: org.policy)
                    if policy != org.policy {
                        let stranded = try await db.policyRefusals(org: name, policy: policy)
                        _ = try await db.updateOrg(name, scimAPI: nil, provisioning: nil, policy: policy, force: force, actor: "cli")
                        say("applied the configured policy to org \(name)")
                        for entry in stranded { say("  not exported to nodes from now on (--force-policy): \(entry)") }
                    }
                } else {
                    _ = try await db.createOrg(name, policy: overrides.applied(to: .default))
                    say("created org \(name) from the configuration")
                }
            } catch StoreError.invalidValue(let message) {
                printError("sunk-bridge serve: configuration orgs.\(name).policy: \(message)"
                           + (message.hasPrefix("policy change refused") ? " (serve --force-policy)" : ""))
                throw ExitCode.failure
            } catch {
                printError("sunk-bridge serve: configuration orgs.\(name).policy: \(error)")
                throw ExitCode.failure
            }
        }
    }
}

/// First start: the `default` org and a bootstrap token written to an owner-only file. The
/// token is printed only to a terminal, never to a log or a pipe.
enum Bootstrap {
    /// First start on an empty PostgreSQL database: the `default` org only. There is no folder of
    /// ours to hold a token file, and receivers may start together: an admin makes the token.
    static func run(_ db: PostgresStore) async throws {
        do {
            _ = try await db.createOrg(SQLiteStore.defaultOrg, policy: .default)
            say("created org \"\(SQLiteStore.defaultOrg)\" in \(db.location); make its SCIM token with `sunk-bridge token create --org default --name NAME --db URL`")
        } catch StoreError.alreadyExists, StoreError.uniqueness {
            // Another receiver bootstrapped it first.
        }
    }

    static func run(_ db: SQLiteStore, path: String) throws {
        _ = try db.createOrg(SQLiteStore.defaultOrg)
        let secret = try db.createToken(org: SQLiteStore.defaultOrg, name: "bootstrap", scope: .scim)
        let tokenFile = (path as NSString).deletingLastPathComponent + "/bootstrap-token"
        do throws(SystemCallError) {
            try AtomicFile.replace(tokenFile, with: Array((secret + "\n").utf8),
                                   attributes: FileAttributes(mode: 0o600, uid: geteuid(), gid: getegid()))
        } catch {
            throw ValidationError("cannot write \(tokenFile): \(error)")
        }
        say("created database \(path) with org \"default\"")
        say("bootstrap SCIM token (scope scim) written to \(tokenFile) (mode 0600)")
        if isatty(STDOUT_FILENO) == 1 { say("bootstrap token: \(secret)") }
    }
}
