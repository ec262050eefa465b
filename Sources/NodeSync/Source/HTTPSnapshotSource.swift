// `sync --from URL --token-file F [--ca-file F]`: the snapshot from the SUNK Bridge server.
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import SunkModel

/// GETs the full snapshot URL (`https://HOST/scim/ORG/export/v1/snapshot`) with the node's bearer
/// token and `If-None-Match`. HTTPS verifies the server certificate against the system trust store,
/// or against `caFile` alone when one is given. Redirects are not followed (the token must not travel
/// elsewhere).
public struct HTTPSnapshotSource: SnapshotSource {
    public let url: String
    public let tokenFile: String
    public let caFile: String?
    /// The largest document accepted.
    public var maxBytes = 512 << 20
    /// Connect and read timeout.
    public var timeoutSeconds: Int64 = 60

    /// The org named by the URL's `/scim/ORG/` path, when it has one.
    public let expectedOrg: String?

    /// Checks the URL: https, or plain http to a loopback host only (the token must never cross a
    /// network unencrypted).
    public init(url: String, tokenFile: String, caFile: String? = nil) throws(SyncError) {
        self.url = url
        self.tokenFile = tokenFile
        self.caFile = caFile
        try Self.check(url: url)
        let parts = URL(string: url)?.path.split(separator: "/").map(String.init) ?? []
        expectedOrg = parts.count >= 2 && parts[0] == "scim" ? parts[1] : nil
    }

    public var label: String { url }

    /// Whatever arrives over the network must be signed by a key the node trusts.
    public var requiresSignature: Bool { true }

    /// Validates the URL's scheme and host.
    public static func check(url: String) throws(SyncError) {
        guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(),
              let host = parsed.host, !host.isEmpty else {
            throw .usage("--from \(url): not an absolute http(s) URL")
        }
        switch scheme {
        case "https": return
        case "http":
            if !isLoopback(host) {
                throw .usage("--from \(url): plain http is only allowed to a loopback address; the node token and the snapshot would cross the network unencrypted: use https (with --ca-file for a private CA)")
            }
        default:
            throw .usage("--from \(url): scheme must be https (or http on loopback)")
        }
    }

    /// `localhost`, `127.0.0.0/8` and `::1`.
    public static func isLoopback(_ host: String) -> Bool {
        let h = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        if h == "localhost" || h == "::1" || h == "0:0:0:0:0:0:0:1" { return true }
        let parts = h.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }

    public func fetch(ifNoneMatch: String?) async throws(SyncError) -> SnapshotFetch {
        let answer = try await get(url, headers: ifNoneMatch.map { [("If-None-Match", $0)] } ?? [],
                                   timeoutSeconds: timeoutSeconds)
        if answer.status == 304 { return .notModified }
        guard answer.status == 200 else {
            throw SyncError.http(url: url, status: answer.status, detail: Self.excerpt(answer.body))
        }
        return .document(answer.body, etag: answer.etag)
    }

    /// One answer of the receiver, body complete.
    struct Answer {
        var status: Int
        var etag: String?
        var body: Data
    }

    /// GETs `target` (this URL or a sibling of it on the same receiver) with the node token. The
    /// body is read up to `maxBytes` (never for a 304) and checked against Content-Length.
    func get(_ target: String, headers: [(String, String)], timeoutSeconds: Int64) async throws(SyncError) -> Answer {
        let token = try TokenFile.read(tokenFile)
        var tls = TLSConfiguration.makeClientConfiguration()
        if let caFile {
            guard FileManager.default.isReadableFile(atPath: caFile) else {
                throw .usage("--ca-file \(caFile): cannot be read")
            }
            tls.trustRoots = .file(caFile)
        }
        let configuration = HTTPClient.Configuration(
            tlsConfiguration: tls, redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(min(timeoutSeconds, 10)), read: .seconds(timeoutSeconds)))
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let result: Result<Answer, SyncError>
        do {
            result = .success(try await perform(client, target, token: token, headers: headers,
                                                timeoutSeconds: timeoutSeconds))
        } catch let error as SyncError {
            result = .failure(error)
        } catch {
            result = .failure(.fetch(url: target, reason: Self.describe(error)))
        }
        try? await client.shutdown()
        return try result.get()
    }

    private func perform(_ client: HTTPClient, _ target: String, token: String, headers: [(String, String)],
                         timeoutSeconds: Int64) async throws -> Answer {
        var request = HTTPClientRequest(url: target)
        request.method = .GET
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Accept", value: "application/json")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        let response = try await client.execute(request, timeout: .seconds(timeoutSeconds))
        let status = Int(response.status.code)
        let etag = response.headers.first(name: "ETag")
        if status == 304 { return Answer(status: status, etag: etag, body: Data()) }
        let body = try await response.body.collect(upTo: maxBytes)
        let data = Data(body.readableBytesView)
        if status == 200, let length = response.headers.first(name: "Content-Length").flatMap(Int.init),
           length != data.count {
            throw SyncError.snapshot(.truncated(byteCount: data.count))
        }
        return Answer(status: status, etag: etag, body: data)
    }

    /// The first line of an error body, at most 200 characters, escaped (`Printable.escaped`).
    static func excerpt(_ data: Data) -> String {
        let text = String(decoding: data.prefix(400), as: UTF8.self)
        let line = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        return Printable.escaped(String(String.UnicodeScalarView(line.unicodeScalars.prefix(200))))
    }

    static func describe(_ error: any Error) -> String {
        if let e = error as? HTTPClientError {
            if e == .remoteConnectionClosed { return "the server closed the connection early (truncated body?)" }
            if e == .readTimeout || e == .deadlineExceeded { return "timed out" }
            if e == .connectTimeout { return "connection timed out" }
        }
        if error is NIOSSLError || String(describing: error).contains("handshake") {
            return "TLS failed (\(error)); check the server certificate or --ca-file"
        }
        return String(describing: error)
    }
}
