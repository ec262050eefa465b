// A real PostgreSQL for the store's tests: Debian's PostgreSQL 15 (`make deps` installs it),
// initialised into a scratch folder, listening only on 127.0.0.1 on a free port below the
// kernel's ephemeral range, one per test process (started on first use), removed at exit. Each
// test takes a database of its own (`withDatabase`), dropped afterwards, so parallel tests never
// see each other's rows. PostgreSQL refuses to run as root: as root, initdb and postgres run as
// `nobody`/`nogroup` through setpriv, in a folder that user owns.
import Foundation
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

public final class PostgresCluster: Sendable {
    public static let binaries = "/usr/lib/postgresql/15/bin"
    public let port: Int
    public let directory: String
    private let server: ChildProcess

    /// The cluster of this test process, started once.
    public static func shared() async throws -> PostgresCluster {
        try await started.value
    }

    private static let started = Task { try await PostgresCluster.start() }

    /// A connection URL for `database` (trust authentication on loopback; no TLS).
    public func url(database: String) -> String {
        "postgresql://postgres@127.0.0.1:\(port)/\(database)?sslmode=disable"
    }

    /// Runs `body` with the URL of a new, empty database, dropped afterwards (with any session
    /// still connected to it).
    public func withDatabase(_ body: (String) async throws -> Void) async throws {
        let name = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try await sql("CREATE DATABASE \(name) STRATEGY FILE_COPY")
        do {
            try await body(url(database: name))
        } catch {
            try? await sql("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
            throw error
        }
        try await sql("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }

    /// One statement through psql as the superuser, on `database`.
    public func sql(_ statement: String, database: String = "postgres") async throws {
        let result = try await run("\(Self.binaries)/psql",
                                   ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", "\(port)",
                                    "-U", "postgres", "-d", database, "-c", statement])
        guard result.status == 0 else { throw Failure("psql \(statement): \(result.output)") }
    }

    private init(port: Int, directory: String, server: ChildProcess) {
        self.port = port
        self.directory = directory
        self.server = server
    }

    private static func start() async throws -> PostgresCluster {
        guard FileManager.default.isExecutableFile(atPath: "\(binaries)/initdb"),
              FileManager.default.isExecutableFile(atPath: "\(binaries)/postgres") else {
            throw Failure("PostgreSQL 15 is not installed (\(binaries)/initdb, postgres): run `make deps`")
        }
        let directory = try temporaryDirectory("pg")
        let data = directory + "/data"
        let asRoot = geteuid() == 0
        if asRoot, chown(directory, 65534, 65534) != 0 {
            throw Failure("cannot give \(directory) to nobody: \(String(cString: strerror(errno)))")
        }
        let initdb = try await run(setpriv, wrap(asRoot, "\(binaries)/initdb",
                                                 ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8",
                                                  "--no-locale", "--no-sync"]))
        guard initdb.status == 0 else { throw Failure("initdb failed: \(initdb.output)") }
        var lastError = ""
        for _ in 0..<20 {
            let port = freePort()
            // Durability is not under test here: fsync off keeps the suite fast on shared disks.
            let server = try await ChildProcess.start(setpriv, wrap(asRoot, "\(binaries)/postgres", [
                "-D", data, "-h", "127.0.0.1", "-p", "\(port)", "-k", directory,
                "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
                "-c", "max_connections=300", "-c", "shared_buffers=32MB",
            ]), output: .merged)
            if await server.waitFor(seconds: 60, { $0.contains("ready to accept connections") || $0.contains("FATAL") }),
               server.standardOutput.text.contains("ready to accept connections") {
                let cluster = PostgresCluster(port: port, directory: directory, server: server)
                Cleanup.register(pid: server.pid, directory: directory)
                return cluster
            }
            lastError = server.standardOutput.text
            _ = await server.killAndWait()
            // A port taken since we chose it: try another; anything else: give up.
            if !lastError.contains("could not bind") && !lastError.contains("Address already in use") { break }
        }
        try? FileManager.default.removeItem(atPath: directory)
        throw Failure("PostgreSQL did not start: \(lastError)")
    }

    private static let setpriv = "/usr/bin/setpriv"

    /// The program and arguments for setpriv: as root, drop to nobody/nogroup (PostgreSQL refuses
    /// root); otherwise run as is.
    private static func wrap(_ asRoot: Bool, _ program: String, _ arguments: [String]) -> [String] {
        (asRoot ? ["--reuid=nobody", "--regid=nogroup", "--clear-groups"] : []) + ["--", program] + arguments
    }

    /// A port below the kernel's ephemeral range (an outgoing connection of a parallel test can
    /// hold any port inside it without listening); the caller retries when it is taken.
    private static func freePort() -> Int {
        let range = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8)) ?? ""
        let low = Int(range.split(whereSeparator: { $0 == " " || $0 == "\t" }).first ?? "") ?? 32768
        return Int.random(in: 10000..<max(low, 10001))
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }
}

/// Stops the cluster and removes its folder when the test process exits.
private enum Cleanup {
    nonisolated(unsafe) static var pid: pid_t = 0
    nonisolated(unsafe) static var directory = ""

    static func register(pid: pid_t, directory: String) {
        Self.pid = pid
        Self.directory = directory
        atexit {
            // SIGQUIT: immediate shutdown (the data is thrown away anyway); wait for the postmaster.
            kill(Cleanup.pid, SIGQUIT)
            for _ in 0..<100 where waitpid(Cleanup.pid, nil, WNOHANG) == 0 { usleep(50_000) }
            try? FileManager.default.removeItem(atPath: Cleanup.directory)
        }
    }
}
