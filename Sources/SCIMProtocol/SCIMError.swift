import SunkModel

/// The `scimType` values of RFC 7644 §3.12, Table 9.
public enum SCIMErrorType: String, Sendable, Hashable, CaseIterable {
    case invalidFilter, tooMany, uniqueness, mutability, invalidSyntax, invalidPath, noTarget,
         invalidValue, invalidVers, sensitive
    /// RFC 9865: a cursor this server did not issue, or issued for another query.
    case invalidCursor
    /// RFC 9865: a cursor that was valid but no longer is.
    case expiredCursor
    /// RFC 9865: a `count` the server cannot honour.
    case invalidCount
}

/// A SCIM error response (RFC 7644 §3.12): an HTTP status, an optional `scimType` and a
/// human-readable detail that is safe to show to the IdP administrator (never internals).
public struct SCIMError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The HTTP status code.
    public var status: Int
    /// The SCIM error type, for 400 (and 409 `uniqueness`) errors.
    public var scimType: SCIMErrorType?
    /// A human-readable explanation.
    public var detail: String

    /// Creates an error.
    /// Unsafe characters in `detail` (which often quotes what the client sent) are escaped
    /// (`Printable.escaped`), so a detail cannot forge a log line or hide text.
    public init(status: Int, scimType: SCIMErrorType? = nil, detail: String) {
        self.status = status
        self.scimType = scimType
        self.detail = Self.printable(detail)
    }

    /// `Printable.escaped` (SunkModel): the one escaping rule for text that reaches a log.
    static func printable(_ text: String) -> String { Printable.escaped(text) }

    /// The error response body. `status` is a JSON string, as RFC 7644 §3.12 requires.
    public var json: JSONValue {
        var o: [String: JSONValue] = [
            "schemas": .array([.string(SCIMSchemaURN.error)]),
            "status": .string(String(status)),
            "detail": .string(detail),
        ]
        if let scimType { o["scimType"] = .string(scimType.rawValue) }
        return .object(o)
    }

    public var description: String {
        "SCIMError(\(status)\(scimType.map { " " + $0.rawValue } ?? ""): \(detail))"
    }
}

extension SCIMError {
    /// 400 `invalidValue`: a value is missing, of the wrong type or refused by a rule.
    public static func invalidValue(_ detail: String) -> SCIMError { .init(status: 400, scimType: .invalidValue, detail: detail) }
    /// 409 `uniqueness`: a unique attribute is already taken.
    public static func uniqueness(_ detail: String) -> SCIMError { .init(status: 409, scimType: .uniqueness, detail: detail) }
    /// 404: the resource does not exist.
    public static func notFound(_ detail: String) -> SCIMError { .init(status: 404, detail: detail) }
    /// 400 `invalidFilter`: the filter syntax is invalid or the comparison is not supported.
    public static func invalidFilter(_ detail: String) -> SCIMError { .init(status: 400, scimType: .invalidFilter, detail: detail) }
    /// 400 `invalidPath`: a PATCH path is malformed or names no known attribute.
    public static func invalidPath(_ detail: String) -> SCIMError { .init(status: 400, scimType: .invalidPath, detail: detail) }
    /// 400 `noTarget`: a PATCH path yields nothing to operate on.
    public static func noTarget(_ detail: String) -> SCIMError { .init(status: 400, scimType: .noTarget, detail: detail) }
    /// 400 `invalidSyntax`: the body is not parsable or does not follow the request schema.
    public static func invalidSyntax(_ detail: String) -> SCIMError { .init(status: 400, scimType: .invalidSyntax, detail: detail) }
    /// 400 `mutability`: an attempt to change a read-only or immutable attribute.
    public static func mutability(_ detail: String) -> SCIMError { .init(status: 400, scimType: .mutability, detail: detail) }
    /// 400 `tooMany`: the request would return or process too many results.
    public static func tooMany(_ detail: String) -> SCIMError { .init(status: 400, scimType: .tooMany, detail: detail) }
    /// 401: missing or invalid credentials. The server adds `WWW-Authenticate: Bearer`.
    public static func unauthorized() -> SCIMError { .init(status: 401, detail: "Authorization failure. The authorization header is invalid or missing.") }
    /// 403: the credentials do not allow the operation.
    public static func forbidden(_ detail: String) -> SCIMError { .init(status: 403, detail: detail) }
    /// 412: the `If-Match` version does not match.
    public static func preconditionFailed() -> SCIMError { .init(status: 412, detail: "Failed to update. Resource changed on the server.") }
    /// 413: the body exceeds the payload limit.
    public static func payloadTooLarge(limit: Int) -> SCIMError { .init(status: 413, detail: "The request body exceeds the limit of \(limit) bytes.") }
    /// 405: the method is not supported on this endpoint.
    public static func methodNotAllowed() -> SCIMError { .init(status: 405, detail: "The HTTP method is not supported on this endpoint.") }
    /// 415: the body's media type is neither `application/scim+json` nor `application/json`.
    public static func unsupportedMediaType() -> SCIMError { .init(status: 415, detail: "Content-Type must be application/scim+json or application/json.") }
    /// 501: an optional SCIM feature (bulk, sort, /Me) is not implemented.
    public static func notImplemented(_ detail: String) -> SCIMError { .init(status: 501, detail: detail) }
}
