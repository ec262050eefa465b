import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SCIMProtocol

extension Request {
    /// The decoded query parameters (see ``QueryParameters``: `+` is a space).
    var scimQuery: QueryParameters { QueryParameters(raw: uri.query) }

    /// A query parameter by name, case-insensitively, form-decoded (`+` is a space).
    /// - Throws: `400` when it is given twice or is not valid percent-encoded UTF-8.
    func query(_ name: String) throws(SCIMError) -> String? {
        try scimQuery.value(name)
    }

    /// Reads and parses the JSON body, refusing bodies over the limit (413) and media types that
    /// are not JSON (415). `application/scim+json` and `application/json` are both accepted.
    mutating func scimBody(limit: Int) async throws -> JSONValue {
        if let type = headers[.contentType]?.lowercased(), !type.contains("json") {
            throw SCIMError(status: 415, detail: "send application/scim+json or application/json (got \(type.prefix(64)))")
        }
        let buffer: ByteBuffer
        do {
            buffer = try await body.collect(upTo: limit)
        } catch {
            throw SCIMError(status: 413, detail: "the request body is larger than the limit of \(limit) bytes")
        }
        return try JSONValue.parse(Array(buffer.readableBytesView))
    }
}

/// `filter`, `startIndex`, `count`, `attributes`, `excludedAttributes` of a query: from the query
/// string of `GET /Users` and `GET /Groups`, or from the body of `POST …/.search` (RFC 7644
/// §3.4.3). Both arrive here so both follow the same rules and limits: `count` is capped at
/// the server's maxResults, `startIndex` below 1 means 1.
struct ListQuery: Sendable {
    /// The parsed filter, not yet checked against a resource type (a root search spans two).
    var filter: SCIMFilter?
    var startIndex: Int
    var count: Int
    var projection: Projection

    /// From the query string of a GET.
    init(_ request: Request, maxResults: Int) throws {
        let query = request.scimQuery
        try self.init(filter: try query.value("filter"),
                      startIndex: try Self.integer(try query.value("startIndex"), name: "startIndex"),
                      count: try Self.integer(try query.value("count"), name: "count"),
                      projection: try Projection(query), maxResults: maxResults)
    }

    /// From a SearchRequest body (`urn:ietf:params:scim:api:messages:2.0:SearchRequest`).
    /// - Throws: `400 invalidSyntax` when the body is not a SearchRequest object, `400 invalidValue`
    ///   when a member has the wrong type, `400 invalidFilter` for a bad filter.
    init(search body: JSONValue, maxResults: Int) throws {
        guard case .object = body else { throw SCIMError.invalidSyntax("a search request must be a JSON object") }
        guard let schemas = body.member("schemas")?.value.arrayValue,
              schemas.contains(where: { $0.stringValue?.lowercased() == SCIMSchemaURN.searchRequest.lowercased() }) else {
            throw SCIMError.invalidSyntax("a search request must list the schema \(SCIMSchemaURN.searchRequest)")
        }
        func text(_ name: String) throws -> String? {
            switch body.member(name)?.value {
            case nil, .null?: return nil
            case .string(let value)?: return value
            default: throw SCIMError.invalidValue("\(name) must be a string")
            }
        }
        func names(_ name: String) throws -> String? {
            switch body.member(name)?.value {
            case nil, .null?: return nil
            case .string(let value)?: return value
            case .array(let items)?:
                return try items.map { item in
                    guard let attribute = item.stringValue, !attribute.contains(",") else {
                        throw SCIMError.invalidValue("\(name) must be a list of attribute names")
                    }
                    return attribute
                }.joined(separator: ",")
            default: throw SCIMError.invalidValue("\(name) must be a list of attribute names")
            }
        }
        func integer(_ name: String) throws -> Int? {
            switch body.member(name)?.value {
            case nil, .null?: return nil
            case let value?:
                guard let number = value.int64Value, let int = Int(exactly: number) else {
                    throw SCIMError.invalidValue("\(name) must be an integer")
                }
                return int
            }
        }
        try self.init(filter: try text("filter"), startIndex: try integer("startIndex"), count: try integer("count"),
                      projection: try Projection(attributes: try names("attributes"),
                                                 excludedAttributes: try names("excludedAttributes")),
                      maxResults: maxResults)
    }

    private init(filter: String?, startIndex: Int?, count: Int?, projection: Projection, maxResults: Int) throws {
        if let filter, !filter.isEmpty { self.filter = try SCIMFilter.parse(filter) }
        self.startIndex = startIndex.map { max(1, $0) } ?? 1
        self.count = count.map { min(max(0, $0), maxResults) } ?? maxResults
        self.projection = projection
    }

    /// The filter, checked against `type`: `400 invalidFilter` when it names what `type` lacks.
    func filter(for type: SCIMResourceType) throws -> SCIMFilter? {
        try filter?.validate(for: type)
        return filter
    }

    static func integer(_ text: String?, name: String) throws -> Int? {
        guard let text, !text.isEmpty else { return nil }
        guard let value = Int(text) else { throw SCIMError.invalidValue("\(name) must be an integer") }
        return value
    }
}

/// `attributes` / `excludedAttributes` (RFC 7644 §3.4.2.5, §3.9), from the query string or a
/// SearchRequest body.
struct Projection: Sendable {
    var lists: ([AttributePath]?, [AttributePath]?)

    init(_ request: Request) throws { try self.init(request.scimQuery) }

    init(_ query: QueryParameters) throws {
        try self.init(attributes: try query.value("attributes"), excludedAttributes: try query.value("excludedAttributes"))
    }

    init(attributes: String?, excludedAttributes: String?) throws {
        let included = try attributes.flatMap { $0.isEmpty ? nil : try AttributePath.parseList($0) }
        let excluded = try excludedAttributes.flatMap { $0.isEmpty ? nil : try AttributePath.parseList($0) }
        lists = (included, excluded)
    }

    /// True when the caller asked not to see the core attribute `name` of `type` (so it need not
    /// be loaded): `excludedAttributes` names it, or `attributes` is given without it.
    func excludes(_ name: String, of type: SCIMResourceType) -> Bool {
        func names(_ path: AttributePath) -> Bool {
            path.name.lowercased() == name.lowercased() && (path.schemaURN.map(type.isCoreURN) ?? true)
        }
        if let included = lists.0, !included.isEmpty { return !included.contains(where: names) }
        return lists.1?.contains { names($0) && $0.subAttribute == nil } ?? false
    }

    func apply(_ resource: JSONValue, type: SCIMResourceType) -> JSONValue {
        if lists.0 == nil && lists.1 == nil { return resource }
        return project(resource, type: type, attributes: lists.0, excludedAttributes: lists.1)
    }
}
