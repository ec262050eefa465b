import Foundation
import NIOHTTP1
import SCIMProtocol
import Testing

/// One request of a replayed IdP session: method, path under the org's SCIM base, body, extra
/// headers. Where it goes (one receiver in process, one of two `serve` processes…) is the caller's.
typealias SendRequest = (HTTPMethod, String, JSONValue?, [(String, String)]) async throws -> Reply

/// README's Okta call sequence ("Set up with Okta"): existence check, create, read, profile push
/// (PUT), deactivate, still readable, reactivate. Written once, replayed by every test that shows
/// a receiver set-up answers Okta (one receiver; two receivers taking turns on one database).
enum OktaReplay {
    /// What a receiver answered to one request, without what differs between runs by design:
    /// resource ids, timestamps, `meta.location` and the `Location` header (they hold the id and
    /// the receiver's address).
    struct Answer: Equatable, CustomStringConvertible {
        var request: String
        var status: Int
        var body: JSONValue?
        var description: String { "\(request) → \(status) \(body.map { String(decoding: $0.serialized(), as: UTF8.self) } ?? "")" }
    }

    /// Replays the sequence through `send`, checking every answer as Okta needs it, and returns
    /// the answers in order. `deactivated` runs while the user is deactivated (a test's own look
    /// at the store).
    static func run(_ send: SendRequest, deactivated: () async throws -> Void = {}) async throws -> [Answer] {
        var answers: [Answer] = []
        var userID: String?   // written as {id} in the answers' request lines once known
        func call(_ method: HTTPMethod, _ path: String, _ body: JSONValue? = nil,
                  headers: [(String, String)] = []) async throws -> Reply {
            let reply = try await send(method, path, body, headers)
            let line = "\(method) " + (userID.map { path.replacingOccurrences(of: $0, with: "{id}") } ?? path)
            answers.append(Answer(request: line, status: reply.status, body: reply.json.map(comparable)))
            return reply
        }
        let existence = "/Users?filter=userName%20eq%20%22ada.lovelace%40example.com%22&startIndex=1&count=100"
        // 1. Existence check before create: an empty ListResponse with JSON integers.
        let absent = try await call(.GET, existence, headers: [("Accept", "application/scim+json"),
                                                              ("User-Agent", "Okta SCIM Client 1.0.0")])
        #expect(absent.status == 200)
        #expect(absent.json == ListResponse.json(resources: [], totalResults: 0, startIndex: 1, itemsPerPage: 0))

        // 2. Create.
        let created = try await call(.POST, "/Users", Fixtures.oktaCreateUser)
        #expect(created.status == 201)
        let id = try #require(created.id)
        userID = id
        #expect(created.headers.first(name: "Location") == created.json?.at("meta", "location")?.stringValue)

        // 3. The existence check now finds it (case-insensitively too).
        let present = try await call(.GET, existence)
        #expect(present["totalResults"] == .int(1))
        #expect(present.resources.first?["id"] == .string(id))
        let upper = try await call(.GET, "/Users?filter=userName%20eq%20%22ADA.LOVELACE%40EXAMPLE.COM%22")
        #expect(upper.resources.first?["id"] == .string(id))

        // 4. A duplicate create is 409 uniqueness.
        expectSCIMError(try await call(.POST, "/Users", Fixtures.oktaCreateUser), status: 409, scimType: "uniqueness")

        // 5. Profile push: GET then PUT of fixture 03 with the real id.
        #expect(try await call(.GET, "/Users/\(id)").status == 200)
        let put = try await call(.PUT, "/Users/\(id)", Fixtures.oktaPutUser(id: id))
        #expect(put.status == 200, "\(put.text)")
        #expect(put.ext?["sunkLoginShell"] == .string("/bin/zsh"))
        #expect(put.ext?["sunkSshKeys"] == .array([.string(adaWorkstationKey)]))
        #expect(put.ext?["sunkPosixUserId"] == .int(100001))
        #expect(put.json?.at("meta", "created") == created.json?.at("meta", "created"))

        // 5b. Okta also PUTs back exactly what it read (id, meta and schemas included).
        var readBack = try #require(try await call(.GET, "/Users/\(id)").json?.objectValue)
        readBack["displayName"] = .string("Ada King")
        let putBack = try await call(.PUT, "/Users/\(id)", .object(readBack))
        #expect(putBack.status == 200, "\(putBack.text)")
        #expect(putBack["displayName"] == .string("Ada King"))

        // 6. Deactivate (fixture 04).
        let deactivation = try await call(.PATCH, "/Users/\(id)", Fixtures.oktaDeactivate)
        #expect(deactivation.status == 200)
        #expect(deactivation["active"] == .bool(false))

        // 7. Okta never deletes: the user stays readable and filterable.
        let read = try await call(.GET, "/Users/\(id)")
        #expect(read.status == 200)
        #expect(read["active"] == .bool(false))
        #expect(try await call(.GET, existence).resources.first?["active"] == .bool(false))
        let inactive = try await call(.GET, "/Users?filter=active%20eq%20false")
        #expect(inactive.resources.compactMap(\.id) == [id])
        try await deactivated()

        // 8. Reactivate.
        let reactivated = try await call(.PATCH, "/Users/\(id)", Fixtures.oktaReactivate)
        #expect(reactivated.status == 200)
        #expect(reactivated["active"] == .bool(true))
        #expect(try await call(.GET, "/Users?filter=active%20eq%20false").resources.isEmpty)
        #expect(reactivated.ext?["sunkSshKeys"] == .array([.string(adaWorkstationKey)]))
        return answers
    }

    /// `json` without ids and the meta members that carry a time or an address.
    static func comparable(_ json: JSONValue) -> JSONValue {
        switch json {
        case .object(let members):
            var kept: [String: JSONValue] = [:]
            for (key, value) in members where key != "id" {
                kept[key] = key == "meta" ? comparableMeta(value) : comparable(value)
            }
            return .object(kept)
        case .array(let items):
            return .array(items.map(comparable))
        default:
            return json
        }
    }

    private static func comparableMeta(_ meta: JSONValue) -> JSONValue {
        guard case .object(var members) = meta else { return meta }
        for key in ["created", "lastModified", "location"] { members[key] = nil }
        return .object(members)
    }
}
