import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import SCIMProtocol
import SCIMServer
import SunkStore
import Synchronization
import Testing

/// A throw-away CA and certificates made with the `openssl` command (a missing `openssl` fails the
/// test with what to install).
struct TestPKI {
    let directory: String

    static func openssl() throws -> String {
        for candidate in ["/usr/bin/openssl", "/usr/local/bin/openssl", "/bin/openssl"]
        where FileManager.default.isExecutableFile(atPath: candidate) {
            return candidate
        }
        Issue.record("the openssl command is needed to make test certificates: apt-get install openssl")
        throw CancellationError()
    }

    @discardableResult
    func sh(_ command: String) async throws -> String {
        let result = try await run("/bin/sh", ["-c", "cd '\(directory)' && \(command)"])
        try #require(result.status == 0, "\(command) failed: \(result.output)")
        return result.output
    }

    /// A CA named `name`: `name.pem` and `name.key`.
    func makeCA(_ name: String) async throws {
        let openssl = try Self.openssl()
        try await sh("""
            \(openssl) req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout \(name).key \
            -out \(name).pem -days 2 -subj '/CN=SUNK test \(name)' \
            -addext 'basicConstraints=critical,CA:TRUE' -addext 'keyUsage=critical,keyCertSign,cRLSign' 2>&1
            """)
    }

    /// A server certificate for 127.0.0.1 (IP SAN) and localhost signed by `ca`, with this serial
    /// (hex): `name.pem` (leaf then CA: a chain) and `name.key` (mode 0600).
    func makeServer(_ name: String, ca: String, serial: String) async throws {
        let openssl = try Self.openssl()
        try await sh("""
            printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\nbasicConstraints=CA:FALSE\\nextendedKeyUsage=serverAuth\\n' > \(name).ext && \
            \(openssl) req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout \(name).key -out \(name).csr \
            -subj '/CN=127.0.0.1' 2>&1 && \
            \(openssl) x509 -req -in \(name).csr -CA \(ca).pem -CAkey \(ca).key -set_serial 0x\(serial) -days 2 \
            -out \(name).leaf -extfile \(name).ext 2>&1 && cat \(name).leaf \(ca).pem > \(name).pem && chmod 600 \(name).key
            """)
    }

    func path(_ file: String) -> String { directory + "/" + file }

    /// The serial (upper-case hex) of the certificate a fresh TLS connection to 127.0.0.1:port gets.
    func servedSerial(port: Int) async throws -> String? {
        let openssl = try Self.openssl()
        let result = try await run("/bin/sh", ["-c",
            "\(openssl) s_client -connect 127.0.0.1:\(port) -servername localhost </dev/null 2>/dev/null | \(openssl) x509 -noout -serial"])
        guard result.status == 0 else { return nil }
        let line = result.output.trimmingCharacters(in: .whitespacesAndNewlines)
        return line.hasPrefix("serial=") ? String(line.dropFirst("serial=".count)) : nil
    }
}

/// A node root with the host's passwd, group and shells, as `sync --root` expects.
func makeNodeRoot(_ root: String) throws {
    try FileManager.default.createDirectory(atPath: root + "/etc", withIntermediateDirectories: true)
    for file in ["passwd", "group", "shells"] {
        try FileManager.default.copyItem(atPath: "/etc/\(file)", toPath: "\(root)/etc/\(file)")
    }
}

/// Writes `text` to `path` with `mode`.
func writeFile(_ path: String, _ text: String, mode: Int = 0o600) throws {
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
}

/// A long-running child (serve, nginx) started with posix_spawn: an empty signal mask and default
/// handlers (Foundation's Process, called from a Dispatch thread, passes on a mask that blocks
/// SIGTERM and SIGHUP), no inherited descriptors beyond stdio (so it never holds another test's
/// pipe open), and its output appended to `logFile`.
final class RunningProcess: Sendable {
    let pid: pid_t
    let logFile: String

    init(_ executable: String, _ arguments: [String], logFile: String) throws {
        self.logFile = logFile
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGPIPE, SIGCHLD, SIGUSR1, SIGUSR2] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logFile, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        for fd in open.compactMap({ Int32($0) }) where fd > 2 && fcntl(fd, F_GETFD) >= 0 {
            posix_spawn_file_actions_addclose(&actions, fd)
        }
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid = pid_t()
        let rc = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        try #require(rc == 0, "posix_spawn \(executable): \(String(cString: strerror(rc)))")
        self.pid = pid
    }

    var output: String { (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "" }

    var isRunning: Bool { kill(pid, 0) == 0 && !reaped() }

    private func reaped() -> Bool {
        var status: Int32 = 0
        return waitpid(pid, &status, WNOHANG) == pid
    }

    /// Waits up to `seconds` for `predicate` on the output; returns whether it became true.
    func waitFor(seconds: Double = 60, _ predicate: (String) -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if predicate(output) { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return predicate(output)
    }

    /// The port of the `listening on http(s)://127.0.0.1:PORT` line, once printed.
    func listeningPort(seconds: Double = 60) async -> Int? {
        _ = await waitFor(seconds: seconds) { $0.contains("listening on ") }
        guard let line = output.split(separator: "\n").first(where: { $0.contains("listening on ") }),
              let port = line.split(separator: ":").last.flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) })
        else { return nil }
        return port
    }

    /// SIGTERM, then SIGKILL after 10 s; reaps the child.
    func stop() {
        guard kill(pid, SIGTERM) == 0 else { _ = reaped(); return }
        for _ in 0..<100 {
            if reaped() { return }
            usleep(100_000)
        }
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
    }
}

/// One HTTPS request with a client that trusts only `caFile`; returns status, headers and body text.
func httpsRequest(_ url: String, method: HTTPMethod = .GET, token: String, body: JSONValue? = nil,
                  caFile: String) async throws -> (status: Int, headers: HTTPHeaders, text: String) {
    var tls = TLSConfiguration.makeClientConfiguration()
    tls.trustRoots = .file(caFile)
    let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: HTTPClient.Configuration(tlsConfiguration: tls))
    do {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/scim+json")
            request.body = .bytes(ByteBuffer(bytes: body.serialized()))
        }
        let response = try await client.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        try await client.shutdown()
        return (Int(response.status.code), response.headers, String(buffer: bytes))
    } catch {
        try? await client.shutdown()
        throw error
    }
}

/// A TCP port that was free a moment ago on 127.0.0.1.
func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    try #require(fd >= 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    try #require(bound == 0)
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}
