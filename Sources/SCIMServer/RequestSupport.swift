import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SCIMProtocol

extension Request {
    /// A query parameter by name, case-insensitively (clients differ on `startindex`).
    func query(_ name: String) -> String? {
        let wanted = name.lowercased()
        for (key, value) in uri.queryParameters where key.lowercased() == wanted {
            return String(value)
        }
        return nil
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

/// `filter`, `startIndex`, `count`, `attributes`, `excludedAttributes` of a list request.
struct ListQuery: Sendable {
    var filter: SCIMFilter?
    var startIndex: Int
    var count: Int
    var attributes: [AttributePath]?
    var excludedAttributes: [AttributePath]?

    init(_ request: Request, type: SCIMResourceType, maxResults: Int) throws {
        if let text = request.query("filter"), !text.isEmpty {
            let filter = try SCIMFilter.parse(text)
            try filter.validate(for: type)
            self.filter = filter
        }
        startIndex = try Self.integer(request.query("startIndex"), name: "startIndex").map { max(1, $0) } ?? 1
        count = try Self.integer(request.query("count"), name: "count").map { min(max(0, $0), maxResults) } ?? maxResults
        (attributes, excludedAttributes) = try Projection(request).lists
    }

    static func integer(_ text: String?, name: String) throws -> Int? {
        guard let text, !text.isEmpty else { return nil }
        guard let value = Int(text) else { throw SCIMError.invalidValue("\(name) must be an integer") }
        return value
    }
}

/// `attributes` / `excludedAttributes` query parameters.
struct Projection: Sendable {
    var lists: ([AttributePath]?, [AttributePath]?)

    init(_ request: Request) throws {
        let attributes = try request.query("attributes").flatMap { $0.isEmpty ? nil : try AttributePath.parseList($0) }
        let excluded = try request.query("excludedAttributes").flatMap { $0.isEmpty ? nil : try AttributePath.parseList($0) }
        lists = (attributes, excluded)
    }

    func apply(_ resource: JSONValue, type: SCIMResourceType) -> JSONValue {
        if lists.0 == nil && lists.1 == nil { return resource }
        return project(resource, type: type, attributes: lists.0, excludedAttributes: lists.1)
    }
}
