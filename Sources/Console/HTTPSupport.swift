import Foundation
import HTTPTypes
import Hummingbird

/// The fields of an `application/x-www-form-urlencoded` body (the first value of each name).
struct FormFields: Sendable {
    private var values: [String: String] = [:]

    /// Forms here are small; a SAMLResponse is at most about 1.4 MB of base64.
    static let maximumBytes = 2 << 20

    init(_ body: String) {
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let decode = { (s: Substring) in String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding }
            guard let name = decode(parts[0]), values[name] == nil else { continue }
            values[name] = parts.count == 2 ? decode(parts[1]) ?? "" : ""
        }
    }

    static func read(_ request: Request) async throws -> FormFields {
        let buffer = try await request.body.collect(upTo: maximumBytes)
        return FormFields(String(buffer: buffer))
    }

    subscript(_ name: String) -> String? { values[name] }
}

enum ConsoleCookie {
    static let name = "sunk_console"

    /// The session id from the `Cookie` header, if any.
    static func sessionID(_ request: Request) -> String? {
        for header in request.headers[values: .cookie] {
            for part in header.split(separator: ";") {
                let pair = part.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
                if pair.count == 2, pair[0] == name { return String(pair[1]) }
            }
        }
        return nil
    }

    /// `HttpOnly` (no script reads it), `SameSite=Lax` (not sent on another site's POST),
    /// `Secure` behind TLS, only under /console.
    static func set(_ id: String, maxAge: Int, secure: Bool) -> String {
        "\(name)=\(id); Path=/console; Max-Age=\(maxAge); HttpOnly; SameSite=Lax" + (secure ? "; Secure" : "")
    }

    static func clear(secure: Bool) -> String { set("", maxAge: 0, secure: secure) }
}

enum ConsoleResponse {
    /// No script, no external asset, no framing, forms only to us.
    static let contentSecurityPolicy =
        "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    static func headers(contentType: String) -> HTTPFields {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        headers[.contentSecurityPolicy] = contentSecurityPolicy
        headers[.xContentTypeOptions] = "nosniff"
        headers[.xFrameOptions] = "DENY"
        headers[.referrerPolicy] = "no-referrer"
        // pages show secrets (a new token) and personal data: never cached
        headers[.cacheControl] = "no-store"
        return headers
    }

    static func html(_ text: String, status: HTTPResponse.Status = .ok, cookie: String? = nil) -> Response {
        var headers = headers(contentType: "text/html; charset=utf-8")
        if let cookie { headers[.setCookie] = cookie }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    static func redirect(_ location: String, status: HTTPResponse.Status = .seeOther, cookie: String? = nil) -> Response {
        var headers = headers(contentType: "text/plain; charset=utf-8")
        headers[.location] = location
        if let cookie { headers[.setCookie] = cookie }
        return Response(status: status, headers: headers)
    }

    static func text(_ text: String, contentType: String, cache: Bool = false) -> Response {
        var headers = headers(contentType: contentType)
        if cache { headers[.cacheControl] = "max-age=300" }
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}

extension HTTPField.Name {
    static let contentSecurityPolicy = Self("Content-Security-Policy")!
    static let xContentTypeOptions = Self("X-Content-Type-Options")!
    static let xFrameOptions = Self("X-Frame-Options")!
    static let referrerPolicy = Self("Referrer-Policy")!
}
