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
import TestSupport

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


/// Writes `text` to `path` with `mode`.
func writeFile(_ path: String, _ text: String, mode: Int = 0o600) throws {
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
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

/// A TCP port that was free a moment ago on 127.0.0.1, below the ephemeral range.
func freeLoopbackPort() throws -> Int {
    // Below the kernel's ephemeral range: a port the kernel handed out (to this probe, or to a parallel
    // test's outgoing connection) could be taken again before nginx binds it; these are only ever taken
    // by a listener that chose them the same way.
    let range = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8)) ?? ""
    let ephemeralLow = range.split(whereSeparator: \.isWhitespace).first.flatMap { Int($0) } ?? 32768
    let port = (0..<100).lazy
        .map { _ in Int.random(in: 10000..<max(10001, ephemeralLow)) }
        .first { canBindLoopback(port: $0) }
    return try #require(port, "no free loopback port below \(ephemeralLow) after 100 tries")
}

private func canBindLoopback(port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = UInt16(port).bigEndian
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    } == 0
}
