import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SCIMProtocol
import SunkModel
import SunkStore

/// Every SCIM answer is `application/scim+json` (Entra requires it), with a deterministic body.
enum SCIMResponse {
    static let contentType = "application/scim+json; charset=utf-8"

    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = contentType
        return Response(status: status, headers: fields,
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: value.serialized())))
    }

    static func error(_ error: SCIMError, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        if error.status == 401 { headers[.wwwAuthenticate] = "Bearer realm=\"sunk-bridge\"" }
        return json(error.json, status: .init(code: error.status), headers: headers)
    }

    static func noContent() -> Response {
        Response(status: .noContent)
    }
}

/// Maps whatever a handler threw to the RFC 7644 error it stands for. Internal failures become a
/// 500 whose detail says where to look, never what went wrong inside.
enum ErrorMapping {
    static func scimError(for error: any Error) -> SCIMError? {
        switch error {
        case let error as SCIMError:
            return error
        case let error as RuleViolation:
            return .invalidValue(error.description)
        case let error as StoreError:
            switch error {
            case .notFound(let what): return .notFound("\(what)")
            case .orgNotFound: return .unauthorized()
            case .uniqueness(let detail), .alreadyExists(let detail): return .uniqueness(detail)
            case .invalidValue(let detail): return .invalidValue(detail)
            case .preconditionFailed(let detail): return SCIMError(status: 412, detail: detail)
            case .exhausted(let detail): return SCIMError(status: 500, detail: detail)
            // The store already turned a unique index's refusal into `.uniqueness`.
            case .newerSchema, .unusableFile, .engine: return nil
            }
        default:
            return nil
        }
    }
}
