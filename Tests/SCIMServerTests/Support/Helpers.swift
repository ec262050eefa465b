import Foundation
import NIOHTTP1
import SCIMProtocol
import SunkStore
import Testing

typealias Reply = TestServer.Reply

let coreWeaveURN = "urn:coreweave:params:scim:schemas:extension:coreweave:2.0:CoreWeaveUser"
let enterpriseURN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
let errorURN = "urn:ietf:params:scim:api:messages:2.0:Error"
let listURN = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
let patchURN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"

/// Two real ed25519 public keys (the wire-format examples of the fixtures).
let adaLaptopKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILQwuexkUkfmgaRc8TfBKQn5whYd06jzr41VYHQrQER8 ada@laptop"
let adaWorkstationKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIz6zHYlXGeB8NN5UU3SUvght5G5UOaU8wPmzfTjMd9e ada@workstation"

extension TestServer.Reply {
    var contentType: String? { headers.first(name: "Content-Type") }
    var isSCIMJSON: Bool { contentType?.lowercased().hasPrefix("application/scim+json") == true }
    var resources: [JSONValue] { self["Resources"]?.arrayValue ?? [] }
    var id: String? { self["id"]?.stringValue }
    var ext: JSONValue? { self[coreWeaveURN] }
    var detail: String { self["detail"]?.stringValue ?? "" }
}

extension JSONValue {
    /// The `id` of a resource.
    var id: String? { self["id"]?.stringValue }

    /// Follows object keys (exact spelling).
    func at(_ keys: String...) -> JSONValue? {
        var current: JSONValue? = self
        for key in keys { current = current?[key] }
        return current
    }
}

/// Checks that `reply` is an RFC 7644 error with this status (a JSON string), scimType and
/// (optionally) a detail that contains each of `detailContains`.
func expectSCIMError(_ reply: Reply, status: Int, scimType: String? = nil, detailContains: [String] = [],
                     sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(reply.status == status, "status \(reply.status): \(reply.text)", sourceLocation: sourceLocation)
    #expect(reply.isSCIMJSON, "content type \(reply.contentType ?? "none")", sourceLocation: sourceLocation)
    #expect(reply["schemas"] == .array([.string(errorURN)]), sourceLocation: sourceLocation)
    #expect(reply["status"] == .string(String(status)), sourceLocation: sourceLocation)
    if let scimType {
        #expect(reply["scimType"] == .string(scimType), "\(reply.text)", sourceLocation: sourceLocation)
    }
    #expect(reply["detail"]?.stringValue?.isEmpty == false, sourceLocation: sourceLocation)
    for piece in detailContains {
        #expect(reply.detail.contains(piece), "detail \(reply.detail) lacks \(piece)", sourceLocation: sourceLocation)
    }
}

/// Builds a JSON string literal (escaped) for embedding values in test JSON.
func quoted(_ text: String) -> String {
    String(decoding: JSONValue.string(text).serialized(), as: UTF8.self)
}

/// A PATCH body with the given operations (each a JSON object text).
func patchBody(_ operations: String...) -> JSONValue {
    json("{\"schemas\": [\"\(patchURN)\"], \"Operations\": [\(operations.joined(separator: ","))]}")
}

/// A user body with a CoreWeave extension given as raw JSON members.
func userWith(_ userName: String, coreWeave: String) -> JSONValue {
    json("""
        {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "\(coreWeaveURN)"],
         "userName": \(quoted(userName)), "active": true,
         "\(coreWeaveURN)": {\(coreWeave)}}
        """)
}

extension TestServer {
    /// POSTs a user and returns its id, requiring 201.
    @discardableResult
    func createUser(_ body: JSONValue, sourceLocation: SourceLocation = #_sourceLocation) async throws -> String {
        let reply = try await post("/Users", body)
        try #require(reply.status == 201, "create failed: \(reply.status) \(reply.text)", sourceLocation: sourceLocation)
        return try #require(reply.id, sourceLocation: sourceLocation)
    }

    /// POSTs a group and returns its id, requiring 201.
    @discardableResult
    func createGroup(_ displayName: String, members: [String] = [],
                     sourceLocation: SourceLocation = #_sourceLocation) async throws -> String {
        let list = members.map { "{\"value\": \(quoted($0))}" }.joined(separator: ",")
        let reply = try await post("/Groups", json("""
            {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": \(quoted(displayName)),
             "members": [\(list)]}
            """))
        try #require(reply.status == 201, "create failed: \(reply.status) \(reply.text)", sourceLocation: sourceLocation)
        return try #require(reply.id, sourceLocation: sourceLocation)
    }

    /// Lists every user (count large enough for any test).
    func allUsers() async throws -> [JSONValue] {
        let reply = try await get("/Users?count=1000")
        try #require(reply.status == 200)
        return reply.resources
    }

    /// A user resource without the parts that change on every write.
    func stableUser(_ id: String) async throws -> JSONValue {
        let reply = try await get("/Users/\(id)")
        try #require(reply.status == 200)
        return try #require(reply.json)
    }

    /// Member ids of a group, sorted.
    func memberIDs(_ groupID: String) async throws -> [String] {
        let reply = try await get("/Groups/\(groupID)")
        try #require(reply.status == 200, "\(reply.text)")
        return (reply["members"]?.arrayValue ?? []).compactMap { $0["value"]?.stringValue }.sorted()
    }

    /// The `default` org, freshly read.
    func org() throws -> Org { try database.org(named: "default") }

    /// Raw request with an explicit Authorization header value (or none).
    func rawAuth(_ method: HTTPMethod, _ path: String, authorization: String?, body: JSONValue? = nil) async throws -> Reply {
        var headers: [(String, String)] = []
        if let authorization { headers.append(("Authorization", authorization)) }
        return try await request(method, path, json: body, headers: headers, authorize: false)
    }
}

/// The bytes of every file of the database (main file, WAL, shared memory).
func databaseBytes(_ path: String) -> [UInt8] {
    var all: [UInt8] = []
    for suffix in ["", "-wal", "-shm", "-journal"] {
        if let data = FileManager.default.contents(atPath: path + suffix) { all += Array(data) }
    }
    return all
}

/// True when `needle` occurs in `haystack`.
func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
    guard !needle.isEmpty, haystack.count >= needle.count else { return false }
    let first = needle[0]
    var i = 0
    let last = haystack.count - needle.count
    while i <= last {
        if haystack[i] == first && Array(haystack[i..<(i + needle.count)]) == needle { return true }
        i += 1
    }
    return false
}
